"""A realistic seller's history, with the truth known: who is really who.

    .venv/bin/python bench/dataset.py OUT_DIR [--lines 1000000] [--people 300000]

Writes what a growing seller would hand Merdeka after a year on three channels:

* ``shopee/Order.all.2025MM01_2025MMDD.xlsx``: one Shopee export a month (sheet
  ``orders``, the 2025 Indonesian header list), one row per order line;
* ``tiktok/OrderSKUList_2025MM.csv``: one TikTok Shop export a month, with the
  description row under the header and 18-digit order ids;
* ``whatsapp/Chat WhatsApp dengan Pasar …txt``: group-market chats (Android,
  Indonesian), members shown by saved name or, unsaved, by number;
* ``truth.csv``: for every buyer record (channel + marketplace username, or the
  WhatsApp participant as shown), the person it really is.

What makes it hard, as in real exports: Shopee masks the receiver's name, phone
and address on many rows (``S***a``, ``62812****7801``, ``******``), TikTok masks
phones (``(+62)857****3344``); unmasked phones come in every format
(``0812-3456-7890``, ``+62 812 3456 7890``, ``6281234567890``, ``0812 3456 7890``);
names vary between channels (a typo, a dropped or abbreviated last name, "Bu …");
some people have two usernames on one marketplace; a few orders are gifts shipped
to somebody else. Names are drawn so that common ones repeat, as they do.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

GIVEN = """Siti Nur Dewi Ayu Rina Budi Agus Putri Wahyu Indah Sri Eko Dwi Tri Rizky Andi
Fitri Rahmat Yuni Hendra Lestari Bayu Wulan Fajar Intan Dian Arief Ratna Joko Mega Nanda Rudi
Sari Tono Umi Vina Wawan Yanti Zainal Ahmad Muhammad Nurul Annisa Fadli Galih Hana Ilham Jihan
Kurnia Lina Maya Novi Oki Pandu Qori Reza Salsa Taufik Ulfa Vivi Wati Yoga Zahra Bambang Cahya
Dinda Erna Farah Gita Hadi Ika Jaka Kiki Laras Mira Nia Okta Prita Rani Sinta Tika Uli Vera Winda
Yusuf Zaki Aldi Bima Citra Dimas Elsa Firman Gilang Hesti Irfan Juwita Kartika Lukman Melati
Nadia Oscar Puspita Raka Sekar Teguh Utari Vanya Wira Yasmin Arini Bagas Cinta Danu Endah
Fikri Gusti Hanum Imam Jelita Kemal Lutfi Mentari Nabila Permata Rafi Syifa Tegar Ummi Wisnu
Yogi Abdul Bunga Candra Dodi Eka Fauzi Galuh Haris Inggrid Jamal Kusuma Lia Mulyadi Nining
Pratiwi Ratih Suryani Titin Wening Yayuk Asep Dede Ujang Cecep Neneng Euis Iis Atun Komang
Made Ketut Wayan Nyoman Putu Gede Ni Luh Ida Ayu Rangga Rosa Sekar Tiara Ucok Butet Poltak
Ruth Maria Yohanes Petrus Paulus Stefanus Agnes Cornelia Fransiska Melinda Ignatius""".split()
FAMILY = """Rahmawati Santoso Lestari Hidayat Wulandari Saputra Pratama Kurniawan Setiawan
Susanto Wijaya Nugroho Purnomo Hartono Suharto Siregar Nasution Harahap Lubis Simanjuntak
Sitompul Manurung Tampubolon Panjaitan Situmorang Pardede Hutapea Sinaga Ginting Tarigan
Sembiring Sitepu Rangkuti Daulay Pohan Batubara Hasibuan Matondang Simatupang Saragih Purba
Damanik Tanjung Chaniago Piliang Koto Sikumbang Caniago Jambak Syahputra Ramadhan Maulana
Firmansyah Hakim Gunawan Halim Salim Tan Lim Wibowo Utomo Prasetyo Kusumo Sudarsono Mulyono
Widodo Sutrisno Haryanto Budiman Iskandar Syahrial Hamzah Basri Daeng Pangeran Pattiasina
Tuhumury Latuconsina Mandagi Lumentut Rumengan Wowor Sondakh Pandelaki Tumbelaka Aritonang
Marpaung Silalahi Sihombing Napitupulu Simbolon Rajagukguk Pasaribu Hutagalung Sianturi
Nainggolan Anggraini Permatasari Maharani Puspitasari Kusumawati Handayani Safitri Oktaviani
Novitasari Andriani Yulianti Fitriani Kartini Susilawati Rahayu Astuti Utami Wahyuni Setyaningsih
Sulistyowati Pertiwi Ningsih Suryaningsih Amelia Febriani Herlina Irawan Hermawan Suryadi
Fauzan Rizaldi Akbar Hakiki Arifin Syarif Mansur Zulkarnain Effendi Lukito Tjahjadi""".split()
CITIES = [
    ("Kota Bandung", "Jawa Barat"), ("Kota Bekasi", "Jawa Barat"), ("Kota Bogor", "Jawa Barat"),
    ("Kota Depok", "Jawa Barat"), ("Kab. Bandung", "Jawa Barat"), ("Kota Cimahi", "Jawa Barat"),
    ("Kota Jakarta Selatan", "DKI Jakarta"), ("Kota Jakarta Timur", "DKI Jakarta"),
    ("Kota Jakarta Barat", "DKI Jakarta"), ("Kota Jakarta Utara", "DKI Jakarta"),
    ("Kota Tangerang", "Banten"), ("Kota Tangerang Selatan", "Banten"),
    ("Kota Semarang", "Jawa Tengah"), ("Kota Surakarta", "Jawa Tengah"),
    ("Kab. Sleman", "DI Yogyakarta"), ("Kota Yogyakarta", "DI Yogyakarta"),
    ("Kota Surabaya", "Jawa Timur"), ("Kota Malang", "Jawa Timur"), ("Kab. Sidoarjo", "Jawa Timur"),
    ("Kota Denpasar", "Bali"), ("Kota Medan", "Sumatera Utara"), ("Kota Padang", "Sumatera Barat"),
    ("Kota Palembang", "Sumatera Selatan"), ("Kota Pekanbaru", "Riau"), ("Kota Batam", "Kepulauan Riau"),
    ("Kota Bandar Lampung", "Lampung"), ("Kota Pontianak", "Kalimantan Barat"),
    ("Kota Banjarmasin", "Kalimantan Selatan"), ("Kota Balikpapan", "Kalimantan Timur"),
    ("Kota Samarinda", "Kalimantan Timur"), ("Kota Makassar", "Sulawesi Selatan"),
    ("Kota Manado", "Sulawesi Utara"), ("Kota Kendari", "Sulawesi Tenggara"),
    ("Kota Mataram", "Nusa Tenggara Barat"), ("Kota Kupang", "Nusa Tenggara Timur"),
    ("Kota Ambon", "Maluku"), ("Kota Jayapura", "Papua"), ("Kab. Bogor", "Jawa Barat"),
    ("Kab. Tangerang", "Banten"), ("Kab. Bekasi", "Jawa Barat"),
]  # fmt: skip
PRODUCTS = [
    ("Nastar Keju Premium", "NST", 85000), ("Kastengel Edam", "KST", 90000),
    ("Putri Salju", "PS", 55000), ("Rendang Daging 500 gr", "RND", 125000),
    ("Sambal Cumi", "SC", 45000), ("Keripik Tempe Original", "KT", 15000),
    ("Bolu Pandan", "BP", 65000), ("Lapis Legit", "LL", 180000), ("Kue Sagu Keju", "SK", 60000),
    ("Abon Sapi", "AS", 70000), ("Dodol Garut", "DG", 35000), ("Rempeyek Kacang", "RK", 25000),
]  # fmt: skip
VARIANTS = ["", "250 gr", "500 gr", "Pedas", "Original", "Besar"]
SHOPEE_STATUS = ["Selesai"] * 8 + ["Dikirim", "Perlu Dikirim", "Belum Bayar", "Batal"]
TIKTOK_STATUS = ["Selesai"] * 8 + ["Dikirim", "Menunggu pengiriman", "Belum dibayar", "Dibatalkan"]
MOBILE_PREFIXES = ["811", "812", "813", "821", "822", "823", "851", "852", "853", "814", "815",
                   "816", "855", "856", "857", "858", "817", "818", "819", "859", "877", "878",
                   "831", "832", "833", "838", "881", "882", "883", "895", "896", "897", "898"]  # fmt: skip
GROUPS = ["Pasar Kue Zakinah", "Ibu-Ibu Perumahan Griya Asri", "Open PO Dapur Bu Ika",
          "Reseller Nastar Bandung", "Arisan Kuliner Nusantara"]  # fmt: skip
SHOPEE_HEADERS = Path(__file__).resolve().parents[1] / (
    "merdeka/imports/tests/data/marketplaces/shopee_headers.txt"
)
TIKTOK_HEADERS = SHOPEE_HEADERS.with_name("tiktok_headers.txt")


@dataclass
class Person:
    pid: int
    given: str
    family: str
    phone: str  # national digits, e.g. 81234567890
    email: str | None
    city: str
    province: str
    street: str
    shopee: list[str] = field(default_factory=list)  # usernames
    tiktok: list[str] = field(default_factory=list)
    whatsapp: list[str] = field(default_factory=list)  # groups

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}".strip()


def _phone_text(rng: random.Random, national: str) -> str:
    style = rng.random()
    if style < 0.3:
        return f"62{national}"
    if style < 0.55:
        return f"0{national[:3]}-{national[3:7]}-{national[7:]}"
    if style < 0.75:
        return f"+62 {national[:3]} {national[3:7]} {national[7:]}"
    if style < 0.9:
        return f"0{national}"
    return f"0{national[:3]} {national[3:7]} {national[7:]}"


def _variant_name(rng: random.Random, person: Person) -> str:
    """How a person's name is written on another order: mostly the same."""
    roll = rng.random()
    if roll < 0.72:
        return person.name
    if roll < 0.80:
        return person.name.upper() if rng.random() < 0.5 else person.name.lower()
    if roll < 0.88 and person.family:  # a typo in the family name
        family = list(person.family)
        i = rng.randrange(1, len(family))
        family[i] = rng.choice("aiueonrh")
        return f"{person.given} {''.join(family)}"
    if roll < 0.94:
        return f"{'Bu' if rng.random() < 0.7 else 'Pak'} {person.name}"
    if person.family:
        return f"{person.given} {person.family[0]}."
    return person.name


