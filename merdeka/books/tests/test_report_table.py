"""A report table's rows are written in Python (``documents.Table.body``: a year's
recap has thousands of cells) with the markup the template wrote before, cell for cell:
money, numbers, dates, text, blanks, links on the screen only, notes and row styles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy, override

from merdeka.books.documents import MONEY, NUMBER, TEXT, Row, Table

# the rows as the template wrote them before (books/_report_table.html), but for text
# that is not a date, which the date filter blanked (the pack's customer shares)
BEFORE = """{% load merdeka %}<tbody>
  {% for row, cells in table.cells %}
    <tr{% if row.style %} class="row-{{ row.style }}"{% endif %}>
      <th scope="row">{% if row.link and screen %}<a href="{{ row.link }}">{{ row.label }}</a>{% else %}{{ row.label }}{% endif %}{% if row.note %}<small>{{ row.note }}</small>{% endif %}</th>
      {% for value, kind, column in cells %}<td class="num{% if value is None or value == "" %} blank{% endif %}" data-label="{{ column }}">{% if value is None or value == "" %}{% elif kind == "money" %}{{ value|rupiah }}{% elif kind == "number" or kind == "words" %}{{ value }}{% elif value.year %}{{ value|date:"j M" }}{% else %}{{ value }}{% endif %}</td>{% endfor %}
    </tr>
  {% empty %}
    <tr><td colspan="{{ table.columns|length|add:1 }}">{{ empty_text }}</td></tr>
  {% endfor %}
  </tbody>"""


def squeezed(html: str) -> str:
    html = html[html.index("<tbody>") : html.index("</tbody>") + len("</tbody>")]
    return re.sub(r">\s+<", "><", html).strip()


TABLE = Table(
    "Rekap <harian>",
    "Hari",
    ["Penjualan", "Jumlah", "Tanggal", "Bagian", "Kata & kata"],
    [
        Row("1 Des", [12500, 3, dt.date(2026, 12, 1), "12.5%", "dua"], link="/buku/?a=1&b=2"),
        Row("Kas <laci>", [-5000, 0, None, "", None], style="total", note="#12 · Pesanan"),
        Row(gettext_lazy("Total"), [1250050, 1234567, "", None, "x"], "grand"),
        Row("", [None, None, None, None, None], style="section"),
    ],
    kinds=[MONEY, NUMBER, TEXT, TEXT, "words"],
    key="recap",
)


@pytest.mark.parametrize("screen", [True, False])
def test_the_rows_are_the_markup_the_template_wrote(screen):
    with override("id"):
        before = Template(BEFORE).render(Context({"table": TABLE, "screen": screen}))
        now = render_to_string(
            "books/_report_table.html", {"table": TABLE, "screen": screen, "empty_text": "-"}
        )
    assert squeezed(now) == squeezed(before)


def test_an_empty_table_says_so():
    empty = Table("Kosong", "Hari", ["A"], [])
    html = render_to_string("books/_report_table.html", {"table": empty, "empty_text": "Tidak ada"})
    assert '<td colspan="2">Tidak ada</td>' in html


def test_text_that_is_not_a_date_is_shown_as_it_is():
    with override("id"):
        html = render_to_string(
            "books/_report_table.html", {"table": TABLE, "screen": False, "empty_text": "-"}
        )
    assert 'data-label="Bagian">12.5%</td>' in html
    assert 'data-label="Tanggal">1 Des</td>' in html
