"""Reunite settings, read from the environment (see `.env.example` for every variable).

Development defaults are safe on a laptop: SQLite, console mail, DEBUG on. With
DJANGO_DEBUG off the project refuses to start without a real secret key, allowed
hosts and encryption keys, and it never runs DEBUG against a database that is not on
this machine.
"""

import base64
import binascii
import datetime as dt
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file.
environ.Env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

# Debug is the default only on a laptop's SQLite database. With any other database a
# forgotten DJANGO_DEBUG means production: debug must be asked for by name.
DEBUG = env.bool(
    "DJANGO_DEBUG", default=env.str("DATABASE_URL", default="sqlite:").startswith("sqlite:")
)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "testserver"}
if DEBUG and not set(ALLOWED_HOSTS) <= _LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is on while DJANGO_ALLOWED_HOSTS names public hosts: debug pages "
        "would show case data to the world. Set DJANGO_DEBUG=false."
    )

if not DEBUG:
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a random value of 50+ characters in production."
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list this site's host names.")

# Encryption at rest (cases/crypto.py): Fernet keys, newest first. The first encrypts,
# all decrypt; `manage.py rotate_encryption_keys` moves everything to the first. The
# blind-index key makes the searchable digests of contact details. In DEBUG only, both
# fall back to fixed development keys derived from constants, never from SECRET_KEY.
_DEV_ENCRYPTION_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"reunite development-only encryption key").digest()
).decode()
_DEV_BLIND_INDEX_KEY = "reunite-development-only-blind-index-key-never-in-production"
REUNITE_ENCRYPTION_KEYS = [
    key.strip()
    for key in env.list("REUNITE_ENCRYPTION_KEYS", default=[_DEV_ENCRYPTION_KEY] if DEBUG else [])
    if key.strip()
]
REUNITE_BLIND_INDEX_KEY = env.str(
    "REUNITE_BLIND_INDEX_KEY", default=_DEV_BLIND_INDEX_KEY if DEBUG else ""
)


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, binascii.Error):
        return False


_GENERATE_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
if not all(_is_fernet_key(key) for key in REUNITE_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "REUNITE_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe "
        f"base64-encoded bytes). Generate one with: {_GENERATE_KEY}"
    )