def _username(rng: random.Random, person: Person, taken: set[str]) -> str:
    base = f"{person.given}{rng.choice(['', '.', '_'])}{person.family[: rng.randint(0, 6)]}"
    base = base.lower().replace(" ", "")
    while True:
        name = base + (str(rng.randint(1, 9999)) if rng.random() < 0.8 or base in taken else "")
        if name not in taken:
            taken.add(name)
            return name


def people(count: int, rng: random.Random) -> list[Person]:
    # Zipf-like popularity: common names are very common, as "Siti" and "Nur" are.
    given_weights = [1 / (i + 1) ** 0.8 for i in range(len(GIVEN))]
    family_weights = [1 / (i + 1) ** 0.6 for i in range(len(FAMILY))]
    phones: set[str] = set()
    result = []
    taken_shopee: set[str] = set()
    taken_tiktok: set[str] = set()
    for pid in range(count):
        given = rng.choices(GIVEN, given_weights)[0]
        if rng.random() < 0.25:  # a second given name
            given = f"{given} {rng.choices(GIVEN, given_weights)[0]}"
        family = "" if rng.random() < 0.06 else rng.choices(FAMILY, family_weights)[0]
        while True:
            national = rng.choice(MOBILE_PREFIXES) + str(rng.randint(10_000_000, 99_999_999))
            if national not in phones:
                phones.add(national)
                break
        city, province = rng.choice(CITIES)
        person = Person(
            pid=pid,
            given=given,
            family=family,
            phone=national,
            email=(
                f"{given.split()[0].lower()}.{(family or 'x').lower()}{pid}@example.id"
                if rng.random() < 0.3
                else None
            ),
            city=city,
            province=province,
            street=f"Jl. {rng.choice(FAMILY)} No. {rng.randint(1, 200)}",
        )
        roll = rng.random()
        on_shopee = roll < 0.72
        on_tiktok = roll > 0.45
        if on_shopee:
            person.shopee.append(_username(rng, person, taken_shopee))
            if rng.random() < 0.03:  # a second account
                person.shopee.append(_username(rng, person, taken_shopee))
        if on_tiktok:
            person.tiktok.append(_username(rng, person, taken_tiktok))
        if rng.random() < 0.15:
            person.whatsapp = rng.sample(GROUPS, rng.randint(1, 2))
        result.append(person)
    return result


