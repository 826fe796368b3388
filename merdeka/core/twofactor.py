"""Two-factor sign-in: a code from an authenticator app (TOTP) or a one-time recovery code.

Built on django-otp: a person's authenticator is a confirmed ``TOTPDevice`` kept
through its proxy ``core.Authenticator``, whose secret is sealed with the site's key
(``privacy.sitekeys``: a copy of the database does not hand it out); their recovery
codes are the tokens of one ``StaticDevice``, and ``OTPMiddleware`` says whether the
session passed the second step (``request.user.is_verified()``).

* Signing in: after the password, a person with an authenticator is not signed in yet:
  the session holds a *pending* sign-in (``pending_start``) until the code is right
  (``second_step_verify``), and only then does ``django.contrib.auth.login`` run.
* Throttling: a wrong code is a failed login for django-axes (the same limit and the same
  15-minute lock as a wrong password, per username and address); django-otp's own
  per-device delays are off (settings).
* A shop can require the second step of everyone in it (``Shop.require_two_factor``): a
  member without an authenticator is sent to enrolment after the password and reaches no
  other page until it is done (``gate``, called by ``ShopMiddleware``).
* Recovery codes are stored as keyed hashes (HMAC under the site's secret key), so a copy
  of the database does not hand them out; each works once.

Every enable, disable, new set of codes and use of a recovery code is written to the audit
log of each shop the person works in.
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from merdeka.core.models import Authenticator, Membership, User
from merdeka.privacy import sitekeys
from merdeka.privacy.audit import audit_record
from merdeka.privacy.crypto import DecryptionError

RECOVERY_CODES = 10
PENDING_KEY = "merdeka_2fa_pending"
ENROL_KEY = "merdeka_2fa_enrol_key"
PENDING_SECONDS = 10 * 60
TOTP_NAME = "authenticator"
STATIC_NAME = "recovery codes"

# Paths a half-signed-in session may still open: the second step itself, signing out,
# and what holds no shop data.
_ALWAYS_OPEN = (
    "/keluar/",
    "/static/",
    "/i18n/",
    "/.well-known/",
    "/kebijakan-keamanan/",
)


class Locked(Exception):
    """Too many wrong passwords or codes: the username is locked for a while (axes)."""


@dataclass
class Verified:
    device: object
    kind: str  # "totp" or "recovery"
    recovery_left: int | None = None


# -- reading -------------------------------------------------------------------------------


def authenticator(user) -> Authenticator | None:
    if user is None or not user.is_authenticated:
        return None
    return Authenticator.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_two_factor(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and Authenticator.objects.filter(user=user, confirmed=True).exists()
    )


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def required_for(memberships) -> bool:
    """Does any shop the person works in require the second step of everyone?"""
    return any(m.shop.require_two_factor for m in memberships)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def gate(request, *, user, memberships) -> str | None:
    """Where a signed-in person must go before anything else, or ``None``.

    A person with an authenticator whose session has not given a code goes to the code
    page; a member of a shop that requires two-factor sign-in who has no authenticator
    yet goes to enrolment (where the account pages stay open).
    """
    path = request.path
    if path.startswith(_ALWAYS_OPEN) or path == reverse("login_verify"):
        return None
    if is_verified(user):
        return None
    if has_two_factor(user):
        return reverse("login_verify")
    if required_for(memberships) and not path.startswith("/akun/"):
        return reverse("two_factor_enrol")
    return None


# -- the authenticator's secret ----------------------------------------------------------


def new_key() -> str:
    """A fresh TOTP secret (20 random bytes, hex, as django-otp stores it)."""
    return random_hex(20)


ENROL_LABEL = "core.two_factor_enrolment"


def enrolment_key(session, user) -> str:
    """The secret waiting in the session for a code to confirm it: made the first time,
    the same one afterwards. The session keeps it sealed with the site's key, bound to
    the person, so the session table (or a copy of it) never holds the secret; one that
    no longer opens (its key rotated away, tampered) is replaced by a fresh one."""
    where = {"label": ENROL_LABEL, "row": str(user.pk)}
    token = session.get(ENROL_KEY)
    if token:
        try:
            return sitekeys.unseal(token, **where).hex()
        except DecryptionError:
            pass  # enrolment starts again with a new secret
    key = new_key()
    session[ENROL_KEY] = sitekeys.seal(bytes.fromhex(key), **where)
    return key


def secret_for_typing(key: str) -> str:
    """The secret as an authenticator app asks for it: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_uri(user, key: str) -> str:
    return TOTPDevice(user=user, key=key).config_url


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code in a ``data:`` SVG image (the CSP allows ``data:``
    images; no inline script or style)."""
    return segno.make(uri, error="m", micro=False).svg_data_uri(scale=4, border=2)


def code_for(key: str, *, at: float | None = None) -> str:
    """The six-digit code an authenticator shows for ``key`` at ``at`` (default now).
    The same computation django-otp verifies with; the tests sign in with it."""
    totp = TOTP(unhexlify(key))
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def _recovery_hash(code: str) -> str:
    digest = salted_hmac("merdeka.core.twofactor.recovery", _clean(code), algorithm="sha256")
    return digest.hexdigest()[:16]  # StaticToken.token holds 16 characters


def _format_recovery(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


# -- the audit trail -----------------------------------------------------------------------


def _audit(action: str, *, user, actor=None, request=None, detail=None, shop=None) -> None:
    """One event in every shop the person works in (or only ``shop``, when given)."""
    shops = (
        [shop]
        if shop is not None
        else [m.shop for m in Membership.unscoped.filter(user=user).select_related("shop")]
    )
    for each in shops or [None]:
        audit_record(
            action=action,
            shop=each,
            actor=actor or user,
            target=user,
            request=request,
            detail=detail or {},
        )


# -- enabling, disabling, new recovery codes ---------------------------------------------------


def _new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=STATIC_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=_recovery_hash(code)) for code in codes]
    )
    return [_format_recovery(code) for code in codes]


@transaction.atomic
def two_factor_enable(*, user: User, key: str, code: str, request=None) -> list[str] | None:
    """Confirm the authenticator set up with ``key`` by one of its codes.

    Returns the new recovery codes (shown once), or ``None`` when the code is wrong.
    Any earlier authenticator and codes of the person are replaced.
    """
    code = _clean(code)
    if not code.isdigit():
        return None
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    if not totp.verify(int(code), tolerance=1):
        return None
    Authenticator.objects.filter(user=user).delete()
    device = Authenticator(
        user=user, name=TOTP_NAME, confirmed=True, last_t=totp.t(), drift=totp.drift
    )
    device.secret_set(key)  # sealed: the column never holds the secret itself
    device.save()
    codes = _new_recovery_codes(user)
    if request is not None:
        request.session.pop(ENROL_KEY, None)
        django_otp.login(request, device)
    _audit("auth.two_factor_enabled", user=user, request=request)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, actor: User | None = None, request=None, shop=None) -> bool:
    """Remove the person's authenticator and recovery codes. ``actor`` is the owner who
    reset a team member's account (``shop`` is theirs), or the person themself."""
    removed, _ = Authenticator.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if removed:
        detail = {"by_owner": True} if actor is not None and actor.pk != user.pk else {}
        _audit(
            "auth.two_factor_disabled",
            user=user,
            actor=actor,
            request=request,
            detail=detail,
            shop=shop,
        )
    return bool(removed)


