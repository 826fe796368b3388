from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from django.core.management import call_command

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity, MatchKey, MatchSuggestion
from merdeka.imports.models import ImportFile, ImportRun
from merdeka.orders.models import Order

DATA = Path(__file__).parent / "data"
SHOPEE = DATA / "marketplaces" / "Order.all.20250401_20250430.xlsx"
TIKTOK = DATA / "marketplaces" / "tiktok_OrderSKUList.xlsx"
GROUP = DATA / "whatsapp" / "Chat WhatsApp dengan Pasar Kue Zakinah.txt"
ONE_TO_ONE = DATA / "whatsapp" / "Chat WhatsApp dengan Siti Nurhaliza.txt"


def run_import(capsys, shop, *paths):
    call_command("import", *map(str, paths), "--shop", shop.slug, "--json")
    return json.loads(capsys.readouterr().out)


def live(shop):
    return Customer.objects.filter(shop=shop, merged_into__isnull=True)


def test_it_imports_marketplace_exports_and_chats_into_one_customer_list(ika_shop, capsys):
    report = run_import(capsys, ika_shop, SHOPEE, TIKTOK, GROUP, ONE_TO_ONE)
    by_name = {f["name"]: f for f in report["files"]}
    shopee = by_name[SHOPEE.name]
    assert (shopee["state"], shopee["source"], shopee["rows_read"]) == ("imported", "shopee", 4)
    assert (shopee["orders_new"], shopee["customers_new"]) == (3, 2)  # sitinur88 twice
    assert by_name[GROUP.name]["participants"] == 4
    assert by_name[ONE_TO_ONE.name]["participants"] == 1  # the seller is not a customer
    with shop_scope(ika_shop):
        assert Order.objects.count() == 5
        # one of the members shown by number is the TikTok buyer whose phone was masked
        # under its digits, which nobody else shows: merged at once (customers/matching.py,
        # STRONG), as an exact identifier would
        assert live(ika_shop).count() == 2 + 2 + 4 + 1 - 1
        strong = MatchSuggestion.objects.get(state="merged")
        assert {"code": "strong", "rule": "only_number"} in strong.evidence
        assert {strong.customer_a.name, strong.customer_b.name} == {"Dewi Anggraini", None}
        usernames = {i.value for i in Identity.objects.filter(kind="username", channel="shopee")}
        assert usernames == {"sitinur88", "budi.santoso"}
        # group members shown as numbers became phone identities
        phones = {i.value for i in Identity.objects.filter(kind="phone")}
        assert {"+6281299887766", "+6285711223344", "+6281322334455"} <= phones
        # a WhatsApp name that matches a marketplace buyer waits for review
        pairs = {
            frozenset((s.customer_a.name, s.customer_b.name))
            for s in MatchSuggestion.objects.filter(state="pending")
        }
        assert frozenset({"Budi Santoso"}) in pairs  # both sides carry the same name
        assert any("Dewi Anggraini" in pair for pair in pairs)
        # closing the run weighed and grouped the queue (customers/review.py)
        assert all(s.group for s in MatchSuggestion.objects.filter(state="pending")), (
            "every suggestion waiting belongs to a group"
        )


def test_reimporting_or_an_overlapping_later_export_adds_nothing_twice(ika_shop, capsys, tmp_path):
    run_import(capsys, ika_shop, SHOPEE)
    again = run_import(capsys, ika_shop, SHOPEE)
    assert again["files"][0]["state"] == "duplicate"

    # a later export: same orders, one status moved on
    from openpyxl import load_workbook

    workbook = load_workbook(SHOPEE)
    sheet = workbook["orders"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=5, column=header.index("Status Pesanan") + 1, value="Selesai")
    later = tmp_path / "Order.all.20250401_20250515.xlsx"
    workbook.save(later)
    report = run_import(capsys, ika_shop, later)["files"][0]
    assert (report["orders_new"], report["orders_updated"], report["orders_unchanged"]) == (0, 1, 2)
    with shop_scope(ika_shop):
        assert Order.objects.count() == 3
        assert Order.objects.get(external_id="2504246C9XYZ12A").status == "completed"
        assert live(ika_shop).count() == 2


