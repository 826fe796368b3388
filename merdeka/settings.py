"""Merdeka settings: one file, driven by environment variables, SQLite by default.

Every variable is listed in the README. Secrets that are not given through the
environment are generated once into the data directory with mode 0600.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def default_data_dir(project_dir: Path) -> Path:
    """Where the data lives when ``MERDEKA_DATA_DIR`` is not set.

    In a source checkout (what ``make run`` installs, editable) it is the checkout's
    ``var/``; installed elsewhere (a wheel in site-packages), the user's data folder.
    Never the working directory: a command run from another folder must find the same
    database and keys, not start an empty data directory where it stands.
    """
    if (project_dir / "pyproject.toml").is_file():
        return project_dir / "var"
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "merdeka"


DATA_DIR = Path(os.environ.get("MERDEKA_DATA_DIR") or default_data_dir(BASE_DIR.parent)).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)


def secret_from_file(path: Path, make) -> str:
    """Read a secret from ``path``, creating it with mode 0600 on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        value = make()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        return value
    except FileExistsError:  # another process created it between our read and write
        return path.read_text().strip()


SECRET_KEY = os.environ.get("MERDEKA_SECRET_KEY") or secret_from_file(
    DATA_DIR / "secret_key", lambda: secrets.token_urlsafe(50)
)

# The master key wraps every shop's data keys. It must live outside the database
# and outside database backups: an environment variable, or a file created with
# mode 0600 on first run (see merdeka.privacy.keys).
MERDEKA_MASTER_KEY = os.environ.get("MERDEKA_MASTER_KEY", "")
MERDEKA_MASTER_KEY_FILE = Path(
    os.environ.get("MERDEKA_MASTER_KEY_FILE") or DATA_DIR / "master.key"
).resolve()

