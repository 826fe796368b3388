from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from merdeka.books.expense_forms import QuickExpenseForm
from merdeka.core import dashboard, selectors, services, twofactor
from merdeka.core.decorators import shop_member
from merdeka.core.forms import (
    ExportPolicyForm,
    LoginForm,
    RoleForm,
    ShopSettingsForm,
    ShopSwitchForm,
    StaffAddForm,
)
from merdeka.core.middleware import SESSION_SHOP_KEY
from merdeka.core.models import Membership
from merdeka.privacy import incidents
from merdeka.privacy.audit import audit_record


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.has_two_factor(user):
            # the password was right; signed in only once the code is too
            twofactor.pending_start(
                self.request,
                user=user,
                backend=user.backend,
                next_url=self.get_success_url(),
            )
            return redirect("login_verify")
        response = super().form_valid(form)
        memberships = selectors.user_memberships(user=form.get_user())
        shop = memberships[0].shop if memberships else None
        if shop is not None:
            self.request.session[SESSION_SHOP_KEY] = shop.pk
        audit_record(action="auth.login", shop=shop, actor=form.get_user(), request=self.request)
        return response


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_record(action="auth.logout", shop=request.shop, request=request)
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("login")


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(
            user=request.user, new_password=form.cleaned_data["new_password1"], request=request
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "registration/password_change.html", {"form": form})


@shop_member
def home(request):
    """The shop's dashboard (``merdeka.core.dashboard``) with the quick expense."""
    shop = request.shop
    context = {
        "figures": selectors.home_figures(shop=shop),
        "dash": dashboard.dashboard(shop=shop, membership=request.membership),
        "expense_form": QuickExpenseForm(shop=shop, user=request.user),
    }
    if request.membership.is_owner:
        context["offer_two_factor"] = not twofactor.has_two_factor(request.user)
        # the 3 x 24-hour duty of UU PDP art. 46, until the owner marks the notices sent
        context["incidents_due"] = incidents.incidents_due(shop=request.shop)
    return render(request, "core/home.html", context)


@login_required
@require_POST
def shop_switch(request):
    form = ShopSwitchForm(request.POST)
    if not form.is_valid():
        raise Http404
    membership = selectors.membership_for(user=request.user, shop_id=form.cleaned_data["shop_id"])
    if membership is None:
        raise Http404
    request.session[SESSION_SHOP_KEY] = membership.shop_id
    audit_record(action="shop.switched", shop=membership.shop, request=request)
    messages.success(request, _("You are now working in %(shop)s.") % {"shop": membership.shop})
    return redirect("home")


@shop_member(owner=True)
def shop_settings(request):
    shop = request.shop
    form = ShopSettingsForm(
        request.POST or None,
        initial={
            "name": shop.name,
            "time_zone": shop.time_zone,
            "require_two_factor": shop.require_two_factor,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.shop_update(
                shop=shop, actor=request.user, request=request, **form.cleaned_data
            )
        except services.ServiceError as exc:
            form.add_error("require_two_factor", str(exc))
        else:
            messages.success(request, _("Shop settings saved."))
            return redirect("shop_settings")
    return render(request, "core/shop_settings.html", {"form": form})


@shop_member(owner=True)
def staff(request):
    form = StaffAddForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            membership, password = services.staff_add(
                shop=request.shop, actor=request.user, request=request, **form.cleaned_data
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            created = {"membership": membership, "password": password}
            messages.success(
                request,
                _("%(username)s has joined the shop.") % {"username": membership.user.username},
            )
            form = StaffAddForm()
    context = {
        "form": form,
        "created": created,
        "members": selectors.staff_list(shop=request.shop),
        "role_form": RoleForm(),
        "export_form": _export_form(request.shop),
    }
    response = render(request, "core/staff.html", context)
    if created and created["password"]:
        response["Cache-Control"] = "no-store"
    return response


def _export_form(shop) -> ExportPolicyForm:
    return ExportPolicyForm(initial={"staff_may_export": shop.staff_may_export})


@shop_member(owner=True)
@require_POST
def staff_export(request):
    """What the staff role may do: export customers and orders, or not."""
    form = ExportPolicyForm(request.POST)
    if form.is_valid():
        allowed = form.cleaned_data["staff_may_export"]
        services.staff_export_set(
            shop=request.shop, actor=request.user, allowed=allowed, request=request
        )
        if allowed:
            messages.success(request, _("Staff may now export customers and orders."))
        else:
            messages.success(request, _("Only owners may export now."))
    return redirect("staff")


def _membership_or_404(request, membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user").get(pk=membership_id, shop=request.shop)
    except Membership.DoesNotExist:
        raise Http404 from None


@shop_member(owner=True)
@require_POST
def staff_remove(request, membership_id: int):
    membership = _membership_or_404(request, membership_id)
    try:
        services.staff_remove(
            shop=request.shop, actor=request.user, membership_id=membership.pk, request=request
        )
    except services.ServiceError as exc:
        if request.htmx:
            return render(
                request,
                "core/staff.html#member-row",
                {"member": membership, "error": str(exc), "role_form": RoleForm()},
            )
        messages.error(request, str(exc))
        return redirect("staff")
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("%(username)s was removed.") % {"username": membership.user})
    return redirect("staff")


@shop_member(owner=True)
@require_POST
def staff_role(request, membership_id: int):
    membership = _membership_or_404(request, membership_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.staff_set_role(
                shop=request.shop,
                actor=request.user,
                membership_id=membership.pk,
                role=form.cleaned_data["role"],
                request=request,
            )
            messages.success(request, _("Role changed."))
        except services.ServiceError as exc:
            messages.error(request, str(exc))
    return redirect("staff")


@shop_member(owner=True)
@require_POST
def staff_password_reset(request, membership_id: int):
    membership = _membership_or_404(request, membership_id)
    try:
        password = services.staff_password_reset(
            shop=request.shop, actor=request.user, membership_id=membership.pk, request=request
        )
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("staff")
    context = {
        "form": StaffAddForm(),
        "created": {"membership": membership, "password": password, "reset": True},
        "members": selectors.staff_list(shop=request.shop),
        "role_form": RoleForm(),
        "export_form": _export_form(request.shop),
    }
    response = render(request, "core/staff.html", context)
    response["Cache-Control"] = "no-store"
    return response


@cache_control(max_age=86400, public=True)
def favicon(request):
    """``/favicon.ico``, which browsers ask for by themselves (a plain-text page such as
    security.txt has no icon link): the app's icon, instead of a 404 in every log."""
    path = finders.find("merdeka/favicon.svg")
    return FileResponse(open(path, "rb"), content_type="image/svg+xml")