def test_a_file_with_errors_writes_nothing_and_says_where(ika_shop, capsys, tmp_path):
    from openpyxl import load_workbook

    workbook = load_workbook(SHOPEE)
    sheet = workbook["orders"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=4, column=header.index("Jumlah") + 1, value="-1")
    bad = tmp_path / "pesanan.xlsx"
    workbook.save(bad)
    with pytest.raises(SystemExit):
        call_command("import", str(bad), "--shop", ika_shop.slug, "--json")
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["state"] == "rejected"
    assert report["problems"][0]["row"] == 4 and report["problems"][0]["column"] == "Jumlah"
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_an_imports_orders_mark_their_days_and_the_reports_sum_them(ika_shop, capsys):
    from django.db.models.functions import TruncDate

    from merdeka.orders import sales
    from merdeka.orders.models import SalesDirty

    run_import(capsys, ika_shop, SHOPEE, TIKTOK)
    with shop_scope(ika_shop):
        days = set(
            Order.objects.annotate(day=TruncDate("ordered_at", tzinfo=dt.UTC)).values_list(
                "day", flat=True
            )
        )
        # each UTC day marked once a batch (twice on PostgreSQL: its statement triggers
        # fire for the orders and for the lines), not once a row
        marks = dict(SalesDirty.objects.values_list("day", "version"))
        assert set(marks) == days and max(marks.values()) <= 2
    first, last = min(days) - dt.timedelta(days=1), max(days) + dt.timedelta(days=1)
    assert sales.sales_by_day(shop=ika_shop, date_from=first, date_to=last) == (
        sales.sales_by_day_from_orders(shop=ika_shop, date_from=first, date_to=last)
    )
    assert sales.sales_by_day(shop=ika_shop, date_from=first, date_to=last)


def test_a_crash_in_the_middle_of_a_file_leaves_the_shop_as_it_was(ika_shop, capsys, monkeypatch):
    from merdeka.imports import writer

    real = writer.bulk.insert

    def crash_at_the_order_lines(model, columns, rows, *, shop_id, **options):
        # customers, identities and orders are written by then: the last step fails
        if model is writer.OrderLine:
            raise RuntimeError("power cut")
        return real(model, columns, rows, shop_id=shop_id, **options)

    monkeypatch.setattr(writer.bulk, "insert", crash_at_the_order_lines)
    with pytest.raises(RuntimeError):
        call_command("import", str(SHOPEE), "--shop", ika_shop.slug, "--json")
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0 and Customer.objects.count() == 0
        # the run is failed on the spot, not left running
        assert ImportFile.objects.get().state == "rejected"
        assert ImportRun.objects.get().state == "failed"
    monkeypatch.undo()
    capsys.readouterr()
    report = run_import(capsys, ika_shop, SHOPEE)["files"][0]  # running it again finishes
    assert report["state"] == "imported" and report["orders_new"] == 3


def test_an_import_never_writes_plaintext_buyer_data(ika_shop, capsys):
    from django.db import connection

    run_import(capsys, ika_shop, SHOPEE, GROUP)
    with connection.cursor() as cursor:
        for table, column in [
            ("customers_customer", "name"),
            ("customers_identity", "value"),
            ("orders_order", "personal"),
        ]:
            cursor.execute(f"SELECT {column} FROM {table}")
            for (value,) in cursor.fetchall():
                assert not value or (
                    "Budi" not in value and "sitinur" not in value and "Griya" not in value
                )


def test_inspect_shows_what_merdeka_sees_without_writing(ika_shop, capsys, tmp_path):
    call_command("inspect", str(GROUP), "--json")
    chat = json.loads(capsys.readouterr().out)
    assert chat["source"] == "whatsapp" and chat["locale"]["language"] == "id"
    assert chat["messages"][4] == {
        "line": 5,
        "time": "2026-10-13T17:05:00+07:00",
        "author": "+62 812-9988-7766",
        "kind": "message",
        "text": "Ikut 2 kak",
    }
    call_command("inspect", str(SHOPEE), "--json")
    export = json.loads(capsys.readouterr().out)
    assert export["source"] == "shopee" and len(export["orders"]) == 3
    assert export["orders"][0]["lines"][0]["unit_price"] == "85000"
    shutil.copy(SHOPEE, tmp_path / "x.txt")
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


CONTACTS = DATA / "contacts" / "android_contacts.vcf"


def _summary(report):
    return [
        (f["name"], f["state"], f["orders_new"], f["customers_new"], f["participants"],
         [(p["row"], p["column"], p["message"]) for p in f["problems"]])
        for f in report["files"]
    ]  # fmt: skip