if not DEBUG:
    if not REUNITE_ENCRYPTION_KEYS or _DEV_ENCRYPTION_KEY in REUNITE_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "REUNITE_ENCRYPTION_KEYS must be set in production: comma-separated Fernet keys, "
            f"newest first, never the development key. Generate one with: {_GENERATE_KEY}"
        )
    if (
        len(REUNITE_BLIND_INDEX_KEY) < 32
        or REUNITE_BLIND_INDEX_KEY == _DEV_BLIND_INDEX_KEY
        or REUNITE_BLIND_INDEX_KEY in REUNITE_ENCRYPTION_KEYS
    ):
        raise ImproperlyConfigured(
            "REUNITE_BLIND_INDEX_KEY must be set in production to a random value of 32+ "
            "characters, not one of the encryption keys. Generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )

INSTALLED_APPS = [
    # The admin, with a site that lets in only sessions verified by a second factor.
    "reunite.apps.ReuniteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_countries",
    "django_filters",
    # Two-factor staff logins: authenticator apps, recovery codes, passkeys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    # Login throttling.
    "axes",
    # Background tasks (django.tasks) kept in the database; `manage.py db_worker` runs them.
    "django_tasks_db",
    "cases",
]

MIDDLEWARE = [
    # First: a petition's page, count.json and open data for readers without cookies,
    # answered whole, every header included, as the stack below sent them out the first
    # time, after one check of the page version (cases/public/middleware.py).
    "cases.public.middleware.CachedPublicResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (STATIC_ROOT, filled by `collectstatic`) answered before anything else.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "cases.middleware.StaffLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store for staff pages and signed-in staff (cases/middleware.py).
    "cases.middleware.NoStoreForStaffMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session timeouts; a password-only session goes nowhere but
    # the second-factor step (see cases/accounts/middleware.py).
    "cases.accounts.middleware.SessionTimeoutMiddleware",
    "cases.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "reunite.urls"
WSGI_APPLICATION = "reunite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets render through TEMPLATES, so templates/ can override a widget's markup.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite by default; PostgreSQL with DATABASE_URL=postgres://user:pass@host:port/name
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent staff on the embedded database: a write transaction takes the lock when
    # it begins (IMMEDIATE), so two saves queue instead of one failing half-way with
    # "database is locked"; a waiting save gives up only after `timeout` seconds. WAL lets
    # pages be read while another save is being written.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
# Production keeps each connection open for ten minutes: one per server thread (bin/serve
# caps the threads) instead of a new connection, and its login, on every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 600)
# Off by default: a health check costs a round trip at the start of every request that
# reuses a connection, and signing is on the hot path. Without it, after the database
# restarts each thread's next request fails once and its connection is replaced. Turn it
# on where a pooler or a failover drops idle connections often.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=False)
# PostgreSQL: the role the app serves as, when `migrate` runs as the tables' owner. After
# every migrate it gets only the rights it needs (cases/db_roles.py): no TRUNCATE, and
# neither UPDATE nor DELETE on the audit trail. Empty: one role for everything.
REUNITE_DB_APP_ROLE = env.str("REUNITE_DB_APP_ROLE", default="")

_db_host = DATABASES["default"].get("HOST") or ""
if DEBUG and _db_host and not _db_host.startswith("/") and _db_host not in _LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is on with a database on another host: debug pages would show case data. "
        "Set DJANGO_DEBUG=false for a deployed database."
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Counters of the throttles and slow-downs (cases/ratelimit.py), cached petition pages and
# their versions (cases/public/counting.py). The default, locmem, is per process: each
# server process (and the task worker) counts and caches on its own. Production shares
# one Redis, e.g. CACHE_URL=redis://127.0.0.1:6379/1, always through Django's built-in
# backend (django-environ would pick django-redis instead if it were ever installed), as
# cases/redis_cache.py adapts it: one client object per process, not one per cache call.
_CACHE_URL = env.str("CACHE_URL", default="") or "locmemcache://"
CACHES = {
    "default": env.cache_url_config(
        _CACHE_URL,
        backend="cases.redis_cache.RedisCache"
        if _CACHE_URL.startswith(("redis://", "rediss://"))
        else None,
    )
}

# Background tasks (cases/accounts/tasks.py: the password-reset mail) are rows in the
# database until `manage.py db_worker` runs them (`make run` starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Signatures a second on one petition (over 10 s; half of it over an hour) above which
# every signer of it must bring a proof of work for ten minutes (cases/public/signing.py).
# 100 is three times the UK Parliament's whole site at its 2019 peak. Never a refusal.
REUNITE_SIGNING_SURGE = env.int("REUNITE_SIGNING_SURGE", default=100)

# Case exports (cases/exports/): the most cases one export may hold, except for
# supervisors, who have no limit. A larger selection is refused with a message.
EXPORT_MAX_CASES = env.int("REUNITE_EXPORT_MAX_CASES", default=1000)
# A PDF of more cases than this is made in the background (cases/exports/tasks.py) and
# downloaded from the export page by whoever asked for it, for EXPORT_DOWNLOAD_HOURS.
EXPORT_PDF_INLINE_MAX = env.int("REUNITE_EXPORT_PDF_INLINE_MAX", default=20)
EXPORT_DOWNLOAD_HOURS = env.int("REUNITE_EXPORT_DOWNLOAD_HOURS", default=24)
# The organisation named as the submitter on dossiers for UN bodies.
REUNITE_ORGANISATION = env.str("REUNITE_ORGANISATION", default="Reunite")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # A common password or word with digits, a year or symbols around it (Password2024!).
    {"NAME": "cases.accounts.passwords.CommonWordPasswordValidator"},
]

# Staff logins: password, then a second factor (cases/accounts/). Axes comes first so
# that a locked-out client is refused before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "admin:index"
LOGOUT_REDIRECT_URL = "staff:login"

# Sessions live in the database, so a supervisor's reset can end them all. Idle
# timeout: 30 minutes without a request. Absolute: 10 hours after the password.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_TIMEOUT = env.int("REUNITE_SESSION_ABSOLUTE_TIMEOUT", default=10 * 60 * 60)

# Throttling (django-axes): 5 failures from one address, or for one username from one
# address, lock that address out for 15 minutes. Never by username alone, so nobody
# can lock a caseworker out from elsewhere. The 429 page says the same for every name.
# Failures for one username spread over several addresses slow that username down
# instead: a proof-of-work step before its password is checked (cases/accounts/slowdown.py).
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in our own audit trail
AXES_VERBOSE = False  # its log lines name usernames and addresses; the audit trail suffices
AXES_CLIENT_IP_CALLABLE = "cases.accounts.throttling.client_ip"
# How many reverse proxies in front of Django append to X-Forwarded-For (0: none, use
# the connection's address). Behind one proxy set 1, or every client shares its address.
REUNITE_TRUSTED_PROXIES = env.int("REUNITE_TRUSTED_PROXIES", default=0)

# Second factor (django-otp). Each failure doubles the wait before the next try.
OTP_TOTP_ISSUER = "Reunite"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Passkeys (django-otp-webauthn) only as a second factor, never instead of the password.
# They are bound to one domain: in development use http://localhost:8000, not 127.0.0.1.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Reunite"
OTP_WEBAUTHN_RP_ID = env.str(
    "REUNITE_WEBAUTHN_RP_ID",
    default="localhost" if DEBUG else (ALLOWED_HOSTS[0].lstrip(".") if ALLOWED_HOSTS else ""),
)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "REUNITE_WEBAUTHN_ORIGINS",
    default=["http://localhost:8000"] if DEBUG else [f"https://{OTP_WEBAUTHN_RP_ID}"],
)

