"""Each parsing rule of the receipt reader on synthetic OCR boxes (no OCR run: fast)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from merdeka.receipts.reader import UnreadableImage, reading_from_boxes
from merdeka.receipts.reader import parse as parsing
from merdeka.receipts.reader.engine import Box
from merdeka.receipts.reader.rows import group_rows

LINE = 30  # px between printed rows


def box(text, x, y, width=None, score=0.99, angle=0.0, height=22):
    """A box whose top-left is (x, y), turned by ``angle`` degrees about the page's origin."""
    width = width or 12 * len(text)
    corners = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    turned = tuple((px * cos - py * sin, px * sin + py * cos) for px, py in corners)
    return Box(text=text, points=turned, score=score)


def receipt(*rows, angle=0.0, score=0.99):
    """Boxes for rows given as strings (one box) or (left, right) pairs (two boxes)."""
    boxes = []
    for index, row in enumerate(rows):
        y = 20 + index * LINE
        if isinstance(row, tuple):
            left, right = row
            boxes.append(box(left, 20, y, angle=angle, score=score))
            boxes.append(box(right, 500 - 12 * len(right), y, angle=angle, score=score))
        else:
            boxes.append(box(row, 20, y, angle=angle, score=score))
    return boxes


MINIMARKET = (
    "MITRA MART",
    "JL. PAHLAWAN 3 SEMARANG",
    "NPWP: 01.767.488.8-901.000",
    "19.02.2026-08:31 2.1.36 KSR/ANI",
    "------------------------------",
    ("SABUN LIFEBUOY", "4 4.800 19.200"),
    ("GULA PASIR 1KG", "1 17.700 17.700"),
    ("TELUR AYAM 10", "1 24.100 24.100"),
    "------------------------------",
    ("HARGA JUAL :", "61.000"),
    ("DISKON :", "-500"),
    ("TOTAL :", "60.500"),
    ("TUNAI :", "100.000"),
    ("KEMBALI :", "39.500"),
    "PPN : 5.995 DPP : 54.505",
    "TERIMA KASIH SELAMAT BELANJA",
)


def items(reading):
    return [(i.name, str(i.qty), i.unit_price, i.total) for i in reading.items]


def test_minimarket_one_row_items_discount_included_tax_and_cash():
    reading = reading_from_boxes(receipt(*MINIMARKET))
    assert reading.store == "MITRA MART"
    assert reading.date == dt.date(2026, 2, 19)
    assert reading.time == dt.time(8, 31)
    assert items(reading) == [
        ("SABUN LIFEBUOY", "4", 4800, 19200),
        ("GULA PASIR 1KG", "1", 17700, 17700),
        ("TELUR AYAM 10", "1", 24100, 24100),  # the size stays in the name
    ]
    assert reading.discount == 500
    assert reading.tax == 5995  # printed after the total: included, not added
    assert reading.total == 60500
    assert reading.payment == "tunai"
    assert not reading.needs_review and reading.reasons == ()


def test_grocery_quantity_rows_rupiah_commas_and_added_tax():
    reading = reading_from_boxes(
        receipt(
            "FRESH MARKET SWALAYAN",
            "Tgl: 20/03/2026 Jam: 11:41",
            "Kasir: Rina",
            "Keju Cheddar 170g",
            ("2 \u00d7 Rp21,600", "Rp43,200"),
            "Minyak Goreng 2L",
            ("1 x Rp38,900", "Rp38,900"),
            ("Subtotal", "Rp82,100"),
            ("PPN 11%", "Rp9,031"),
            ("Total", "Rp91,131"),
            ("QRIS", "Rp91,131"),
        )
    )
    assert items(reading) == [
        ("Keju Cheddar 170g", "2", 21600, 43200),
        ("Minyak Goreng 2L", "1", 38900, 38900),
    ]
    assert (reading.tax, reading.total, reading.payment) == (9031, 91131, "qris")
    assert reading.date == dt.date(2026, 3, 20) and reading.time == dt.time(11, 41)
    assert not reading.needs_review


def test_building_supply_units_grand_total_and_debit():
    reading = reading_from_boxes(
        receipt(
            "TB. SUMBER JAYA ABADI",
            "Jl. Asia Afrika 8 Telp 08127785626",
            "Tanggal : 17 Apr 2025 19:12",
            "No. Nota: 67441",
            "Semen Gresik 40kg",
            ("3 SAK x 62.000", "186.000"),
            "Besi Beton 10mm",
            ("10 BTG x 82.500", "825.000"),
            ("Jumlah", "1.011.000"),
            ("Potongan", "-5.000"),
            ("Grand Total", "1.006.000"),
            ("Bayar: Debit BRI", "1.006.000"),
        )
    )
    assert items(reading) == [
        ("Semen Gresik 40kg", "3", 62000, 186000),
        ("Besi Beton 10mm", "10", 82500, 825000),
    ]
    assert (reading.discount, reading.total, reading.payment) == (5000, 1006000, "debit")
    assert reading.date == dt.date(2025, 4, 17)
    assert not reading.needs_review