def test_reading_ahead_gives_what_importing_one_by_one_gives(
    ika_shop, citra_shop, capsys, settings, tmp_path
):
    from openpyxl import load_workbook

    workbook = load_workbook(SHOPEE)
    header = [c.value for c in workbook["orders"][1]]
    workbook["orders"].cell(row=3, column=header.index("Jumlah") + 1, value="-1")
    broken = tmp_path / "pesanan-rusak.xlsx"
    workbook.save(broken)
    files = [TIKTOK, broken, GROUP, SHOPEE, CONTACTS]

    settings.MERDEKA_IMPORT_PARSE_AHEAD = 0
    with pytest.raises(SystemExit):  # the broken file makes the run end in an error
        call_command("import", *map(str, files), "--shop", citra_shop.slug, "--json")
    one_by_one = json.loads(capsys.readouterr().out)
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 1
    with pytest.raises(SystemExit):
        call_command("import", *map(str, files), "--shop", ika_shop.slug, "--json")
    ahead = json.loads(capsys.readouterr().out)

    assert _summary(ahead) == _summary(one_by_one)
    states = [f["state"] for f in ahead["files"]]
    assert states == ["imported", "rejected", "imported", "imported", "imported"]
    rejected = ahead["files"][1]["problems"][0]
    assert (rejected["row"], rejected["column"]) == (3, "Jumlah")
    with shop_scope(ika_shop):
        ika_orders = Order.objects.count()
    with shop_scope(citra_shop):
        assert Order.objects.count() == ika_orders == 5


@pytest.mark.parametrize("path", [SHOPEE, TIKTOK, GROUP, ONE_TO_ONE, CONTACTS])
def test_every_parsed_file_can_travel_between_processes(path):
    import pickle

    from merdeka.imports import sources

    parsed = sources.parse_file(path, path.name)
    again = pickle.loads(pickle.dumps(parsed))
    assert (again.source, again.channel, again.rows_read) == (
        parsed.source,
        parsed.channel,
        parsed.rows_read,
    )
    assert again.writer.func is parsed.writer.func


def _written(shop):
    """What an import wrote, decrypted, without ids or anything random."""
    with shop_scope(shop):
        orders = sorted(
            (o.external_id, o.buyer_username, o.recipient_name, o.recipient_phone, o.street,
             o.customer.name, o.customer.phone, o.customer.address)
            for o in Order.objects.select_related("customer")
        )  # fmt: skip
        identities = sorted(
            (i.kind, i.channel, i.value, i.customer.name) for i in Identity.objects.all()
        )
        keys = sorted(MatchKey.objects.values_list("kind", flat=True))
    return orders, identities, keys


def _write(shop, parsed):
    from django.db import transaction

    from merdeka.customers.resolution import Resolver

    with shop_scope(shop), transaction.atomic():
        parsed.write(shop=shop, resolver=Resolver(shop=shop, source=parsed.channel))


def test_orders_prepared_ahead_are_written_as_the_writer_alone_writes_them(ika_shop, citra_shop):
    import pickle

    from merdeka.imports import sources, writer

    alone = sources.parse_file(SHOPEE, SHOPEE.name)
    _write(citra_shop, alone)
    ahead = sources.parse_file(SHOPEE, SHOPEE.name)
    sources.prepare(ahead, shop_id=ika_shop.pk)  # what the read-ahead worker does
    # what goes to the writer is the rows it writes, not the parsed orders
    assert isinstance(ahead.writer.keywords["orders"], writer.PreparedOrders)
    assert "orders" not in ahead.preview
    _write(ika_shop, pickle.loads(pickle.dumps(ahead)))
    assert _written(ika_shop) == _written(citra_shop)
    assert _written(ika_shop)[0]  # orders were written, and they decrypt


def test_orders_prepared_under_a_rotated_key_are_read_and_sealed_again(ika_shop, citra_shop):
    from merdeka.imports import sources
    from merdeka.privacy import crypto, services

    _write(citra_shop, sources.parse_file(SHOPEE, SHOPEE.name))
    ahead = sources.parse_file(SHOPEE, SHOPEE.name)
    sources.prepare(ahead, shop_id=ika_shop.pk, path=SHOPEE, name=SHOPEE.name)
    before = crypto.active_data_key_version(ika_shop.pk)
    assert ahead.writer.keywords["orders"].key_version == before
    services.keys_rotate(shop=ika_shop)  # after the worker prepared, before the write
    after = crypto.active_data_key_version(ika_shop.pk)
    assert after != before
    _write(ika_shop, ahead)
    assert _written(ika_shop) == _written(citra_shop)
    with shop_scope(ika_shop):
        assert set(Order.objects.values_list("key_version", flat=True)) == {after}