# Internationalisation: English and Uyghur (right-to-left) for everything we show.
LANGUAGE_CODE = "en"
# Supporters read the public pages in these; staff use the admin in the first two only
# (cases/middleware.py keeps staff pages to them).
PUBLIC_LANGUAGES = [
    ("en", _("English")),
    ("ug", _("Uyghur")),
    ("zh-hans", _("Simplified Chinese")),
    ("tr", _("Turkish")),
    ("kk", _("Kazakh")),
    ("fr", _("French")),
    ("nl-be", _("Dutch (Belgium)")),
    ("it", _("Italian")),
]
STAFF_LANGUAGES = ["en", "ug"]
LANGUAGES = PUBLIC_LANGUAGES
# locale/ is ours (`make messages` updates it). locale_countries/ holds the Uyghur country
# names django-countries has no catalogue for, written from Unicode CLDR by
# `manage.py country_names`; makemessages never writes there. Ours wins where both have
# a string (the first path wins).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_countries"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")

# Evidence files are never under a public URL: they live outside STATIC/MEDIA roots
# and are only read by code that checks who is asking.
PRIVATE_STORAGE_ROOT = env.path("REUNITE_PRIVATE_STORAGE", default=BASE_DIR / "private")
# Uploaded files (evidence) readable by the app's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
# Evidence (20 MB at most) stays in memory while it is checked, never in a shared
# temporary directory in clear.
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    # Production serves `collectstatic`'s copies: names with a content hash (cached for a
    # year by browsers) and gzip-compressed twins, which whitenoise picks per request.
    # Debug, and so the tests, use the files where they are, with no manifest to build.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Fixed by the DEBUG of the environment, not of the moment: pytest-django turns DEBUG off
# for the tests, and whitenoise would then expect a collected STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

# Mail goes through Django's mail API. Development prints it on the console;
# production sets EMAIL_URL (smtp+tls://user:pass@host:587). django-environ still
# returns the pre-6.1 EMAIL_* keys, so they are mapped onto a MAILERS entry here.
_email = env.email_url("EMAIL_URL", default="consolemail://")
_EMAIL_OPTION_NAMES = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_FILE_PATH": "file_path",
    "EMAIL_TIMEOUT": "timeout",
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            option: _email[key]
            for key, option in _EMAIL_OPTION_NAMES.items()
            if _email.get(key) not in (None, "")
        },
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Reunite <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security headers that hold in every environment; the deploy-only ones follow.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Content-Security-Policy, in development too so that tests meet what production blocks.
# Scripts, styles, images, fonts and requests come from this site only; an inline
# <script> or <style> needs the request's nonce ({% csp_nonce_attr %}), and no style=""
# attribute in markup is applied (the admin has none). Nothing from another host: it
# would learn who reads which case. `manage.py check --deploy` enforces this
# (cases/checks.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    if REUNITE_TRUSTED_PROXIES:
        # Only a proxy we were told about may say the connection was HTTPS.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Case references read F-<year>-<4 digits>, e.g. F-2026-0042.
REUNITE_CASE_REFERENCE_PREFIX = env.str("REUNITE_CASE_REFERENCE_PREFIX", default="F")

# Error reports (debug pages, mails) hide posted values, cookies, query values and local
# variables; logs lose e-mail addresses, phone numbers and URL query values
# (cases/redaction.py). Every handler must carry the filter: check --deploy verifies it.
DEFAULT_EXCEPTION_REPORTER_FILTER = "cases.redaction.PrivateExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "cases.redaction.PrivateExceptionReporter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personal_data": {"()": "cases.redaction.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Django's default handlers for these (console, mail_admins, the development server's
    # request lines) would bypass the filter: these loggers go through the root instead.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # WeasyPrint (cases/exports/pdf.py) logs each step of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
