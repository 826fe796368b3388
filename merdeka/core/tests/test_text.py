"""Direction controls in people's text: removed where it comes in (forms, services,
importers), and right-to-left values isolated where they are embedded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merdeka.core.forms import CleanCharField
from merdeka.core.scoping import shop_scope
from merdeka.core.text import BIDI_CONTROLS, FSI, PDI, clean_text, isolate
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create, customer_edit
from merdeka.imports import sources
from merdeka.imports.formats import tabular

RLO = "\u202e"


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_direction_control_is_removed(control):
    assert clean_text(f"Siti{control} Nurhaliza{control}") == "Siti Nurhaliza"


def test_the_listed_controls_are_the_ones_the_issue_names():
    wanted = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
    assert sorted(map(ord, BIDI_CONTROLS)) == sorted(wanted)


def test_other_text_is_kept_as_it_is():
    for text in ("", "Kue Lapis 🍪", "Édi Prásetyo", "عائشة", "a\u200db", "Rp 10.000"):
        assert clean_text(text) == text
    assert clean_text(None) is None


def test_only_right_to_left_text_is_isolated():
    assert isolate("Siti Nurhaliza") == "Siti Nurhaliza"
    assert isolate(f"Siti{RLO}") == "Siti"
    assert isolate("عائشة") == f"{FSI}عائشة{PDI}"
    assert isolate(f"\u202b\u05e2\u05d3\u05d9{RLO}") == f"{FSI}\u05e2\u05d3\u05d9{PDI}"  # Hebrew


def test_the_form_field_cleans_before_it_counts():
    field = CleanCharField(max_length=5)
    assert field.clean(f"{RLO}Siti{RLO}") == "Siti"


def test_a_customer_added_or_corrected_is_stored_without_direction_controls(ika_shop):
    customer = customer_create(
        shop=ika_shop,
        name=f"Siti{RLO} Nurhaliza",
        address=f"Jl. Mawar{RLO} 3",
        city=f"Band{RLO}ung",
    )
    with shop_scope(ika_shop):
        customer = Customer.objects.get(pk=customer.pk)
    assert (customer.name, customer.address, customer.city) == (
        "Siti Nurhaliza",
        "Jl. Mawar 3",
        "Bandung",
    )
    customer_edit(shop=ika_shop, actor=None, customer=customer, name=f"\u2067Siti{RLO} Aminah")
    with shop_scope(ika_shop):
        assert Customer.objects.get(pk=customer.pk).name == "Siti Aminah"


def test_the_customer_form_stores_a_name_without_direction_controls(ika_client, ika_shop):
    response = ika_client.post(
        reverse("customer_add"), {"name": f"Budi{RLO} Santoso", "phone": "0813-3333-4444"}
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        assert Customer.objects.get().name == "Budi Santoso"


def test_the_product_form_stores_names_and_descriptions_without_them(ika_client, ika_shop):
    from merdeka.catalog.models import Product

    response = ika_client.post(
        reverse("product_add"),
        {
            "name": f"Nastar{RLO} Keju",
            "description": f"Isi 500 g{RLO}, renyah",
            "variants-TOTAL_FORMS": "1",
            "variants-INITIAL_FORMS": "0",
            "variants-0-size": f"{RLO}Toples",
            "variants-0-price": "85000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with shop_scope(ika_shop):
        product = Product.objects.get()
        variant = product.variants.get()
    assert (product.name, product.description, variant.size) == (
        "Nastar Keju",
        "Isi 500 g, renyah",
        "Toples",
    )


def test_spreadsheet_cells_lose_them_on_the_fast_path_and_the_slow_one():
    table = tabular.Table(rows=iter(()), keep=frozenset({0, 1}))
    assert table.cleaned([f"Siti{RLO} Nurhaliza", f"\u200e'+62{RLO}81", 5]) == [
        "Siti Nurhaliza",
        "+6281",
        "",
    ]
    assert tabular.clean(f"  Budi{RLO}\u2069 ") == "Budi"


def test_imported_contact_names_lose_them(tmp_path):
    vcf = tmp_path / "kontak.vcf"
    vcf.write_text(
        f"BEGIN:VCARD\nVERSION:3.0\nFN:Andi{RLO} Pratama\nTEL:0852 1122 3344\nEND:VCARD\n"
    )
    csv = tmp_path / "contacts.csv"
    csv.write_text(
        "First Name,Middle Name,Last Name,Phone 1 - Label,Phone 1 - Value\n"
        f"Rina{RLO},,Wulandari,Mobile,+62 812-5555-6666\n",
        encoding="utf-8",
    )
    for path, name in ((vcf, "Andi Pratama"), (csv, "Rina Wulandari")):
        parsed = sources.parse_file(path, path.name)
        assert [c.name for c in parsed.preview["contacts"]] == [name]