def test_market_stall_decimal_quantities_and_items_without_quantity():
    reading = reading_from_boxes(
        receipt(
            "KIOS BAROKAH",
            "Pasar Minggu Blok B2",
            "17-06-25 19:23",
            "Bawang Merah",
            (" 0,5 @ 40.000", "20.000"),
            ("Cabe Rawit", "65.000"),
            ("TOTAL", "85.000"),
            ("Tunai", "100.000"),
            ("Kembali", "15.000"),
        )
    )
    assert items(reading) == [
        ("Bawang Merah", "0.5", 40000, 20000),
        ("Cabe Rawit", "1", 65000, 65000),
    ]
    assert reading.date == dt.date(2025, 6, 17)
    assert isinstance(reading.items[0].qty, Decimal)
    assert not reading.needs_review


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.500", [12500]),
        ("Rp12,500", [12500]),
        ("Rp 12.500", [12500]),
        ("Rp. 1.290.000", [1290000]),
        ("-2.000", [-2000]),
        ("500", [500]),
        ("12.500,00", [12500]),
        ("2 x 12.500 25.000", [2, 12500, 25000]),
    ],
)
def test_amount_formats(text, expected):
    assert parsing.amounts(parsing.clean(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1O.5OO", "10.500"),  # O read for 0
        ("Rp2l,6OO", "Rp21,600"),
        ("Rp29, 600", "Rp29,600"),  # a space after the separator
        ("Sep2025", "Sep2025"),  # a word stays a word
        ("KSR/ANI", "KSR/ANI"),
        ("BANG0", "BANGO"),  # and a zero among letters is the letter O
        ("17\u03b8g", "170g"),
        ("220ML", "220ML"),
    ],
)
def test_digits_the_ocr_confuses_are_fixed_only_in_numbers(text, expected):
    assert parsing.clean(text) == expected


@pytest.mark.parametrize(
    ("text", "date", "time"),
    [
        ("06.12.2026-14:32 2.1.07", dt.date(2026, 12, 6), dt.time(14, 32)),
        ("Tgl: 06/12/2026 Jam: 14:32", dt.date(2026, 12, 6), dt.time(14, 32)),
        ("Tanggal : 6 Des 2026 10:15", dt.date(2026, 12, 6), dt.time(10, 15)),
        ("06 Desember 2026", dt.date(2026, 12, 6), None),
        ("06-12-26 07:45", dt.date(2026, 12, 6), dt.time(7, 45)),
        ("2026-12-06 21:05:33", dt.date(2026, 12, 6), dt.time(21, 5)),
        ("24-06-2613:23", dt.date(2026, 6, 24), dt.time(13, 23)),  # OCR glued date and time
        ("Tanggal : 27 Sep202520:01", dt.date(2025, 9, 27), dt.time(20, 1)),
        ("Tanggal : 40kt 2026 10:42", dt.date(2026, 10, 4), dt.time(10, 42)),  # "4 Okt"
        ("Tanggal : 27 5ep 2025", dt.date(2025, 9, 27), None),
        ("31.02.2026", None, None),  # no such day
    ],
)
def test_indonesian_dates_and_times(text, date, time):
    text = parsing.clean(text)
    assert parsing.find_date(text) == date
    if date:
        assert parsing.find_time(parsing.DATE_NUMERIC.sub(" ", text)) == time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 x 12.500 25.000", (Decimal(2), 12500, 25000)),
        ("2x Rp12,500 Rp25,000", (Decimal(2), 12500, 25000)),
        ("3 SAK x 62.000 186.000", (Decimal(3), 62000, 186000)),
        ("0,5 @ 40.000 20.000", (Decimal("0.5"), 40000, 20000)),
        ("2 PCS @ 7.500", (Decimal(2), 7500, None)),
        ("Keramik 40x40", None),
    ],
)
def test_quantity_rows(text, expected):
    assert parsing.qty_row(parsing.clean(text)) == expected


def test_quantity_row_whose_at_sign_was_read_as_a_separate_zero():
    reading = reading_from_boxes(
        receipt(
            "KIOS A",
            "07-03-25 11:59",
            "Ikan Kembung",
            ("2 0 39.000", "78.000"),
            ("TOTAL", "78.000"),
        )
    )
    assert items(reading) == [("Ikan Kembung", "2", 39000, 78000)]


def test_a_name_split_into_overlapping_boxes_stays_on_its_row():
    boxes = [
        box("TOKO A", 20, 20),
        box("01/02/2026", 20, 50),
        box("KECAP", 47, 80, width=108),
        box("BANGO 220ML", 139, 81, width=197),
        box("1 10.300 10.300", 380, 80),
        box("TOTAL", 20, 110),
        box("10.300", 380, 110),
    ]
    assert [row.text for row in group_rows(boxes)][2] == "KECAP BANGO 220ML 1 10.300 10.300"
    assert items(reading_from_boxes(boxes)) == [("KECAP BANGO 220ML", "1", 10300, 10300)]


