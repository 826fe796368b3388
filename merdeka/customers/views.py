from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from merdeka.books.debts import customer_owes
from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.customers import export, review, search, selectors, services
from merdeka.customers.forms import (
    ConsentForm,
    CustomerFilterForm,
    CustomerForm,
    NoteForm,
    SegmentForm,
    TagForm,
)
from merdeka.customers.models import Customer, MatchSuggestion, Merge, Segment
from merdeka.customers.stats import RFM_LABELS, channels_of, rfm_words
from merdeka.outreach.selectors import customer_deliveries
from merdeka.privacy import crypto
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import consent_history, consent_state, is_restricted
from merdeka.privacy.models import ConsentChannel
from merdeka.privacy.selectors import audit_events


@shop_member
def customer_add(request):
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                shop=request.shop, actor=request.user, request=request, **form.cleaned_data
            )
        except services.CustomerConflict as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customer_detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form})


@shop_member
def customer_detail(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    audit_record(action="customer.viewed", shop=request.shop, target=customer, request=request)
    shop = request.shop
    orders = selectors.customer_orders(shop=shop, customer=customer)
    stats = selectors.customer_stats(shop=shop, customer=customer)
    selectors.with_known_as(shop=shop, customers=[customer])
    consents = consent_state(shop=shop, customer=customer)
    context = {
        "customer": customer,
        "history": audit_events(shop=shop, target=customer)[:30],
        "identities": selectors.customer_identities(shop=shop, customer=customer),
        "orders": orders,
        "summary": selectors.customer_summary(customer=customer, orders=orders),
        "stats": stats,
        "channels": channels_of(stats.channels) if stats else [],
        "group_label": RFM_LABELS.get(stats.rfm_group, "") if stats else "",
        "group_words": rfm_words(stats),
        "merges": selectors.customer_merges(shop=shop, customer=customer),
        "tags": selectors.customer_tags(shop=shop, customer=customer),
        "all_tags": selectors.shop_tags(shop=shop),
        "notes": selectors.customer_notes(shop=shop, customer=customer),
        "consents": [(label, consents.get(value)) for value, label in ConsentChannel.choices],
        "can_ask": consents.get(ConsentChannel.WHATSAPP) is None
        and bool(customer.phone)
        and not is_restricted(shop=shop, customer=customer),
        "consent_history": list(consent_history(shop=shop, customer=customer)[:20]),
        "tag_form": TagForm(),
        "note_form": NoteForm(),
        "consent_form": ConsentForm(),
        "deliveries": customer_deliveries(shop=shop, customer=customer, limit=20),
        "owes": customer_owes(shop=shop, customer=customer),
    }
    return render(request, "customers/detail.html", context)


def _with_sides(request, suggestions) -> None:
    """Give each suggestion ``sides``: its two customers with where each came from."""
    customers = [c for suggestion in suggestions for c in suggestion.pair]
    selectors.with_known_as(shop=request.shop, customers=customers)
    origins = selectors.record_origins(shop=request.shop, customer_ids=[c.pk for c in customers])
    for suggestion in suggestions:
        suggestion.sides = [(c, origins.get(c.pk, [])) for c in suggestion.pair]


@shop_member
def review_queue(request):
    """Groups of alike suggestions and single ones, what matters most first."""
    page = Paginator(review.queue_entries(shop=request.shop), 20).get_page(request.GET.get("page"))
    members = review.entries_members(shop=request.shop, entries=page.object_list)
    entries = []
    for entry in page.object_list:
        found = members.get(entry["key"], [])
        if found:
            entries.append({**entry, "members": found, "first": found[0]})
    _with_sides(request, [e["first"] for e in entries])
    return render(request, "customers/review.html", {"page": page, "entries": entries})


@shop_member
def review_group(request, group: int):
    """Every member of one group, and one tap that decides them all."""
    members = review.group_members(shop=request.shop, group=group)
    if not members:  # decided already, or not this shop's
        raise Http404
    _with_sides(request, members)
    return render(request, "customers/review_group.html", {"group": group, "members": members})


@shop_member
@require_POST
def review_group_decide(request, group: int, decision: str):
    if decision not in ("gabung", "pisah"):
        raise Http404
    shown = [int(pk) for pk in request.POST.getlist("member") if pk.isdigit()]
    try:
        count = services.suggestions_decide_group(
            shop=request.shop,
            actor=request.user,
            group=group,
            suggestion_ids=shown,
            merge=decision == "gabung",
            request=request,
        )
    except MatchSuggestion.DoesNotExist:
        raise Http404 from None
    if decision == "gabung":
        messages.success(
            request,
            ngettext(
                "%(count)d pair merged. You can undo each from the customer's page.",
                "%(count)d pairs merged. You can undo each from the customer's page.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d pair kept apart. They will not be suggested again.",
                "%(count)d pairs kept apart. They will not be suggested again.",
                count,
            )
            % {"count": count},
        )
    return redirect("review_queue")


@shop_member
@require_POST
def review_decide(request, suggestion_id: int, decision: str):
    if decision not in ("gabung", "pisah"):
        raise Http404
    try:
        services.suggestion_decide(
            shop=request.shop,
            actor=request.user,
            suggestion_id=suggestion_id,
            merge=decision == "gabung",
            request=request,
        )
    except MatchSuggestion.DoesNotExist:
        raise Http404 from None
    if decision == "gabung":
        messages.success(request, _("Merged. You can undo it from the customer's page."))
    else:
        messages.success(request, _("Kept apart. They will not be suggested again."))
    group = request.POST.get("group", "")
    if group.isdigit() and review.group_members(shop=request.shop, group=int(group)):
        # decided on a group's page: back to what is left of it
        return redirect("review_group", group=int(group))
    return redirect("review_queue")


@shop_member
@require_POST
def merge_undo(request, merge_id: int):
    try:
        services.merge_undo(
            shop=request.shop, actor=request.user, merge_id=merge_id, request=request
        )
    except Merge.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The merge was undone: they are two customers again."))
    return redirect("customer_list")


# -- the customer workspace ------------------------------------------------------------

PAGE_SIZE = 25
_QUERY_LABEL = "customers.search"


def seal_query(shop, query: str) -> str:
    """Search words as they travel in a URL: sealed with the shop's data key, so no
    name or number ever shows in a link, a browser history or an access log."""
    return crypto.encrypt(
        query,
        shop_id=shop.pk,
        label=_QUERY_LABEL,
        column="q",
        row=str(shop.pk),
        version=crypto.active_data_key_version(shop.pk),
    )


def open_query(shop, token: str) -> str | None:
    try:
        return crypto.decrypt(
            token, shop_id=shop.pk, label=_QUERY_LABEL, column="q", row=str(shop.pk)
        )
    except crypto.DecryptionError:
        return None


def _filter_data(request, source) -> dict:
    """Filter data from a query string or a form post, the search words unsealed."""
    data = {k: v for k, v in source.items() if k not in ("s", "page", "csrfmiddlewaretoken")}
    sealed = source.get("s")
    if sealed and not data.get("q"):
        data["q"] = open_query(request.shop, sealed) or ""
    return data


def _list_query(request, form) -> str:
    """The query string of a filtered list: filters in the clear, search words sealed."""
    from django.utils.http import urlencode

    params = form.segment_data()
    query = form.cleaned_data.get("q")
    if query:
        params["s"] = seal_query(request.shop, query)
    return urlencode(params)


WALK_FROM = 5000  # matches from which a page is read by walking the sort's index


class _ListPaginator(Paginator):
    """Counts with the filters' indexes; reads a page of many matches by walking the
    sort's index instead (see ``selectors.stats_filtered(walk_order=)``)."""

    def __init__(self, rows, walk_rows, per_page):
        super().__init__(rows, per_page)
        self._walk_rows = walk_rows

    def page(self, number):
        number = self.validate_number(number)
        if self.count >= WALK_FROM:
            self.object_list = self._walk_rows
        return super().page(number)


def _rows(request, filters):
    """The list's rows for counting and for walking; a search is matched once for both."""
    shop = request.shop
    ids = ...
    if filters.get("q"):
        with shop_scope(shop):
            ids = search.matching_customer_ids(shop=shop, query=filters["q"])
    return (
        selectors.stats_filtered(shop=shop, filters=filters, search_ids=ids),
        selectors.stats_filtered(shop=shop, filters=filters, walk_order=True, search_ids=ids),
    )


def _list_context(request, form, rows, walk_rows=None, **extra) -> dict:
    walk_rows = rows if walk_rows is None else walk_rows
    paginator = _ListPaginator(
        rows.select_related("customer"), walk_rows.select_related("customer"), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    tags = selectors.tags_of(shop=request.shop, customer_ids=[r.customer_id for r in page])
    selectors.with_known_as(shop=request.shop, customers=[r.customer for r in page])
    for row in page:
        row.tag_names = tags.get(row.customer_id, [])
        row.group_label = RFM_LABELS.get(row.rfm_group, "")
    return {"page": page, "form": form, **extra}


@shop_member
def customer_list(request):
    if request.method == "POST" or "q" in request.GET:
        source = request.POST if request.method == "POST" else request.GET
        form = CustomerFilterForm(_filter_data(request, source), shop=request.shop)
        if form.is_valid():
            query = _list_query(request, form)
            return redirect(reverse("customer_list") + (f"?{query}" if query else ""))
    else:
        form = CustomerFilterForm(_filter_data(request, request.GET), shop=request.shop)
    walk_rows = None
    if form.is_valid():
        filters = form.cleaned_data
        rows, walk_rows = _rows(request, filters)
        filtered = form.is_filtered()
        searched = bool(filters.get("q"))
        unsearchable = searched and not search.query_terms(filters["q"])
    else:
        rows = selectors.stats_filtered(shop=request.shop, filters={}).none()
        filtered, searched, unsearchable = True, False, False
    query = _list_query(request, form) if form.is_valid() else ""
    context = _list_context(
        request,
        form,
        rows,
        walk_rows,
        filtered=filtered,
        searched=searched,
        unsearchable=unsearchable,
        list_query=query,
        sealed_query=seal_query(request.shop, form.cleaned_data["q"])
        if form.is_valid() and form.cleaned_data.get("q")
        else "",
        segment_form=SegmentForm(),
        pending_reviews=selectors.pending_suggestions(shop=request.shop).count(),
    )
    return render(request, "customers/list.html", context)


@shop_member(export=True)
@require_POST
def customer_export(request):
    """The current list (filters and search as on the page) as CSV or XLSX."""
    form = CustomerFilterForm(_filter_data(request, request.POST), shop=request.shop)
    if not form.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect("customer_list")
    rows = selectors.stats_filtered(shop=request.shop, filters=form.cleaned_data)
    return _export_response(request, rows, filtered=form.is_filtered(), name="pelanggan")


def _export_response(request, rows, *, filtered: bool, name: str, segment=None):
    fmt = request.POST.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fmt = "csv"
    export.export_started(
        shop=request.shop,
        actor=request.user,
        fmt=fmt,
        count=rows.count(),
        segment=segment,
        filtered=filtered,
        request=request,
    )
    return export.download(shop=request.shop, fmt=fmt, name=name, stats_rows=rows)


@shop_member
def segment_list(request):
    """Saved segments and the RFM groups, each with its live count; POST saves one."""
    if request.method == "POST":
        name_form = SegmentForm(request.POST)
        filters = CustomerFilterForm(_filter_data(request, request.POST), shop=request.shop)
        if name_form.is_valid() and filters.is_valid():
            try:
                segment = services.segment_create(
                    shop=request.shop,
                    actor=request.user,
                    name=name_form.cleaned_data["name"],
                    filters=filters.segment_data(),
                    query=filters.cleaned_data.get("q") or "",
                    request=request,
                )
            except services.SegmentError as exc:
                name_form.add_error("name", str(exc))
            else:
                messages.success(request, _("Segment saved."))
                return redirect("segment_detail", segment_id=segment.pk)
        if not filters.is_valid():
            name_form.add_error(None, _("The filters are not valid; the segment was not saved."))
    else:
        name_form = None
    context = {
        "segments": selectors.segments_with_counts(shop=request.shop),
        "groups": selectors.rfm_group_counts(shop=request.shop),
        "name_form": name_form,
    }
    return render(request, "customers/segments.html", context, status=400 if name_form else 200)


def _segment_or_404(request, segment_id):
    try:
        return selectors.segment_get(shop=request.shop, segment_id=segment_id)
    except Segment.DoesNotExist:
        raise Http404 from None


@shop_member
def segment_detail(request, segment_id: int):
    """A saved segment is the customer list with its filters."""
    segment = _segment_or_404(request, segment_id)
    form = CustomerFilterForm(selectors.segment_filters(segment=segment), shop=request.shop)
    walk_rows = None
    if form.is_valid():
        rows, walk_rows = _rows(request, form.cleaned_data)
    else:
        rows = selectors.stats_filtered(shop=request.shop, filters={}).none()
    context = _list_context(
        request,
        form,
        rows,
        walk_rows,
        segment=segment,
        filtered=True,
        searched=bool(form.is_valid() and form.cleaned_data.get("q")),
        unsearchable=False,
        list_query=_list_query(request, form) if form.is_valid() else "",
        sealed_query=seal_query(request.shop, segment.query) if segment.query else "",
        pending_reviews=0,
    )
    return render(request, "customers/list.html", context)


@shop_member(export=True)
@require_POST
def segment_export(request, segment_id: int):
    segment = _segment_or_404(request, segment_id)
    try:
        rows = selectors.segment_stats(shop=request.shop, segment=segment)
    except selectors.FilterError:
        messages.error(request, _("The segment's filters are not valid; nothing was exported."))
        return redirect("segment_detail", segment_id=segment.pk)
    return _export_response(request, rows, filtered=True, name="segmen", segment=segment)


@shop_member
@require_POST
def segment_delete(request, segment_id: int):
    segment = _segment_or_404(request, segment_id)
    services.segment_delete(shop=request.shop, actor=request.user, segment=segment, request=request)
    messages.success(request, _("Segment deleted."))
    return redirect("segment_list")


def _customer_or_404(request, customer_id):
    try:
        return selectors.customer_get(shop=request.shop, customer_id=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None


def _back_to(customer, anchor: str):
    return redirect(reverse("customer_detail", args=[customer.pk]) + f"#{anchor}")


@shop_member
def customer_edit(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    initial = {
        "name": customer.name or "",
        "phone": customer.phone or "",
        "email": customer.email or "",
        "address": customer.address or "",
        "city": customer.city,
        "province": customer.province,
    }
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_edit(
                shop=request.shop,
                actor=request.user,
                customer=customer,
                request=request,
                **form.cleaned_data,
            )
        except services.CustomerConflict as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customer_detail", customer_id=customer.pk)
    status = 400 if form.errors else 200
    return render(
        request, "customers/form.html", {"form": form, "customer": customer}, status=status
    )


@shop_member
@require_POST
def customer_tag_add(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    form = TagForm(request.POST)
    if form.is_valid():
        services.customer_tag_add(
            shop=request.shop,
            actor=request.user,
            customer=customer,
            name=form.cleaned_data["name"],
            request=request,
        )
        messages.success(request, _("Tag added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back_to(customer, "tags")


@shop_member
@require_POST
def customer_tag_remove(request, customer_id: int, tag_id: int):
    customer = _customer_or_404(request, customer_id)
    if not services.customer_tag_remove(
        shop=request.shop, actor=request.user, customer=customer, tag_id=tag_id, request=request
    ):
        raise Http404
    messages.success(request, _("Tag removed."))
    return _back_to(customer, "tags")


@shop_member
@require_POST
def customer_note_add(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.customer_note_add(
            shop=request.shop,
            actor=request.user,
            customer=customer,
            body=form.cleaned_data["body"],
            request=request,
        )
        messages.success(request, _("Note saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back_to(customer, "notes")


@shop_member
@require_POST
def customer_consent(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.customer_consent_record(
            shop=request.shop,
            actor=request.user,
            customer=customer,
            channel=form.cleaned_data["channel"],
            granted=form.cleaned_data["granted"],
            request=request,
        )
        messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, _("Choose a channel and the customer's choice."))
    return _back_to(customer, "consent")