def _orders_plan(persons: list[Person], lines: int, rng: random.Random):
    """(person, channel, username) per order, until the line budget is spent."""
    accounts = [(p, "shopee", u) for p in persons for u in p.shopee]
    accounts += [(p, "tiktok", u) for p in persons for u in p.tiktok]
    # every account has at least one order; the rest go to loyal buyers more often
    weights = [rng.paretovariate(1.6) for _ in accounts]
    plan = list(accounts)
    budget = lines - int(len(plan) * 1.5)
    extra = rng.choices(accounts, weights, k=max(0, int(budget / 1.5)))
    plan += extra
    rng.shuffle(plan)
    return plan


def _line_count(rng: random.Random) -> int:
    roll = rng.random()
    return 1 if roll < 0.62 else 2 if roll < 0.87 else 3 if roll < 0.96 else 4


def _mask_name(name: str) -> str:
    return f"{name[0]}***{name[-1]}"


def _mask_phone(national: str, tiktok: bool) -> str:
    if tiktok:
        return f"(+62){national[:3]}****{national[-4:]}"
    return f"62{national[:3]}****{national[-4:]}"


def generate(out: Path, *, lines: int = 1_000_000, count: int = 300_000, seed: int = 2026):
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    persons = people(count, rng)
    plan = _orders_plan(persons, lines, rng)
    start = datetime(2025, 1, 1, 6, 0)
    span = 365 * 24 * 3600
    orders_by_month: dict[tuple[str, int], list] = {}
    order_seq = 0
    written_lines = 0
    for person, channel, username in plan:
        if written_lines >= lines:
            break
        when = start + timedelta(seconds=rng.randrange(span))
        n = min(_line_count(rng), lines - written_lines)
        written_lines += n
        order_seq += 1
        gift = rng.random() < 0.003
        recipient = rng.choice(persons) if gift else person
        orders_by_month.setdefault((channel, when.month), []).append(
            (order_seq, when, person, username, recipient, n)
        )
    shopee_columns = [h.strip() for h in SHOPEE_HEADERS.read_text().splitlines() if h.strip()]
    tiktok_columns = [h.strip() for h in TIKTOK_HEADERS.read_text().splitlines() if h.strip()]
    truth = list(
        dict.fromkeys(
            (channel, username, person.pid)
            for (channel, _month), orders in orders_by_month.items()
            for _seq, _when, person, username, _recipient, _n in orders
        )
    )
    (out / "shopee").mkdir(exist_ok=True)
    (out / "tiktok").mkdir(exist_ok=True)
    for (channel, month), orders in sorted(orders_by_month.items()):
        orders.sort(key=lambda o: o[1])
        if channel == "shopee":
            _write_shopee(out / "shopee", month, orders, shopee_columns, rng)
        else:
            _write_tiktok(out / "tiktok", month, orders, tiktok_columns, rng)
    truth += _write_whatsapp(out / "whatsapp", persons, rng)
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["channel", "key", "person"])
        writer.writerows(truth)
    return {"people": count, "orders": order_seq, "lines": written_lines, "records": len(truth)}


