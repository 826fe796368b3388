"""The column-mapping step of an import: which column of an unknown spreadsheet holds what.

Views parse and authorize, then call one service in imports/mapping.py. Sample values
are read from the sealed upload for this page only; they are escaped like every other
value and never stored.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from merdeka.core.decorators import shop_member
from merdeka.imports import mapping
from merdeka.imports.formats import mapped
from merdeka.imports.models import ColumnMapping, ImportFile
from merdeka.imports.records import RejectedFile

KIND_PARAM = {"pesanan": mapped.ORDERS, "pelanggan": mapped.CONTACTS}
ORDER_GROUPS = (
    (gettext_lazy("Order"), ("order_id", "created_at", "status", "order_total", "shipping_fee")),
    (gettext_lazy("Buyer"), ("buyer_name", "buyer_phone", "email", "username")),
    (gettext_lazy("Delivery"), ("recipient", "street", "city", "province", "postal_code")),
    (
        gettext_lazy("Products"),
        ("product", "sku", "variant", "quantity", "unit_price", "line_total"),
    ),
)
CONTACT_GROUPS = ((gettext_lazy("Customer"), ("name", "phone", "phone_other", "email")),)
OPTION_CHARS = 24


def _option_label(column: dict) -> str:
    label = f"{column['letter']} · {column['name'][:40]}"
    if column["samples"]:
        label += f" — {column['samples'][0][:OPTION_CHARS]}"
    return label


class MappingForm(forms.Form):
    """One select per Merdeka field, listing the file's columns; the checks that matter
    (required fields, one column per field) are mapped.check's, run by the service."""

    def __init__(self, *args, kind: str, sheet: mapped.Sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        options = [("", _("(none)"))] + [
            (str(c["index"]), _option_label(c)) for c in sheet.columns()
        ]
        if kind == mapped.ORDERS:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Where are these orders from?"),
                choices=[("", _("— choose —")), *mapped.CHANNELS],
                required=False,
            )
        for key, label in mapped.fields_for(kind):
            self.fields[key] = forms.ChoiceField(
                label=label,
                choices=options,
                required=False,
                error_messages={
                    "invalid_choice": _("A chosen column does not exist in this file.")
                },
            )

    def choices(self) -> dict[str, int | None]:
        return {
            key: int(self.cleaned_data[key]) if self.cleaned_data.get(key) else None
            for key, _label in mapped.fields_for(self.kind)
        }

    def groups(self):
        groups = ORDER_GROUPS if self.kind == mapped.ORDERS else CONTACT_GROUPS
        return [(legend, [self[name] for name in names]) for legend, names in groups]


def _waiting_file(request, run_id: int, file_id: int) -> ImportFile:
    try:
        return mapping.waiting_file(shop=request.shop, run_id=run_id, file_id=file_id)
    except ImportFile.DoesNotExist:
        raise Http404 from None


def _channel_from_name(name: str) -> str:
    lower = name.lower()
    return next((key for key, _label in mapped.CHANNELS if key in lower), "")


@shop_member
@csrf_protect
def import_mapping(request, run_id: int, file_id: int):
    record = _waiting_file(request, run_id, file_id)
    if record.state != ImportFile.State.MAPPING:
        return redirect("import_run", run_id=record.run_id)
    context = {"record": record}
    try:
        sheet = mapping.file_sheet(shop=request.shop, record=record)
    except RejectedFile as exc:
        context["unreadable"] = str(exc.problem)
        return render(request, "imports/mapping.html", context, status=409)

    asked = KIND_PARAM.get(request.POST.get("jenis") or request.GET.get("jenis", ""))
    kind, channel, initial = mapping.initial_choices(shop=request.shop, sheet=sheet, kind=asked)
    errors: list[str] = []
    if request.method == "POST":
        form = MappingForm(request.POST, kind=kind, sheet=sheet)
        if form.is_valid():
            try:
                mapping.mapping_save(
                    shop=request.shop,
                    actor=request.user,
                    record=record,
                    kind=kind,
                    channel=form.cleaned_data.get("channel", ""),
                    choices=form.choices(),
                    request=request,
                )
            except mapping.MappingInvalid as exc:
                errors = exc.messages
            else:
                messages.success(
                    request,
                    _("Columns saved. Files with these columns are imported from now on."),
                )
                return redirect("import_run", run_id=record.run_id)
        else:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
    else:
        values = {key: str(index) for key, index in initial.items()}
        values["channel"] = channel or _channel_from_name(record.name or "")
        form = MappingForm(initial=values, kind=kind, sheet=sheet)

    context.update(
        {
            "form": form,
            "kind": kind,
            "kind_param": next(k for k, v in KIND_PARAM.items() if v == kind),
            "columns": sheet.columns(),
            "required": mapped.REQUIRED[kind],
            "errors": errors,
        }
    )
    return render(request, "imports/mapping.html", context, status=400 if errors else 200)


@shop_member
@require_POST
@csrf_protect
def import_mapping_cancel(request, run_id: int, file_id: int):
    record = _waiting_file(request, run_id, file_id)
    mapping.mapping_cancel(shop=request.shop, actor=request.user, record=record, request=request)
    return redirect("import_run", run_id=record.run_id)


@shop_member
@require_POST
@csrf_protect
def import_mapping_delete(request, mapping_id: int):
    try:
        mapping.mapping_delete(
            shop=request.shop, actor=request.user, mapping_id=mapping_id, request=request
        )
    except ColumnMapping.DoesNotExist:
        raise Http404 from None
    messages.success(
        request, _("Mapping forgotten. The next file with these columns will ask again.")
    )
    return redirect("import_home")