def test_quantity_row_whose_at_sign_was_read_as_a_digit():
    reading = reading_from_boxes(
        receipt(
            "KIOS BAROKAH",
            "17-06-25 19:23",
            "Tahu Putih",
            ("307.000", "21.000"),  # "3 @ 7.000"
            ("TOTAL", "21.000"),
        )
    )
    assert items(reading) == [("Tahu Putih", "3", 7000, 21000)]
    assert not reading.needs_review


@pytest.mark.parametrize(
    ("label", "method"),
    [
        ("TUNAI", "tunai"),
        ("Cash", "tunai"),
        ("QRIS", "qris"),
        ("Debit BCA", "debit"),
        ("Kartu Kredit", "kredit"),
        ("Bayar: Transfer", "transfer"),
        ("GoPay", "ewallet"),
    ],
)
def test_payment_methods(label, method):
    reading = reading_from_boxes(
        receipt(
            "TOKO A",
            "01/02/2026",
            ("Teh", "5.000"),
            ("TOTAL", "5.000"),
            (label, "5.000"),
        )
    )
    assert reading.payment == method


def test_items_that_do_not_add_up_go_to_review():
    rows = list(MINIMARKET)
    rows[6] = ("GULA PASIR 1KG", "1 17.700 11.700")  # a misread line total, not repairable
    rows[5] = ("SABUN LIFEBUOY", "4 4.800 19.800")
    reading = reading_from_boxes(receipt(*rows))
    assert reading.needs_review
    assert reading.total == 60500  # the printed total, and the cash paid minus change, agree
    assert any("add up" in str(reason) or "tidak" in str(reason) for reason in reading.reasons)


def test_a_misread_total_is_never_unflagged():
    rows = list(MINIMARKET)
    for wrong in ("66.500", "60.800", "6.500", "60.5OO8"):
        rows[11] = ("TOTAL :", wrong)
        reading = reading_from_boxes(receipt(*rows))
        assert reading.needs_review or reading.total == 60500, wrong


def test_a_wrong_total_with_no_other_witness_is_flagged_and_kept():
    reading = reading_from_boxes(
        receipt("TOKO A", "01/02/2026", ("Teh", "5.000"), ("Kopi", "6.000"), ("TOTAL", "12.000"))
    )
    assert reading.needs_review
    assert reading.total == 12000


def test_one_inconsistent_line_total_is_repaired_from_quantity_times_price():
    rows = list(MINIMARKET)
    rows[5] = ("SABUN LIFEBUOY", "4 4.800 79.200")  # 19.200 misread
    reading = reading_from_boxes(receipt(*rows))
    assert items(reading)[0] == ("SABUN LIFEBUOY", "4", 4800, 19200)
    assert not reading.needs_review


def test_low_ocr_confidence_on_amounts_goes_to_review():
    reading = reading_from_boxes(receipt(*MINIMARKET, score=0.5))
    assert reading.needs_review


def test_no_date_goes_to_review():
    rows = [row for row in MINIMARKET if row != "19.02.2026-08:31 2.1.36 KSR/ANI"]
    reading = reading_from_boxes(receipt(*rows))
    assert reading.date is None and reading.needs_review


def test_no_total_goes_to_review():
    reading = reading_from_boxes(
        receipt("TOKO A", "01/02/2026", ("Teh", "5.000"), ("Kopi", "6.000"))
    )
    assert reading.needs_review
    assert reading.total == 11000  # the items' sum, offered for the seller to confirm


def test_not_a_receipt():
    with pytest.raises(UnreadableImage):
        reading_from_boxes(receipt("SELAMAT DATANG", "DI RUMAH KAMI"))
    with pytest.raises(UnreadableImage):
        reading_from_boxes([])


def test_rows_are_grouped_on_a_tilted_photo():
    boxes = receipt(*MINIMARKET, angle=5.0)
    rows = group_rows(boxes)
    assert len(rows) == len(MINIMARKET)
    assert rows[5].text == "SABUN LIFEBUOY 4 4.800 19.200"
    reading = reading_from_boxes(boxes)
    assert reading.total == 60500 and not reading.needs_review


def test_rows_are_grouped_on_a_curved_photo():
    boxes = []
    for index, row in enumerate(MINIMARKET):
        y = 20 + index * LINE
        if isinstance(row, tuple):
            boxes.append(box(row[0], 20, y))
            boxes.append(box(row[1], 380, y + 9))  # the paper bends down on the right
        else:
            boxes.append(box(row, 20, y))
    assert [row.text for row in group_rows(boxes)][9] == "HARGA JUAL : 61.000"