DEBUG = env_bool("MERDEKA_DEBUG")
TESTING = env_bool("MERDEKA_TESTING")
HTTPS = env_bool("MERDEKA_HTTPS")
ALLOWED_HOSTS = env_list("MERDEKA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("MERDEKA_CSRF_TRUSTED_ORIGINS", "")
# The public address (MERDEKA_PUBLIC_URL, below) is one this site answers at: setting it
# is enough for its host to be allowed and its origin trusted by the forms.
_public = urlsplit(os.environ.get("MERDEKA_PUBLIC_URL", "").strip())
if _public.geturl() and (_public.scheme not in ("http", "https") or not _public.hostname):
    raise ImproperlyConfigured(
        "MERDEKA_PUBLIC_URL must be a whole address such as https://toko.example.id"
    )
if _public.hostname:
    _host = f"[{_public.hostname}]" if ":" in _public.hostname else _public.hostname
    ALLOWED_HOSTS += [] if _host in ALLOWED_HOSTS else [_host]
    CSRF_TRUSTED_ORIGINS += [f"{_public.scheme}://{_public.netloc}"]

INSTALLED_APPS = [
    "merdeka.core",
    "merdeka.privacy",
    "merdeka.customers",
    "merdeka.imports",
    "merdeka.orders",
    "merdeka.cards",
    "merdeka.catalog",
    "merdeka.storefront",
    "merdeka.outreach",
    "merdeka.groupbuy",
    "merdeka.preorders",
    "merdeka.books",
    "merdeka.suppliers",
    "merdeka.receipts",
    "merdeka.tax",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # the cached product page for visitors without a session, before the session
    "merdeka.storefront.middleware.CachedProductPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second step of signing in
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "merdeka.core.middleware.ShopMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "merdeka.urls"
WSGI_APPLICATION = "merdeka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "merdeka.core.context_processors.shop",
            ],
        },
    }
]

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'merdeka.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # One writer at a time without "database is locked" errors: writers queue on
        # BEGIN IMMEDIATE and wait up to the busy timeout
        # (docs/decisions/sqlite-immediate-transactions.md).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # A file (not :memory:) so that browser tests' live server threads share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # The same argon2 hashes at argon2's smallest cost: Django's cost is about 0.3 CPU s
    # a password, paid by nearly every test (merdeka/core/hashers.py).
    PASSWORD_HASHERS[0] = "merdeka.core.hashers.SuiteArgon2PasswordHasher"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("MERDEKA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor sign-in (merdeka.core.twofactor): TOTP codes from an authenticator app, and
# one-time recovery codes. A wrong code counts as a failed login for django-axes above, so
# passwords and codes share one limit; django-otp's own per-device delays are off.
OTP_TOTP_ISSUER = "Merdeka"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = HTTPS and env_bool("MERDEKA_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
if env_bool("MERDEKA_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: no inline scripts or styles, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"
LANGUAGE_COOKIE_NAME = "merdeka_language"
# Like the session and CSRF cookies: never sent over plain HTTP once the site is on HTTPS,
# never sent on cross-site subrequests, never read by scripts (the switch is a form POST).
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = TESTING or DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"

# Imports: the largest file (and upload) accepted, and where uploads stream to. Uploads
# are sealed with the shop's key as soon as they arrive (merdeka.privacy.files).
MERDEKA_IMPORT_MAX_BYTES = int(os.environ.get("MERDEKA_IMPORT_MAX_MB", "200")) * 1024 * 1024
# Worker processes that read the next files of an import while this one is written.
MERDEKA_IMPORT_PARSE_AHEAD = int(
    os.environ.get("MERDEKA_IMPORT_PARSE_AHEAD", "1" if (os.cpu_count() or 1) > 1 else "0")
)
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True, mode=0o700)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_HANDLERS = ["merdeka.imports.uploads.LimitedUploadHandler"]

# One owner per state change (merdeka.core.ownership): every SQL write to an order's
# status or to stock outside its owner raises. On in the test suite.
OWNERSHIP_GUARD = env_bool("MERDEKA_OWNERSHIP_GUARD", TESTING)

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING and not env_bool("MERDEKA_TEST_DB_TASKS")
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Outreach: the address customers reach this Merdeka at (unsubscribe links, the
# WhatsApp webhook), and the mail server campaigns are sent through.
MERDEKA_PUBLIC_URL = os.environ.get("MERDEKA_PUBLIC_URL", "").strip().rstrip("/")
MERDEKA_SMTP = {
    "host": os.environ.get("MERDEKA_SMTP_HOST", ""),
    "port": int(os.environ.get("MERDEKA_SMTP_PORT", "587")),
    "user": os.environ.get("MERDEKA_SMTP_USER", ""),
    "password": os.environ.get("MERDEKA_SMTP_PASSWORD", ""),
    "from": os.environ.get("MERDEKA_SMTP_FROM", ""),
    "tls": env_bool("MERDEKA_SMTP_TLS", True),  # STARTTLS
    "ssl": env_bool("MERDEKA_SMTP_SSL"),  # TLS from the first byte (port 465)
}
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# /.well-known/security.txt (RFC 9116) and the disclosure policy page: who hears of a
# security problem (comma-separated: emails, https: or tel: addresses) and, if set, the
# date the file stops being valid (ISO 8601; by default it is renewed a year ahead).
MERDEKA_SECURITY_CONTACT = env_list("MERDEKA_SECURITY_CONTACT", "")
MERDEKA_SECURITY_TXT_EXPIRES = (
    datetime.fromisoformat(os.environ["MERDEKA_SECURITY_TXT_EXPIRES"])
    if os.environ.get("MERDEKA_SECURITY_TXT_EXPIRES")
    else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MERDEKA_LOG_LEVEL", "WARNING")},
    # fastexcel (the columnar reader's xlsx stage) warns of every column it finds empty
    # below the header, "falling back to string": that is what it should do, not news
    "loggers": {"fastexcel": {"level": "ERROR"}},
}
