"""Django settings, configured from the environment.

PEERPATH_SECRET_KEY  secret key (required when debug is off)
PEERPATH_DEBUG       "1" turns debug on (the demo command sets it); off by default
DATABASE_URL         PostgreSQL (or any dj-database-url) URL; SQLite under var/ when unset
PEERPATH_DATA_DIR    where the SQLite file lives (default: ./var)
PEERPATH_ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1)
PEERPATH_TEST_DB_NAME   name of the PostgreSQL test database (default: test_<name>)
PEERPATH_ENV         "production" refuses debug (and insecure settings)
PEERPATH_ACCESSLOG_KEY / PEERPATH_ACCESSLOG_ANCHORS  key and file of the access-log anchors
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("PEERPATH_DATA_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("PEERPATH_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("PEERPATH_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("PEERPATH_TESTING") != "1":
        raise ImproperlyConfigured(
            "PEERPATH_SECRET_KEY is not set. Set it, or set PEERPATH_DEBUG=1 for a local demo."
        )
    SECRET_KEY = "insecure-local-demo-key-never-use-in-production"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("PEERPATH_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "peerpath.core",
    "peerpath.accounts",
    "peerpath.audit",
    "peerpath.organizations",
    "peerpath.staff",
    "peerpath.people",
    "peerpath.plans",
    "peerpath.authorizations",
    "peerpath.services",
    "peerpath.policy",
    "peerpath.demo",
    "peerpath.consent",
    "peerpath.billing",
    "peerpath.access",
    "django_tasks",
    "django_tasks_db",
    "peerpath.jobs",
    "peerpath.outcomes",
    "peerpath.api",
    "peerpath.schedule",
]

# Background jobs (peerpath/jobs, docs/jobs.md): django-tasks with its database backend, so
# the queue lives in PeerPath's own database (SQLite or PostgreSQL) and needs no other
# server. `peerpath worker` runs the queue; `peerpath serve` starts one worker with the app.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# Where a running job's progress goes while its work holds a transaction: "files" (a folder
# on this machine; the default on SQLite) or "database" (a second connection; PostgreSQL).
PEERPATH_JOB_PROGRESS = os.environ.get("PEERPATH_JOB_PROGRESS", "")
PEERPATH_JOBS_DIR = os.environ.get("PEERPATH_JOBS_DIR", "")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server (compressed, cached for good by hashed name).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "peerpath.accounts.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "peerpath.accounts.middleware.IdleTimeoutMiddleware",
    "peerpath.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuses numbers too large for any record id (after sign-in, so the refusal pages
    # know who is asking; before any view reads the database).
    "peerpath.accounts.middleware.RequestLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A page that only reads asks the policy engine each question once.
    "peerpath.policy.middleware.PolicyMemoMiddleware",
    # Last, so that it sees the result of authentication (django-axes' own advice).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"

# Sign-in safety. Lock an account after repeated failures; sign out after a quiet stretch;
# a second factor (TOTP) for the roles that see many people's records.
AXES_FAILURE_LIMIT = int(os.environ.get("PEERPATH_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("PEERPATH_LOCKOUT_HOURS", "0.5"))
# Per account, not per address: an agency office shares one address, and locking it would
# lock every colleague out after one person's mistakes.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
PEERPATH_IDLE_MINUTES = int(os.environ.get("PEERPATH_IDLE_MINUTES", "15"))
PEERPATH_REQUIRE_2FA = os.environ.get("PEERPATH_REQUIRE_2FA", "1") == "1"
PEERPATH_2FA_ROLES = frozenset({"admin", "supervisor"})
SESSION_COOKIE_AGE = 12 * 60 * 60
OTP_TOTP_ISSUER = "PeerPath"

# The access log's anchors (peerpath/access/anchors.py, docs/deploy.md): the chain head is
# appended to this file, signed with this key; keep both off the database's machine or
# permissions. The key defaults to one derived from the secret key.
PEERPATH_ACCESSLOG_KEY = os.environ.get("PEERPATH_ACCESSLOG_KEY", "") or ("anchor:" + SECRET_KEY)
PEERPATH_ACCESSLOG_ANCHORS = os.environ.get(
    "PEERPATH_ACCESSLOG_ANCHORS", str(DATA_DIR / "accesslog-anchors.jsonl")
)

ROOT_URLCONF = "peerpath.urls"


# How long a server process may reuse a supervisor's board while no change has been recorded
# since it was computed (peerpath/staff/selectors.py); 0 computes it on every request.
def _seconds(name: str, default: str) -> float:
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be a number of seconds, 0 or more; got {raw!r}.")
    return value


PEERPATH_BOARD_CACHE_SECONDS = _seconds("PEERPATH_BOARD_CACHE_SECONDS", "60")
PEERPATH_BREAK_GLASS_HOURS = float(os.environ.get("PEERPATH_BREAK_GLASS_HOURS", "4"))
WSGI_APPLICATION = "peerpath.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peerpath.access.capabilities.context",
                "peerpath.people.context.banner",
            ],
            # Money, counts, dates and times in one style on every page (`|money`, `|day`).
            "builtins": ["peerpath.core.templatetags.formatting"],
        },
    },
]

_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if os.environ.get("PEERPATH_TEST_DB_NAME"):
        # Lets two checkouts run their PostgreSQL tests on one server without colliding.
        DATABASES["default"]["TEST"] = {"NAME": os.environ["PEERPATH_TEST_DB_NAME"]}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # The embedded default. WAL: readers never wait for the writer. IMMEDIATE: a transaction
    # takes the write lock when it starts (no deadlock upgrading a read). Writers take turns
    # through a lock file (peerpath/core/sqlite), and one waits up to PEERPATH_SQLITE_TIMEOUT
    # seconds for its turn before "database is locked". See README for when to move to
    # PostgreSQL.
    DATABASES = {
        "default": {
            "ENGINE": "peerpath.core.sqlite",
            "NAME": str(DATA_DIR / "peerpath.sqlite3"),
            # Each web thread keeps its connection (and SQLite's cache of pages and of the
            # schema) from request to request instead of opening the file each time.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": float(os.environ.get("PEERPATH_SQLITE_TIMEOUT", "30")),
                "init_command": "PRAGMA journal_mode=WAL",
            },
            # Tests use an in-memory database (pytest-django recognizes the stock engine
            # only, so say it here).
            "TEST": {"NAME": ":memory:"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("PEERPATH_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# whitenoise serves static files. Outside tests they are collected (`peerpath serve` runs
# collectstatic) with hashed, compressed copies, cached by browsers for good; with debug on
# (the demo) they are served from the source folders as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or os.environ.get("PEERPATH_TESTING") == "1"
            else "peerpath.core.staticfiles.StaticStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Production (PEERPATH_ENV=production; docs/deploy.md): debug is refused, the secret key
# must be a real one, and HTTPS is on: plain-HTTP requests are redirected, browsers are told
# to use HTTPS only (HSTS). Behind a TLS proxy that sets X-Forwarded-Proto (the documented
# setup), PEERPATH_PROXY_TLS=1 lets Django trust it. PEERPATH_HTTPS=1 does the same outside
# production; PEERPATH_HSTS_SECONDS changes the HSTS time (0 turns it off).
PEERPATH_ENV = os.environ.get("PEERPATH_ENV", "").strip().lower()
PRODUCTION = PEERPATH_ENV == "production"
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured(
            "PEERPATH_DEBUG=1 is refused when PEERPATH_ENV=production: debug pages show "
            "settings and data. Unset PEERPATH_DEBUG."
        )
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure-"):
        raise ImproperlyConfigured(
            "PEERPATH_SECRET_KEY must be at least 50 random characters in production "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(64))").'
        )
HTTPS = os.environ.get("PEERPATH_HTTPS", "1" if PRODUCTION else "0") == "1"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health$"]  # the proxy's health check speaks plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("PEERPATH_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("PEERPATH_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("PEERPATH_HSTS_PRELOAD", "0") == "1"
    if not SECURE_HSTS_PRELOAD:
        # Joining browsers' preload list binds the whole domain for months: the domain
        # owner's decision (docs/deploy.md), not a default.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
if os.environ.get("PEERPATH_PROXY_TLS", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Error pages and logs must never carry PHI: no request bodies, no local variables, no query
# strings (searches carry names), no Medicaid IDs. Every handler carries the "phi" filter
# (peerpath.access.logfilters.RedactPHI); a handler added here must list it too.
# Django's own loggers lose their default handlers (mail_admins would e-mail whole requests)
# and pass WARNING and above to the console.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"phi": {"()": "peerpath.access.logfilters.RedactPHI"}},
    "formatters": {
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["phi"]},
        "server": {"class": "logging.StreamHandler", "filters": ["phi"], "formatter": "server"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": [], "level": "WARNING", "propagate": True},
        # runserver's request lines: the filter drops their query strings.
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
