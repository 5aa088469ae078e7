"""Pingan settings, read from the environment (12-factor; DESIGN §5)."""

import json
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PINGAN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_json_object(name: str) -> dict:
    """A JSON object from the environment; unset or empty: {}."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("PINGAN_EMBEDDED", True):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Embedded default (a laptop running the demo): an insecure, clearly named key.
    SECRET_KEY = "insecure-embedded-default-set-SECRET_KEY-in-production"
if not DEBUG and SECRET_KEY.startswith("insecure-") and not env_bool("PINGAN_EMBEDDED", True):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "ninja",
    "territory",
    "org",
    "cases",
    "api",
    "measures",
    "web",
    "crowd",
    "triage",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pingan.text.RefuseNulMiddleware",  # a NUL in a URL: 400 naming the argument
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pingan.urls"
WSGI_APPLICATION = "pingan.wsgi.application"
ASGI_APPLICATION = "pingan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.pingan",
            ],
        },
    },
]


def database(url: str) -> dict:
    """One database's settings from its URL, with the options Pingan runs each vendor with
    (also used by the benchmarks that make a database of their own)."""
    db = dj_database_url.parse(url, conn_max_age=60)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server and the worker read while one writes (DESIGN §6).
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        db["CONN_MAX_AGE"] = 0
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI each request runs in its own context with its own connection: persistent
        # connections would pile up until PostgreSQL refuses clients. Use psycopg's pool
        # instead.
        db["CONN_MAX_AGE"] = 0
        db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("PINGAN_DB_POOL_SIZE", "8")),
            "timeout": 10,
        }
        # Intake's hot statements are prepared on the server and planned once (pingan/bulk.py
        # asks with prepare=True). Django turns psycopg's preparing off (threshold None), which
        # refuses even an explicit request; a threshold never reached keeps everything else
        # unprepared (Django's own cursors bind on the client and never prepare). Left to
        # choose, PostgreSQL planned the duplicate search afresh for every case (0.5 ms), each
        # custom plan looking cheaper than the generic one: generic plans it is, held to the
        # right indexes by tests/test_postgres.py.
        db["OPTIONS"].setdefault("prepare_threshold", 2**31 - 1)
        db["OPTIONS"].setdefault("options", "-c plan_cache_mode=force_generic_plan")
    return db


DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'pingan.sqlite3'}"
DATABASES = {"default": database(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Fernet key(s) for personal data at rest; the first encrypts, all decrypt (key rotation).
PINGAN_FIELD_KEY = os.environ.get("PINGAN_FIELD_KEY", "")
if not PINGAN_FIELD_KEY and not DEBUG and not env_bool("PINGAN_EMBEDDED", True):
    raise ImproperlyConfigured("PINGAN_FIELD_KEY must be set when DEBUG is off")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock for one hour an account after repeated failures from any addresses, and an
# address after repeated failures against any accounts (counted separately; the address's
# limit is higher, for offices behind one address: org/login_lock.py).
AXES_FAILURE_LIMIT = int(os.environ.get("PINGAN_LOGIN_FAILURE_LIMIT", "5"))
PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "org.login_lock.LoginLockHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Login records (addresses, browsers) are personal data: not in the admin (decision 005);
# unlock with `pingan axes-reset-username NAME`.
AXES_ENABLE_ADMIN = False


def _throttle(name: str, default: str) -> tuple[int, int]:
    tries, seconds = os.environ.get(name, default).split("/")
    return int(tries), int(seconds)


# The public pages' throttles (cases/throttle.py): tries/seconds per client address, and for
# tracking also per case number (tracking and rating share the count: both check a code).
PINGAN_PUBLIC_TRACK_THROTTLE = _throttle("PINGAN_PUBLIC_TRACK_THROTTLE", "10/600")
PINGAN_PUBLIC_REPORT_THROTTLE = _throttle("PINGAN_PUBLIC_REPORT_THROTTLE", "20/3600")
# The throttles count in the cache: in-process by default (counts per worker process);
# PINGAN_CACHE=database shares them between processes (run `pingan createcachetable` once).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "pingan_cache",
    }
    if os.environ.get("PINGAN_CACHE") == "database"
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pingan",
    }
}

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and env_bool("PINGAN_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True

# Triage: a proposal at or above this confidence is pre-filled; below it a person picks.
PINGAN_TRIAGE_THRESHOLD = float(os.environ.get("PINGAN_TRIAGE_THRESHOLD", "0.6"))
# The trained category model (`pingan train-triage`); without one, keyword rules answer.
# Unset: var/triage/model.joblib if it exists, else keyword rules only.
PINGAN_TRIAGE_MODEL = os.environ.get("PINGAN_TRIAGE_MODEL", "")
# The category catalogue CSV `pingan train-triage` reads when not given one; unset:
# taxonomy.csv beside the training data, if there.
PINGAN_TRIAGE_TAXONOMY = os.environ.get("PINGAN_TRIAGE_TAXONOMY", "")
# The keyword rules used without a model: a JSON object, category → keywords (a list, or
# one string split on spaces); unset: no rules, a person picks.
PINGAN_TRIAGE_KEYWORDS = env_json_object("PINGAN_TRIAGE_KEYWORDS")
# Cases whose point lies outside every grid go to this district's center.
PINGAN_DISTRICT_CODE = os.environ.get("PINGAN_DISTRICT_CODE", "500103")
# Duplicate suggestions: open cases of the same category this near, this recent.
PINGAN_DUPLICATE_RADIUS_M = float(os.environ.get("PINGAN_DUPLICATE_RADIUS_M", "300"))
PINGAN_DUPLICATE_DAYS = int(os.environ.get("PINGAN_DUPLICATE_DAYS", "14"))
# Outbox media besides in-app, e.g. "email,webhook"; senders are dotted paths.
PINGAN_NOTIFY_MEDIA = [m for m in os.environ.get("PINGAN_NOTIFY_MEDIA", "").split(",") if m]
PINGAN_NOTIFY_SENDERS = {
    "email": "cases.notify.send_email",
    "sms": "cases.notify.send_sms_log",
    "webhook": "cases.notify.send_webhook",
}
PINGAN_WEBHOOK_URL = os.environ.get("PINGAN_WEBHOOK_URL", "")

# Map: no tile server is needed; set a URL template to draw a base map under the areas.
PINGAN_TILE_URL = os.environ.get("PINGAN_TILE_URL", "")
PINGAN_TILE_ATTRIBUTION = os.environ.get("PINGAN_TILE_ATTRIBUTION", "")


def tile_origin(template: str) -> str:
    """The CSP source of a tile URL template: its scheme and host, a `{s}`-style first label
    as `*` ("https://{s}.tile.example.org/{z}/{x}/{y}.png" -> "https://*.tile.example.org");
    "" when there is none (a relative URL, or a placeholder no CSP source can say)."""
    scheme, sep, rest = template.partition("://")
    labels = rest.split("/", 1)[0].split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if not sep or any("{" in label for label in labels):
        return ""
    return f"{scheme}://{'.'.join(labels)}"


# Content-Security-Policy (django-csp): scripts and styles only from this site, no inline
# script or event handler, no framing, forms post only here. Inline style *attributes* stay
# allowed (chart tooltips and Django's admin write them); style elements do not.
# Images: this site, data: URIs (Leaflet, the admin) and the tile server, if one is set.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"] + [o for o in [tile_origin(PINGAN_TILE_URL)] if o],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The locator re-checks the area table for changes at most this often (seconds).
PINGAN_LOCATOR_RECHECK_SECONDS = float(os.environ.get("PINGAN_LOCATOR_RECHECK_SECONDS", "5"))
# How often a process looks whether the triage model file changed (intake asks per case).
PINGAN_TRIAGE_RECHECK_SECONDS = float(os.environ.get("PINGAN_TRIAGE_RECHECK_SECONDS", "5"))
# Intakes from concurrent requests are written together, one transaction per batch
# (cases/groupcommit.py); 0 writes each on its own.
PINGAN_INTAKE_GROUP_COMMIT = os.environ.get("PINGAN_INTAKE_GROUP_COMMIT", "1") != "0"
# How long a batch may wait for intakes still being made ready in the same process (ms).
PINGAN_INTAKE_COMMIT_DELAY_MS = float(os.environ.get("PINGAN_INTAKE_COMMIT_DELAY_MS", "2"))
# Reference data (units, memberships, catalogue, routing rules, tokens) kept in memory is
# checked for changes at most this often (seconds; org/reference.py).
PINGAN_REFERENCE_RECHECK_SECONDS = float(os.environ.get("PINGAN_REFERENCE_RECHECK_SECONDS", "2"))
# How often each process that ingests crowd readings checks its venues for silent sensors
# and lapsed early warnings (seconds; crowd/services.py `tick`); 0 turns it off.
PINGAN_CROWD_TICK_SECONDS = float(os.environ.get("PINGAN_CROWD_TICK_SECONDS", "1"))

LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
