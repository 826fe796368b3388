"""Indonesian receipts with known truth: photos for the receipt reader's tests and benchmark.

    .venv/bin/python bench/receipts_gen.py OUT_DIR [--count N] [--seed S] [--hard-share 0.5]

Four store layouts — a minimarket (one line per item, "HARGA JUAL / DISKON / TOTAL / TUNAI /
KEMBALI", VAT included), a grocery ("Rp12,500", quantity lines under names, VAT added), a
building-supply shop ("3 SAK x 62.000", "Potongan", debit card) and a market stall's 58 mm printout
("0,5 @ 40.000", some items without a quantity) — drawn in monospaced "thermal" fonts (DejaVu and
Liberation Mono from Debian), then photographed: paper on a table, rotation, uneven light, a
crumpled-looking warp, blur, downscaling and JPEG compression. A *hard* photo is at most 450 px
wide, tilted up to ±7° and saved at JPEG quality 50.

Each receipt writes ``NAME.jpg`` and ``NAME.json`` (the truth: store, date, time, items with
name, qty, unit_price and total, discount, tax, total, payment). Same seed, same receipts.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
]

MINIMARKET_ITEMS = [
    ("GULA PASIR 1KG", 15500, 18500),
    ("INDOMIE GRG", 3100, 3600),
    ("SUSU KENTAL MANIS", 11900, 13900),
    ("MINYAK GRG 2L", 33500, 39000),
    ("KOPI KAPAL API", 1500, 1800),
    ("TEH CELUP SARIWANGI", 6200, 7400),
    ("AQUA 600ML", 3500, 4000),
    ("SABUN LIFEBUOY", 4200, 5100),
    ("TEPUNG TERIGU SGTG", 12800, 14500),
    ("MENTEGA BLUEBAND", 8900, 10500),
    ("TELUR AYAM 10", 24000, 27500),
    ("KECAP BANGO 220ML", 9800, 11900),
    ("GARAM REFINA", 3900, 4500),
    ("ROTI TAWAR", 14500, 17000),
]
GROCERY_ITEMS = [
    ("Minyak Goreng 2L", 34500, 38900),
    ("Telur Ayam 1kg", 27000, 31000),
    ("Beras Premium 5kg", 72000, 79000),
    ("Gula Pasir 1kg", 16500, 18900),
    ("Tepung Terigu 1kg", 12500, 14900),
    ("Santan Kara 65ml", 3900, 4700),
    ("Coklat Bubuk 200g", 21500, 26000),
    ("Keju Cheddar 170g", 19900, 24500),
    ("Susu UHT 1L", 17500, 20900),
    ("Ragi Fermipan", 9500, 11500),
    ("Baking Powder", 6500, 7900),
    ("Vanili Bubuk", 4500, 5900),
]
BUILDING_ITEMS = [
    ("Semen Gresik 40kg", "SAK", 58000, 66000),
    ("Paku 5cm", "KG", 17000, 21000),
    ("Pasir Cor", "M3", 240000, 290000),
    ("Cat Tembok Avian 5kg", "PAIL", 98000, 125000),
    ("Pipa PVC 3/4", "BTG", 24000, 31000),
    ("Besi Beton 10mm", "BTG", 71000, 84000),
    ("Kawat Bendrat", "KG", 21000, 26000),
    ("Triplek 9mm", "LBR", 118000, 139000),
    ("Lem Pipa Isarplas", "PCS", 9000, 12500),
    ("Keramik 40x40", "DUS", 56000, 69000),
]
MARKET_ITEMS = [
    ("Beras Pandan Wangi", 12500, 14500),
    ("Bawang Merah", 36000, 44000),
    ("Bawang Putih", 32000, 38000),
    ("Cabe Rawit", 50000, 70000),
    ("Daging Sapi", 125000, 140000),
    ("Ayam Potong", 34000, 39000),
    ("Tomat", 9000, 14000),
    ("Kentang", 15000, 19000),
    ("Tahu Putih", 5000, 7000),
    ("Tempe", 6000, 8000),
    ("Ikan Kembung", 38000, 46000),
    ("Wortel", 11000, 15000),
]
STORES = {
    "minimarket": ["SUMBER REJEKI MART", "MITRA MART", "BAROKAH MART", "SINAR JAYA MART"],
    "grocery": ["FRESH MARKET SWALAYAN", "SWALAYAN GRIYA", "TOSERBA YOGYA", "SAMUDRA SWALAYAN"],
    "building": ["TB. SUMBER JAYA ABADI", "TOKO BANGUNAN MAJU", "TB. KARYA MANDIRI", "TB. SENTOSA"],
    "market": ["TOKO SEMBAKO BU SRI", "KIOS SAYUR PAK DARMO", "LAPAK IBU NINING", "KIOS BAROKAH"],
}
STREETS = ["JL. MERDEKA NO. 17", "JL. ASIA AFRIKA 8", "JL. DIPONEGORO 45", "JL. PAHLAWAN 3"]
CITIES = ["BANDUNG", "SURABAYA", "YOGYAKARTA", "SEMARANG", "MALANG", "DEPOK"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def dots(amount: int) -> str:
    """12500 → "12.500"."""
    return f"{amount:,}".replace(",", ".")


@dataclass
class Receipt:
    width: int  # characters per line
    lines: list[str] = field(default_factory=list)
    truth: dict = field(default_factory=dict)

    def left_right(self, left: str, right: str) -> None:
        gap = max(1, self.width - len(left) - len(right))
        self.lines.append(left + " " * gap + right)

    def centre(self, text: str) -> None:
        self.lines.append(text.center(self.width).rstrip())

    def rule(self, char: str = "-") -> None:
        self.lines.append(char * self.width)


def _moment(rng: random.Random):
    day = rng.randint(1, 28)
    month = rng.randint(1, 12)
    year = rng.choice([2025, 2026])
    hour, minute = rng.randint(7, 21), rng.randint(0, 59)
    return year, month, day, hour, minute


def _pick(rng: random.Random, catalogue, low: int, high: int):
    return rng.sample(catalogue, rng.randint(low, high))


def _price(rng: random.Random, low: int, high: int, step: int = 100) -> int:
    return rng.randrange(low, high + 1, step) // step * step


def minimarket(rng: random.Random) -> Receipt:
    r = Receipt(width=40)
    store = rng.choice(STORES["minimarket"])
    year, month, day, hour, minute = _moment(rng)
    r.centre(store)
    r.centre(f"{rng.choice(STREETS)} {rng.choice(CITIES)}")
    r.centre(f"NPWP: 01.{rng.randint(100, 999)}.{rng.randint(100, 999)}.8-901.000")
    r.lines.append(
        f"{day:02d}.{month:02d}.{year}-{hour:02d}:{minute:02d}  2.1.{rng.randint(10, 99)}  KSR/ANI"
    )
    r.rule()
    items = []
    for name, low, high in _pick(rng, MINIMARKET_ITEMS, 2, 7):
        qty = rng.choice([1, 1, 1, 2, 2, 3, 4, 5])
        unit = _price(rng, low, high)
        total = qty * unit
        r.lines.append(f"{name[:18]:<18}{qty:>3}{dots(unit):>9}{dots(total):>10}")
        items.append({"name": name[:18], "qty": str(qty), "unit_price": unit, "total": total})
    r.rule()
    gross = sum(i["total"] for i in items)
    discount = rng.choice([0, 0, 0, 500, 1000, 2000, 2500])
    total = gross - discount
    r.left_right("HARGA JUAL :", dots(gross))
    if discount:
        r.left_right("DISKON :", "-" + dots(discount))
    r.left_right("TOTAL :", dots(total))
    paid = -(-total // 50000) * 50000 if rng.random() < 0.7 else total
    payment = "tunai"
    if rng.random() < 0.25:
        payment, paid = "qris", total
        r.left_right("QRIS :", dots(paid))
    else:
        r.left_right("TUNAI :", dots(paid))
        r.left_right("KEMBALI :", dots(paid - total))
    tax = round(total * 11 / 111)
    r.lines.append(f"PPN : {dots(tax)}  DPP : {dots(total - tax)}")
    r.centre("TERIMA KASIH SELAMAT BELANJA")
    r.truth = {
        "layout": "minimarket",
        "store": store,
        "date": f"{year}-{month:02d}-{day:02d}",
        "time": f"{hour:02d}:{minute:02d}",
        "items": items,
        "discount": discount,
        "tax": tax,
        "total": total,
        "payment": payment,
    }
    return r


def grocery(rng: random.Random) -> Receipt:
    r = Receipt(width=36)
    store = rng.choice(STORES["grocery"])
    year, month, day, hour, minute = _moment(rng)
    r.centre(store)
    r.centre(rng.choice(STREETS).title())
    r.lines.append(f"Tgl: {day:02d}/{month:02d}/{year}  Jam: {hour:02d}:{minute:02d}")
    r.lines.append(f"Kasir: {rng.choice(['Dewi', 'Rina', 'Agus', 'Putri'])}")
    r.rule()
    items = []
    for name, low, high in _pick(rng, GROCERY_ITEMS, 2, 6):
        qty = rng.choice([1, 1, 2, 2, 3])
        unit = _price(rng, low, high)
        total = qty * unit
        r.lines.append(name)
        r.left_right(f"  {qty} x Rp{unit:,}", f"Rp{total:,}")
        items.append({"name": name, "qty": str(qty), "unit_price": unit, "total": total})
    r.rule()
    subtotal = sum(i["total"] for i in items)
    r.left_right("Subtotal", f"Rp{subtotal:,}")
    tax = 0
    if rng.random() < 0.5:
        tax = round(subtotal * 0.11)
        r.left_right("PPN 11%", f"Rp{tax:,}")
    total = subtotal + tax
    r.left_right("Total", f"Rp{total:,}")
    payment = rng.choice(["qris", "debit", "tunai", "kredit"])
    label = {"qris": "QRIS", "debit": "Debit BCA", "tunai": "Tunai", "kredit": "Kartu Kredit"}
    r.left_right(label[payment], f"Rp{total:,}")
    r.centre("Terima kasih")
    r.truth = {
        "layout": "grocery",
        "store": store,
        "date": f"{year}-{month:02d}-{day:02d}",
        "time": f"{hour:02d}:{minute:02d}",
        "items": items,
        "discount": 0,
        "tax": tax,
        "total": total,
        "payment": payment,
    }
    return r


def building(rng: random.Random) -> Receipt:
    r = Receipt(width=38)
    store = rng.choice(STORES["building"])
    year, month, day, hour, minute = _moment(rng)
    r.centre(store)
    r.centre(f"{rng.choice(STREETS).title()} Telp 0812{rng.randint(1000000, 9999999)}")
    r.lines.append(f"Tanggal : {day} {MONTHS[month - 1]} {year} {hour:02d}:{minute:02d}")
    r.lines.append(f"No. Nota: {rng.randint(100, 99999):05d}")
    r.rule("=")
    items = []
    for name, unit_name, low, high in _pick(rng, BUILDING_ITEMS, 2, 5):
        qty = rng.choice([1, 2, 3, 5, 10, 20])
        unit = _price(rng, low, high, 500)
        total = qty * unit
        r.lines.append(name)
        r.left_right(f"{qty} {unit_name} x {dots(unit)}", dots(total))
        items.append({"name": name, "qty": str(qty), "unit_price": unit, "total": total})
    r.rule("=")
    gross = sum(i["total"] for i in items)
    discount = rng.choice([0, 0, 5000, 10000, 2500])
    total = gross - discount
    r.left_right("Jumlah", dots(gross))
    if discount:
        r.left_right("Potongan", "-" + dots(discount))
    r.left_right("Grand Total", dots(total))
    payment = rng.choice(["debit", "tunai", "transfer"])
    label = {"debit": "Bayar: Debit BRI", "tunai": "Bayar: Tunai", "transfer": "Bayar: Transfer"}
    r.left_right(label[payment], dots(total))
    r.centre("Barang yang sudah dibeli")
    r.centre("tidak dapat dikembalikan")
    r.truth = {
        "layout": "building",
        "store": store,
        "date": f"{year}-{month:02d}-{day:02d}",
        "time": f"{hour:02d}:{minute:02d}",
        "items": items,
        "discount": discount,
        "tax": 0,
        "total": total,
        "payment": payment,
    }
    return r


def market(rng: random.Random) -> Receipt:
    r = Receipt(width=32)
    store = rng.choice(STORES["market"])
    year, month, day, hour, minute = _moment(rng)
    r.centre(store)
    r.centre(
        f"Pasar {rng.choice(['Kosambi', 'Beringharjo', 'Gede', 'Minggu'])} Blok B{rng.randint(1, 40)}"
    )
    r.lines.append(f"{day:02d}-{month:02d}-{year % 100:02d} {hour:02d}:{minute:02d}")
    r.rule()
    items = []
    for name, low, high in _pick(rng, MARKET_ITEMS, 2, 6):
        unit = _price(rng, low, high, 1000)
        if rng.random() < 0.25:
            r.left_right(name, dots(unit))
            items.append({"name": name, "qty": "1", "unit_price": unit, "total": unit})
            continue
        qty = Decimal(rng.choice(["0.5", "1", "1.5", "2", "3", "5"]))
        total = int(qty * unit)
        shown = str(qty).replace(".", ",")
        r.lines.append(name)
        r.left_right(f" {shown} @ {dots(unit)}", dots(total))
        items.append({"name": name, "qty": str(qty), "unit_price": unit, "total": total})
    r.rule()
    total = sum(i["total"] for i in items)
    r.left_right("TOTAL", dots(total))
    paid = -(-total // 10000) * 10000 + rng.choice([0, 0, 10000, 50000])
    r.left_right("Tunai", dots(paid))
    r.left_right("Kembali", dots(paid - total))
    r.centre("Terima kasih")
    r.truth = {
        "layout": "market",
        "store": store,
        "date": f"{year}-{month:02d}-{day:02d}",
        "time": f"{hour:02d}:{minute:02d}",
        "items": items,
        "discount": 0,
        "tax": 0,
        "total": total,
        "payment": "tunai",
    }
    return r


LAYOUTS = {"minimarket": minimarket, "grocery": grocery, "building": building, "market": market}


def render(receipt: Receipt, rng: random.Random) -> Image.Image:
    """The paper as the printer made it: dark dots on off-white, a little uneven."""
    font = ImageFont.truetype(rng.choice(FONTS), rng.choice([18, 19, 20, 21]))
    char_w = font.getlength("M")
    line_h = int(font.size * rng.uniform(1.25, 1.45))
    margin = 16
    width = int(char_w * receipt.width + 2 * margin)
    height = line_h * len(receipt.lines) + 2 * margin + 20
    paper = Image.new("L", (width, height), rng.randint(232, 250))
    draw = ImageDraw.Draw(paper)
    ink = rng.randint(10, 70)
    for row, line in enumerate(receipt.lines):
        draw.text((margin, margin + row * line_h), line, fill=ink, font=font)
    if rng.random() < 0.5:  # thermal fade: a lighter band
        band = np.array(paper, dtype=np.float32)
        x = np.linspace(0, 1, width)[None, :]
        band = 255 - (255 - band) * (1 - 0.35 * np.exp(-((x - rng.random()) ** 2) / 0.02))
        paper = Image.fromarray(band.clip(0, 255).astype(np.uint8))
    return paper


def photograph(paper: Image.Image, rng: random.Random, hard: bool) -> bytes:
    """The phone's photo of ``paper``: table, tilt, warp, light, blur, size and JPEG."""
    arr = np.array(paper, dtype=np.float32)
    h, w = arr.shape
    # crumpled-looking warp: smooth displacement fields
    if rng.random() < 0.6:
        amp = rng.uniform(1.0, 4.0)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        phase = rng.uniform(0, 6.28)
        dx = amp * np.sin(ys / rng.uniform(60, 160) + phase)
        dy = amp * 0.6 * np.sin(xs / rng.uniform(80, 200) + phase)
        arr = cv2.remap(arr, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # on a table with a border around the paper
    pad_x, pad_y = int(w * rng.uniform(0.05, 0.2)), int(h * rng.uniform(0.03, 0.1))
    table = np.full((h + 2 * pad_y, w + 2 * pad_x), rng.uniform(60, 140), dtype=np.float32)
    table += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, table.shape)
    table[pad_y : pad_y + h, pad_x : pad_x + w] = arr
    # rotation
    angle = rng.uniform(-7, 7) if hard else rng.uniform(-2.5, 2.5)
    th, tw = table.shape
    matrix = cv2.getRotationMatrix2D((tw / 2, th / 2), angle, 1.0)
    table = cv2.warpAffine(
        table, matrix, (tw, th), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    # uneven light: a linear gradient and a soft shadow
    ys, xs = np.mgrid[0:th, 0:tw].astype(np.float32)
    direction = rng.uniform(0, 2 * math.pi)
    ramp = (xs / tw - 0.5) * math.cos(direction) + (ys / th - 0.5) * math.sin(direction)
    light = 1.0 - rng.uniform(0.1, 0.45) * (ramp + 0.5)
    if rng.random() < 0.4:
        cx, cy = rng.uniform(0, tw), rng.uniform(0, th)
        light *= 1 - 0.3 * np.exp(-(((xs - cx) / tw) ** 2 + ((ys - cy) / th) ** 2) / 0.05)
    table = (table * light).clip(0, 255)
    img = Image.fromarray(table.astype(np.uint8)).convert("RGB")
    # blur
    radius = rng.uniform(0.3, 1.0) if hard else rng.uniform(0.0, 0.8)
    if radius > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(radius))
    # size
    target_w = rng.randint(380, 450) if hard else rng.randint(700, 1100)
    target_h = round(img.height * target_w / img.width)
    img = img.resize((target_w, target_h), Image.Resampling.LANCZOS)
    quality = 50 if hard else rng.randint(70, 92)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def generate(seed: int, count: int, hard_share: float = 0.5):
    """Yield (name, jpeg bytes, truth) for ``count`` receipts; the first ``hard_share`` are hard."""
    rng = random.Random(seed)
    names = list(LAYOUTS)
    hard_count = round(count * hard_share)
    for index in range(count):
        layout = names[index % len(names)]
        hard = index < hard_count
        receipt = LAYOUTS[layout](rng)
        paper = render(receipt, rng)
        photo = photograph(paper, rng, hard)
        truth = dict(receipt.truth, hard=hard)
        yield f"{seed}-{index:03d}-{layout}{'-hard' if hard else ''}", photo, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hard-share", type=float, default=0.5)
    parser.add_argument("--max-kb", type=int, help="re-encode larger photos (test data)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, photo, truth in generate(args.seed, args.count, args.hard_share):
        quality = 70
        while args.max_kb and len(photo) > args.max_kb * 1024:
            image = Image.open(io.BytesIO(photo))
            if quality < 50:  # smaller rather than blockier
                image = image.resize((image.width * 9 // 10, image.height * 9 // 10))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=max(quality, 50))
            photo, quality = out.getvalue(), quality - 10
        (args.out / f"{name}.jpg").write_bytes(photo)
        (args.out / f"{name}.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
        print(name, len(photo) // 1024, "KB")


if __name__ == "__main__":
    main()
