"""Owner-only pages of the breach register (``merdeka.privacy.incidents``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.core import selectors as core_selectors
from merdeka.core import sheets
from merdeka.core.decorators import shop_member
from merdeka.privacy import incidents
from merdeka.privacy.forms import IncidentForm, NoticeMarkForm, NoticeSendForm
from merdeka.privacy.models import Incident


def _incident_or_404(request, incident_id: int) -> Incident:
    try:
        return incidents.incident_get(shop=request.shop, incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404 from None


@shop_member(owner=True)
def incident_list(request):
    rows = [incidents.due(i) for i in incidents.incidents(shop=request.shop)]
    return render(request, "privacy/incident_list.html", {"rows": rows})


@shop_member(owner=True)
def incident_new(request):
    members = core_selectors.staff_list(shop=request.shop)
    form = IncidentForm(request.POST or None, shop=request.shop, members=members)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = incidents.incident_record(
                    shop=request.shop,
                    actor=request.user,
                    request=request,
                    what_happened=data["what_happened"],
                    found_at=data["found_at"],
                    categories=data["categories"],
                    measures=data["measures"],
                    contact=data["contact"],
                    scope=data["scope"],
                    window_start=data["window_start"],
                    window_end=data["window_end"],
                    window_actor=data["window_actor"],
                    chosen=data["chosen"].splitlines(),
                )
            except incidents.IncidentError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "Incident recorded. Tell the customers and the authority "
                        "before the deadline."
                    ),
                )
                return redirect("incident_detail", incident_id=incident.pk)
        status = 400
    return render(request, "privacy/incident_new.html", {"form": form}, status=status)


def _detail(request, incident, *, send_form=None, status=200):
    customers = incidents.affected_customers(shop=request.shop, incident=incident)
    notice = incidents.customer_notice(shop=request.shop, incident=incident)
    context = {
        "incident": incident,
        "due": incidents.due(incident),
        "open": incidents.is_open(incident),
        "customers": customers,
        "categories": incidents.category_labels(incident),
        "notice": notice,
        "send_form": send_form or NoticeSendForm(),
    }
    return render(request, "privacy/incident_detail.html", context, status=status)


@shop_member(owner=True)
def incident_detail(request, incident_id: int):
    return _detail(request, _incident_or_404(request, incident_id))


@shop_member(owner=True)
@require_POST
def incident_send(request, incident_id: int):
    incident = _incident_or_404(request, incident_id)
    form = NoticeSendForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, send_form=form, status=400)
    result = incidents.notices_send(
        shop=request.shop,
        actor=request.user,
        incident=incident,
        channel=form.cleaned_data["channel"],
        request=request,
    )
    messages.success(
        request,
        _("%(sent)s notices on their way; %(skipped)s customers have no address on that channel.")
        % result,
    )
    return redirect("incident_detail", incident_id=incident.pk)


@shop_member(owner=True)
def incident_download(request, incident_id: int):
    incident = _incident_or_404(request, incident_id)
    rows = incidents.notices_rows(
        shop=request.shop, actor=request.user, incident=incident, request=request
    )
    header, *body = rows  # the cells are written by the one place of the rules
    response = StreamingHttpResponse(
        sheets.csv_chunks(header, body, tz=request.shop.time_zone),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pemberitahuan-{incident.pk}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@shop_member(owner=True)
def incident_authority_notice(request, incident_id: int):
    """The letter to the authority, printable; always in Bahasa Indonesia."""
    incident = _incident_or_404(request, incident_id)
    with translation.override("id"):
        letter = incidents.authority_notice(
            shop=request.shop, incident=incident, owner=request.user
        )
        return render(
            request, "privacy/incident_authority.html", {"incident": incident, "letter": letter}
        )


@shop_member(owner=True)
@require_POST
def incident_mark(request, incident_id: int):
    incident = _incident_or_404(request, incident_id)
    form = NoticeMarkForm(request.POST)
    if form.is_valid():
        incidents.incident_mark(
            shop=request.shop,
            actor=request.user,
            incident=incident,
            notice=form.cleaned_data["notice"],
            request=request,
        )
        messages.success(request, _("Marked as sent."))
    return redirect("incident_detail", incident_id=incident.pk)