@transaction.atomic
def recovery_codes_replace(*, user: User, request=None) -> list[str]:
    codes = _new_recovery_codes(user)
    _audit("auth.recovery_codes_replaced", user=user, request=request)
    return codes


# -- the second step -------------------------------------------------------------------------


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def is_locked(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, _credentials(user))


def failed(request, user) -> None:
    """A wrong code (or password on the account pages): one failure for django-axes, which
    locks the username like after wrong passwords (``request.axes_locked_out``)."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)


def second_step_verify(*, request, user, code: str) -> Verified | None:
    """Check a code from the authenticator, or a recovery code (used up on success).

    Raises ``Locked`` while the username is locked; a wrong code counts as a failure.
    """
    if is_locked(request, user):
        raise Locked
    cleaned = _clean(code)
    verified = None
    if cleaned.isdigit() and len(cleaned) == 6:
        device = authenticator(user)
        if device is not None:
            with transaction.atomic():
                found = django_otp.verify_token(user, device.persistent_id, cleaned)
            if found is not None:
                verified = Verified(device=found, kind="totp")
    elif cleaned:
        verified = _use_recovery_code(user, cleaned)
        if verified is not None:
            _audit(
                "auth.recovery_code_used",
                user=user,
                request=request,
                detail={"codes_left": verified.recovery_left},
            )
    if verified is None:
        failed(request, user)
    return verified


@transaction.atomic
def _use_recovery_code(user, cleaned: str) -> Verified | None:
    device = StaticDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return None
    wanted = _recovery_hash(cleaned)
    for token in device.token_set.all():
        if constant_time_compare(token.token, wanted):
            token.delete()
            return Verified(device=device, kind="recovery", recovery_left=device.token_set.count())
    return None


def password_and_code_check(*, request, user, password: str, code: str) -> bool:
    """For turning the second step off or replacing the codes: the password and a code,
    both right. Either wrong counts as a failed login. Raises ``Locked``."""
    if is_locked(request, user):
        raise Locked
    if not user.check_password(password or ""):
        failed(request, user)
        return False
    return second_step_verify(request=request, user=user, code=code) is not None


# -- the pending sign-in -----------------------------------------------------------------------


def pending_start(request, *, user, backend: str, next_url: str) -> None:
    """The password was right; the session waits for the code, signed in to nobody."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "at": int(time.time()),
    }


def pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, {}
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def pending_clear(request) -> None:
    request.session.pop(PENDING_KEY, None)