def _products(rng: random.Random, n: int):
    for product, sku, price in rng.sample(PRODUCTS, n):
        yield product, sku, price, rng.choice(VARIANTS), rng.randint(1, 3)


def _write_shopee(folder: Path, month: int, orders, columns, rng: random.Random) -> None:
    from openpyxl import Workbook

    last_day = (datetime(2025 + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    path = folder / f"Order.all.2025{month:02d}01_2025{month:02d}{last_day:02d}.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("orders")
    sheet.append(columns)
    index = {name: i for i, name in enumerate(columns)}
    for seq, when, _person, username, recipient, n in orders:
        status = rng.choice(SHOPEE_STATUS)
        masked = status == "Selesai" and rng.random() < 0.55  # finished orders hide the buyer
        name = _mask_name(recipient.name) if masked else _variant_name(rng, recipient)
        phone = _mask_phone(recipient.phone, False) if masked else _phone_text(rng, recipient.phone)
        street = "******" if masked else recipient.street
        lines = list(_products(rng, n))
        total = sum(price * qty for _, _, price, _, qty in lines) + 9000
        order_id = f"25{month:02d}{when.day:02d}{seq:07X}"
        for product, sku, price, variant, qty in lines:
            row = [""] * len(columns)
            values = {
                "No. Pesanan": order_id,
                "Status Pesanan": status,
                "Waktu Pesanan Dibuat": when.strftime("%Y-%m-%d %H:%M"),
                "Waktu Pembayaran Dilakukan": ""
                if status == "Belum Bayar"
                else (when + timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M"),
                "Nama Produk": product,
                "Nama Variasi": variant,
                "Nomor Referensi SKU": f"{sku}-{variant[:3] or '1'}",
                "Harga Setelah Diskon": f"{price:,}".replace(",", "."),
                "Jumlah": str(qty),
                "Total Harga Produk": f"{price * qty:,}".replace(",", "."),
                "Total Pembayaran": f"{total:,}".replace(",", "."),
                "Ongkos Kirim Dibayar oleh Pembeli": "9.000",
                "Username (Pembeli)": username,
                "Nama Penerima": name,
                "No. Telepon": phone,
                "Alamat Pengiriman": street,
                "Kota/Kabupaten": recipient.city.upper(),
                "Provinsi": recipient.province.upper(),
                "Metode Pembayaran": "COD" if rng.random() < 0.3 else "ShopeePay",
                "Opsi Pengiriman": "SPX Standard",
            }
            for key, value in values.items():
                if key in index:
                    row[index[key]] = value
            sheet.append(row)
    workbook.save(path)


def _write_tiktok(folder: Path, month: int, orders, columns, rng: random.Random) -> None:
    path = folder / f"OrderSKUList_2025{month:02d}.csv"
    index = {name: i for i, name in enumerate(columns)}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        described = [""] * len(columns)
        described[index["Order ID"]] = "Platform unique order ID."
        writer.writerow(described)
        for seq, when, _person, username, recipient, n in orders:
            status = rng.choice(TIKTOK_STATUS)
            masked_phone = rng.random() < 0.5
            phone = (
                _mask_phone(recipient.phone, True)
                if masked_phone
                else _phone_text(rng, recipient.phone)
            )
            lines = list(_products(rng, n))
            total = sum(price * qty for _, _, price, _, qty in lines) + 9000
            for product, sku, price, variant, qty in lines:
                row = [""] * len(columns)
                values = {
                    "Order ID": f"57{seq:016d}",
                    "Order Status": status,
                    "Created Time": when.strftime("%d/%m/%Y %H:%M:%S"),
                    "Paid Time": when.strftime("%d/%m/%Y %H:%M:%S"),
                    "Product Name": product,
                    "Variation": variant,
                    "Quantity": str(qty),
                    "Seller SKU": sku,
                    "SKU Unit Original Price": str(price),
                    "SKU Subtotal After Discount": str(price * qty),
                    "Order Amount": str(total),
                    "Shipping Fee After Discount": "9000",
                    "Buyer Username": username + ("\t" if rng.random() < 0.05 else ""),
                    "Recipient": _variant_name(rng, recipient),
                    "Phone #": phone,
                    "Zipcode": str(rng.randint(10000, 99999)),
                    "Country": "Indonesia",
                    "Province": recipient.province,
                    "Regency and City": recipient.city,
                    "Districts": "Kecamatan",
                    "Villages": "Kelurahan",
                    "Detail Address": recipient.street,
                }
                for key, value in values.items():
                    row[index[key]] = value
                writer.writerow(row)


def _write_whatsapp(folder: Path, persons: list[Person], rng: random.Random) -> list:
    """Group-market chats. A member the seller saved shows by name; others by number."""
    folder.mkdir(exist_ok=True)
    truth = []
    members: dict[str, list[tuple[Person, str]]] = {group: [] for group in GROUPS}
    shown_as: dict[int, str] = {}
    saved_names: set[str] = set()
    for person in persons:
        if not person.whatsapp:
            continue
        if person.pid not in shown_as:
            if rng.random() < 0.6:
                national = person.phone
                shown_as[person.pid] = f"+62 {national[:3]}-{national[3:7]}-{national[7:]}"
                truth.append(("whatsapp", "+62" + national, person.pid))
            else:
                # sellers save contacts so that they can tell them apart
                saved = _variant_name(rng, person)
                for suffix in ("", f" {person.city.split()[-1]}", " Kue", " PO", " 2", " 3"):
                    if saved + suffix not in saved_names:
                        saved += suffix
                        break
                else:
                    saved += f" {person.pid}"
                saved_names.add(saved)
                shown_as[person.pid] = saved
                truth.append(("whatsapp", saved, person.pid))
        for group in person.whatsapp:
            members[group].append((person, shown_as[person.pid]))
    texts = ["Ikut 2 kak", "Masih ada kak?", "Sudah transfer ya kak", "Open PO lagi kapan bun?",
             "<Media tidak disertakan>", "Alhamdulillah sudah sampai, enak banget"]  # fmt: skip
    for group, people_in in members.items():
        when = datetime(2025, 1, 1, 7, 0)
        with open(folder / f"Chat WhatsApp dengan {group}.txt", "w", encoding="utf-8") as out:
            out.write(f'01/01/25 07.00 - Anda membuat grup "{group}"\n')
            order = people_in * 3
            rng.shuffle(order)
            for _person, shown in order:
                when += timedelta(seconds=rng.randint(20, 600))
                out.write(f"{when:%d/%m/%y %H.%M} - {shown}: {rng.choice(texts)}\n")
    # one person shown by the same saved name in two groups is one record
    return list(dict.fromkeys(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(generate(args.out, lines=args.lines, count=args.people, seed=args.seed))


if __name__ == "__main__":
    main()
