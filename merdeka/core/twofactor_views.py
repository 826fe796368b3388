"""Pages of two-factor sign-in: the code step of signing in, and the person's own
settings (turn on, new recovery codes, turn off). See ``merdeka.core.twofactor``."""

from __future__ import annotations

import django_otp
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from merdeka.core import selectors, twofactor
from merdeka.core.forms import PasswordAndCodeForm, SecondStepForm, TwoFactorConfirmForm
from merdeka.core.middleware import SESSION_SHOP_KEY
from merdeka.core.redirects import safe_next
from merdeka.privacy.audit import audit_record


def _locked(request, user):
    twofactor.pending_clear(request)
    return get_lockout_response(request, None, {"username": user.get_username()})


def _signed_in(request, user, *, kind: str):
    """The person passed both steps: the session is theirs now."""
    memberships = selectors.user_memberships(user=user)
    shop = memberships[0].shop if memberships else None
    if shop is not None:
        request.session[SESSION_SHOP_KEY] = shop.pk
    audit_record(
        action="auth.login",
        shop=shop,
        actor=user,
        request=request,
        detail={"second_step": kind},
    )


@never_cache
def login_verify(request):
    """The second step of signing in: the code from the authenticator app, or a
    recovery code. Reached after the password (a pending sign-in), or by a signed-in
    session that has not given a code yet (it started before the authenticator)."""
    if request.user.is_authenticated:
        user = request.user
        if twofactor.is_verified(user) or not twofactor.has_two_factor(user):
            return redirect("home")
        next_url = safe_next(request, reverse("home"))
        pending = None
    else:
        user, pending = twofactor.pending_user(request)
        if user is None:
            messages.info(request, _("Sign in again: the code step waited too long."))
            return redirect("login")
        next_url = pending.get("next") or reverse("home")
    form = SecondStepForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                verified = twofactor.second_step_verify(
                    request=request, user=user, code=form.cleaned_data["code"]
                )
            except twofactor.Locked:
                return _locked(request, user)
            if verified is not None:
                if pending is not None:
                    twofactor.pending_clear(request)
                    auth_login(request, user, backend=pending["backend"])
                    _signed_in(request, user, kind=verified.kind)
                django_otp.login(request, verified.device)
                if verified.kind == "recovery":
                    messages.warning(
                        request,
                        _(
                            "You signed in with a recovery code; %(left)s left. Each works "
                            "once: make new ones under Two-factor sign-in if few are left."
                        )
                        % {"left": verified.recovery_left},
                    )
                return redirect(next_url)
            form.add_error("code", _("That code is not right. Check the app and try again."))
        status = 400
    return render(
        request,
        "registration/login_verify.html",
        {"form": form, "signed_in": pending is None},
        status=status,
    )


@login_required
@never_cache
def two_factor(request):
    """The person's own two-factor settings."""
    user = request.user
    context = {
        "enabled": twofactor.has_two_factor(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "required": twofactor.required_for(request.memberships),
        "form": PasswordAndCodeForm(),
    }
    return render(request, "core/two_factor.html", context)


@login_required
@never_cache
def two_factor_enrol(request):
    """Scan the QR code (or type the secret), confirm with a code, get the recovery
    codes once. The secret waits in the session, sealed, until a code confirms it."""
    user = request.user
    if twofactor.has_two_factor(user):
        return redirect("two_factor")
    key = twofactor.enrolment_key(request.session, user)
    form = TwoFactorConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            codes = twofactor.two_factor_enable(
                user=user, key=key, code=form.cleaned_data["code"], request=request
            )
            if codes is not None:
                messages.success(request, _("Two-factor sign-in is on."))
                return render(request, "core/two_factor_codes.html", {"codes": codes})
            form.add_error(
                "code",
                _("That code is not right. Check that the phone's clock is correct and try again."),
            )
        status = 400
    uri = twofactor.otpauth_uri(user, key)
    context = {
        "form": form,
        "qr": twofactor.qr_data_uri(uri),
        "secret": twofactor.secret_for_typing(key),
        "required": twofactor.required_for(request.memberships),
    }
    return render(request, "core/two_factor_enrol.html", context, status=status)


def _password_and_code(request):
    """The form of the settings page, checked: the password and a code, both right."""
    user = request.user
    form = PasswordAndCodeForm(request.POST)
    if not form.is_valid():
        return form, False
    try:
        ok = twofactor.password_and_code_check(
            request=request,
            user=user,
            password=form.cleaned_data["password"],
            code=form.cleaned_data["code"],
        )
    except twofactor.Locked:
        return None, False
    if not ok:
        form.add_error(None, _("The password or the code is not right."))
    return form, ok


def _settings_page(request, form):
    context = {
        "enabled": twofactor.has_two_factor(request.user),
        "codes_left": twofactor.recovery_codes_left(request.user),
        "required": twofactor.required_for(request.memberships),
        "form": form,
    }
    return render(request, "core/two_factor.html", context, status=400)


@login_required
@require_POST
@never_cache
def two_factor_disable(request):
    if not twofactor.has_two_factor(request.user):
        return redirect("two_factor")
    form, ok = _password_and_code(request)
    if form is None:
        return _locked(request, request.user)
    if not ok:
        return _settings_page(request, form)
    twofactor.two_factor_disable(user=request.user, request=request)
    if twofactor.required_for(request.memberships):
        messages.warning(
            request, _("Two-factor sign-in is off. Your shop requires it: set it up again now.")
        )
        return redirect("two_factor_enrol")
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("two_factor")


@login_required
@require_POST
@never_cache
def two_factor_recovery_codes(request):
    if not twofactor.has_two_factor(request.user):
        return redirect("two_factor")
    form, ok = _password_and_code(request)
    if form is None:
        return _locked(request, request.user)
    if not ok:
        return _settings_page(request, form)
    codes = twofactor.recovery_codes_replace(user=request.user, request=request)
    messages.success(request, _("New recovery codes made; the old ones no longer work."))
    return render(request, "core/two_factor_codes.html", {"codes": codes})