def test_orders_prepared_under_another_key_and_no_file_to_read_again_are_refused(ika_shop):
    from merdeka.imports import sources, writer

    ahead = sources.parse_file(SHOPEE, SHOPEE.name)
    sources.prepare(ahead, shop_id=ika_shop.pk)
    ahead.writer.keywords["orders"].key_version += 1  # as if the key had been rotated
    with pytest.raises(writer.PreparedUnderAnotherKey):
        _write(ika_shop, ahead)
    with shop_scope(ika_shop):
        assert not Order.objects.exists()


def test_a_worker_without_the_writers_keys_prepares_nothing(ika_shop, citra_shop):
    from merdeka.imports import ahead, records, sources, writer
    from merdeka.privacy import crypto

    parsed = sources.parse_file(SHOPEE, SHOPEE.name)
    ahead._prepare(parsed, ika_shop.pk, None, crypto.key_check(citra_shop.pk))
    orders = parsed.writer.keywords["orders"]
    assert orders and all(isinstance(o, records.Order) for o in orders)  # the writer's work
    ahead._prepare(parsed, ika_shop.pk, None, crypto.key_check(ika_shop.pk))
    assert isinstance(parsed.writer.keywords["orders"], writer.PreparedOrders)


def _read_ahead_workers() -> list[int]:
    """This process's read-ahead workers (spawned; not the resource tracker)."""
    me, found = os.getpid(), []
    for task in os.listdir(f"/proc/{me}/task"):
        for pid in Path(f"/proc/{me}/task/{task}/children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue  # gone meanwhile
            if b"spawn_main" in command and b"resource_tracker" not in command:
                found.append(int(pid))
    return found


def _import_reading_ahead(shop, files, on_start):
    from merdeka.imports import pipeline

    run = pipeline.run_create(shop=shop)
    reports = pipeline.import_paths(shop=shop, run=run, paths=files, on_start=on_start)
    pipeline.run_finish(run)
    return [(r.name, r.state, r.orders_new, r.customers_new, r.participants) for r in reports]


def test_one_read_ahead_worker_reads_every_file_of_a_run(ika_shop, citra_shop, settings):
    files = [TIKTOK, GROUP, SHOPEE, ONE_TO_ONE, CONTACTS]
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 0
    one_by_one = _import_reading_ahead(citra_shop, files, None)
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 1
    seen = []
    ahead = _import_reading_ahead(ika_shop, files, lambda path: seen.append(_read_ahead_workers()))
    assert ahead == one_by_one
    assert [len(pids) for pids in seen] == [1] * len(files)
    assert len({pid for pids in seen for pid in pids}) == 1  # the same worker throughout
    assert _written(ika_shop) == _written(citra_shop)


def test_a_run_frees_what_each_file_cached_in_both_processes(
    ika_shop, citra_shop, settings, monkeypatch
):
    from merdeka.core import phone
    from merdeka.imports import ahead, pipeline

    files = [TIKTOK, GROUP, SHOPEE]
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 0
    one_by_one = _import_reading_ahead(citra_shop, files, None)
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 1
    cleared = []
    monkeypatch.setattr(pipeline, "text_caches_clear", lambda: cleared.append(True))
    ahead_reports = _import_reading_ahead(ika_shop, files, None)
    assert len(cleared) == len(files)  # the writer's, after each file
    assert ahead_reports == one_by_one
    assert _written(ika_shop) == _written(citra_shop)
    # the worker's, with the rest of what a file left (not freezing this test process)
    monkeypatch.setattr(ahead.gc, "freeze", lambda: None)
    phone.normalize_phone("0812-3456-7801")
    ahead._give_back()
    assert [c.cache_info().currsize for c in phone.TEXT_CACHES] == [0] * len(phone.TEXT_CACHES)


def test_a_read_ahead_worker_killed_mid_run_leaves_its_files_to_the_writer(
    ika_shop, citra_shop, settings
):
    files = [TIKTOK, GROUP, SHOPEE, ONE_TO_ONE, CONTACTS]
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 0
    one_by_one = _import_reading_ahead(citra_shop, files, None)
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 1
    killed = []

    def kill_at_the_second_file(path):
        if path == GROUP:
            for pid in _read_ahead_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    ahead = _import_reading_ahead(ika_shop, files, kill_at_the_second_file)
    assert killed
    assert ahead == one_by_one
    assert _written(ika_shop) == _written(citra_shop)
