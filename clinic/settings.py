"""Clinic settings: one module, driven by environment variables with safe defaults.

DEBUG is off unless DJANGO_DEBUG says otherwise; with DEBUG off a real
DJANGO_SECRET_KEY is required. `make run` writes a git-ignored `.env` (DEBUG on, a
random secret key) so every `manage.py` command works locally as in stock Django;
variables set in the environment win over it, and production never takes its key from it.
"""

import datetime
import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
import dotenv
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

# The local .env (written by `make run`); DJANGO_ENV_FILE names another file, or "" for none
# (the test suite sets that, so a developer's .env never changes what tests see).
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
_env_file = {key: value for key, value in (dotenv.dotenv_values(ENV_FILE) if ENV_FILE else {}).items() if value}
for _key, _value in _env_file.items():
    os.environ.setdefault(_key, _value)


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def parse_bool(name, value, default=False):
    """An environment switch: unset or empty gives `default`; a word that is neither true nor
    false stops startup, naming the variable (a typo such as "ture" must not mean false)."""
    value = (value or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false, 1/0, yes/no, on/off (any case), not {value!r}.")


def env_bool(name, default=False):
    return parse_bool(name, os.environ.get(name), default)


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, "
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105
elif not DEBUG and _env_file.get("DJANGO_SECRET_KEY") == SECRET_KEY:
    # The .env key was made for one developer's machine: a production process must be given its own.
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY comes from the local development file {ENV_FILE}, but DEBUG is off. "
        "Set DJANGO_SECRET_KEY in the environment of the production process."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin: it patches the admin to show a field per language of translated content.
    "modeltranslation",
    # Django's admin with the clinic's site (twofactor.sites.ClinicAdminSite) as admin.site.
    "twofactor.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_tasks_db",
    # The project-wide app: settings checks, site-wide template tags, form helpers (clinic/apps.py).
    "clinic.apps.ClinicConfig",
    "education",
    "consultations",
    "twofactor",
]

MIDDLEWARE = [
    # First: request count and latency per route name for /metrics (clinic.metrics).
    "clinic.metrics.MetricsMiddleware",
    "clinic.logging.RequestIdMiddleware",
    # Before anything that could read the body (CSRF, sessions, the views).
    "clinic.middleware.RequestSizeLimitMiddleware",
    "clinic.absolute.RequestBaseUrlMiddleware",
    "clinic.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages (not static files: WhiteNoise serves those pre-compressed). Django adds random
    # bytes to each gzip response against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Public pages for visitors who share them (clinic/pagecache.py): everything above runs on
    # every request; what is below runs when a page is rendered, and its headers are kept with it.
    "clinic.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor (twofactor app)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

# The clinic's own date formats per language (clinic/formats/<code>/formats.py), used through
# clinic/formatting.py and the |date filter with Django's format names.
FORMAT_MODULE_PATH = ["clinic.formats"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (threads, app server workers) share one file: WAL lets readers
    # go on while one writes, IMMEDIATE takes the write lock at BEGIN so two
    # transactions never deadlock upgrading a read lock, and the busy timeout makes
    # a writer wait for the lock instead of failing with "database is locked".
    # After the busy timeout the request gets the friendly 503 page (clinic.middleware).
    sqlite_timeout = env_int("CLINIC_SQLITE_TIMEOUT_SECONDS", 20)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": sqlite_timeout,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            f"PRAGMA busy_timeout={sqlite_timeout * 1000};PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests that race threads need a real file (an in-memory database has no WAL);
    # one per test process, so two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"clinic-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The database cache is shared by every process on the machine, so the rate
    # limit and cached pages hold across the app server's workers without running Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "clinic_cache",
        }
    }
# Public pages for anonymous visitors (clinic/pagecache.py), in each process's memory: a hit reads
# no database and no network. They are dropped through the content version in "default".
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "clinic-pages",
    "OPTIONS": {"MAX_ENTRIES": 500},
}
CACHE_MIDDLEWARE_SECONDS = env_int("CLINIC_PAGE_CACHE_SECONDS", 600)

# --- Auth ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Where a sign-in goes when its "next" is missing or refused (off-site): the staff area's index,
# not Django's default /accounts/profile/, which is no page here.
LOGIN_REDIRECT_URL = "admin:index"
AXES_FAILURE_LIMIT = env_int("CLINIC_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("CLINIC_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Renders templates/admin/lockout.html (status 429) with the wait in minutes.
AXES_LOCKOUT_CALLABLE = "clinic.views.login_locked_out"
# A mistyped one-time code is not stored with the failed attempt either.
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
AXES_VERBOSE = False
# The same client address as the rate limit and the audit trail (clinic/clientip.py).
AXES_CLIENT_IP_CALLABLE = "clinic.clientip.client_ip"
# Failed sign-ins live in the database, which every app node shares, so the lockout counts
# across nodes (the per-process cache handler would let each node allow its own five tries).
# clinic.lockout: axes's database handler, safe for a failure that races a success.
AXES_HANDLER = "clinic.lockout.LockoutHandler"


def parse_staff_2fa(value, debug):
    """CLINIC_STAFF_2FA: unset = required exactly when DEBUG is off; on/off to choose.

    Strict on purpose: a typo must not silently turn the second factor off.
    """
    if (value or "").strip().lower() == "required":
        return True
    return parse_bool("CLINIC_STAFF_2FA", value, default=not debug)


# Staff sign in with a password and then a code from an authenticator app or a recovery code
# (twofactor app). Off only for local trials and automated checks: check --deploy warns.
CLINIC_STAFF_2FA = parse_staff_2fa(os.environ.get("CLINIC_STAFF_2FA"), DEBUG)
# Passkeys (django-otp-webauthn) as a second factor only, never instead of the password. The
# relying party and the expected origin are the host staff reached, checked by ALLOWED_HOSTS
# (twofactor/passkeys.py checks each request against its own origin); the list below names
# the same hosts for the package's start-up check.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_ID_CALLABLE = "twofactor.passkeys.relying_party_id"
OTP_WEBAUTHN_HELPER_CLASS = "twofactor.passkeys.ClinicWebAuthnHelper"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"https://{host.lstrip('.')}" for host in ALLOWED_HOSTS] or ["https://localhost"]

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
# Each language named in itself: the switch is read by someone who may not know the other one.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Treatment content is translated per field (education/translation.py). A missing Spanish field
# never silently shows English inside a Spanish page: education.models.Treatment.content_language
# decides per page, and a page without a complete, reviewed Spanish version is shown in English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = os.environ.get("CLINIC_TIME_ZONE") or os.environ.get("TIME_ZONE") or "America/New_York"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]


def private_storage(media_url, local_root):
    """The storage for patients' photos: the local directory, or S3-compatible object storage
    when CLINIC_MEDIA_URL is s3://bucket/prefix (credentials from the usual AWS_* variables;
    AWS_S3_ENDPOINT_URL for a provider other than AWS).

    Objects are never public: no ACL is sent (the bucket's private default applies) and the app
    reads them through its permission-checked photo view. If anything ever asks for a URL, it is
    signed and lives one minute.
    """
    if not media_url.strip():
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": local_root, "base_url": None},
        }
    parts = urlsplit(media_url.strip())
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured(f"CLINIC_MEDIA_URL must look like s3://bucket/prefix, not {media_url!r}.")
    options = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 60,
        "file_overwrite": False,
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or os.environ.get("AWS_DEFAULT_REGION") or None,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Patient photos: a private directory (or bucket) that no URL maps to. Staff reach them
    # only through a permission-checked view.
    "private": private_storage(
        os.environ.get("CLINIC_MEDIA_URL", ""),
        os.environ.get("CLINIC_PRIVATE_MEDIA_ROOT") or str(BASE_DIR / "private-media"),
    ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        # Public files for nginx to serve: not FILE_UPLOAD_PERMISSIONS (0600, meant for patients'
        # photos), which made every /static/ URL 403 through nginx (found by the boot test).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# The whole request body (CLINIC_MAX_REQUEST_MB, clinic.middleware.RequestSizeLimitMiddleware):
# just above the form's own maximum of 3 photos x 10 MB, so a larger body is refused with 413
# before any of it is read.
CLINIC_MAX_REQUEST_MB = env_int("CLINIC_MAX_REQUEST_MB", 32)
# Form fields without the files (answers are a few KB); files above 2.5 MB go to a temporary
# file instead of memory; no form takes more than 3 photos (10 leaves room for a clear message).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- Email and tasks ------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "consolemail://")


def parse_email_url(url):
    """A MAILERS entry from smtp://user:pass@host:587 (smtps:// for implicit TLS,
    ?tls=false to skip STARTTLS), consolemail://, filemail:///absolute/dir,
    locmem:// or dummymail://."""
    parts = urlsplit(url)
    backends = {
        "consolemail": "console",
        "filemail": "filebased",
        "locmem": "locmem",
        "dummymail": "dummy",
        "smtp": "smtp",
        "smtps": "smtp",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not one of {', '.join(backends)}.")
    options = {}
    if parts.scheme == "filemail":
        options["file_path"] = unquote(parts.path) or str(BASE_DIR / "sent-mail")
    if parts.scheme in {"smtp", "smtps"}:
        query = dict(parse_qsl(parts.query))
        options = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 587),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": parts.scheme == "smtp" and query.get("tls", "true").lower() != "false",
            "timeout": 10,
        }
    return {"BACKEND": f"django.core.mail.backends.{backends[parts.scheme]}.EmailBackend", "OPTIONS": options}


MAILERS = {"default": parse_email_url(EMAIL_URL)}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Clinic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CLINIC_STAFF_EMAIL = os.environ.get("CLINIC_STAFF_EMAIL", "staff@localhost")

# "immediate" runs a task (an email) right after the request's transaction commits;
# "database" stores it for `manage.py db_worker` (django-tasks-db), so a slow mail
# server never holds up a patient's page.
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
_task_backend = os.environ.get("CLINIC_TASKS_BACKEND", "immediate")
if _task_backend not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"CLINIC_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {_task_backend!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_task_backend]}}
# Finished task results (the "database" backend's rows: a notice's name, a request id, a
# language) are deleted by `purge_requests` once this many days old.
CLINIC_TASK_RESULT_DAYS = env_int("CLINIC_TASK_RESULT_DAYS", 7)

# --- The clinic ---------------------------------------------------------------
CLINIC = {
    "NAME": os.environ.get("CLINIC_NAME", "Riverside Aesthetic Clinic"),
    "STREET": os.environ.get("CLINIC_STREET", "120 Harbor Street, Suite 4"),
    "CITY": os.environ.get("CLINIC_CITY", "Portland"),
    "REGION": os.environ.get("CLINIC_REGION", "ME"),
    "POSTAL_CODE": os.environ.get("CLINIC_POSTAL_CODE", "04101"),
    "COUNTRY": os.environ.get("CLINIC_COUNTRY", "US"),
    "PHONE": os.environ.get("CLINIC_PHONE", "+1 207 555 0134"),
    # Shown in every treatment page's "Get help at once" box, after 911.
    "EMERGENCY_PHONE": os.environ.get("CLINIC_EMERGENCY_PHONE") or os.environ.get("CLINIC_PHONE", "+1 207 555 0134"),
    "EMAIL": os.environ.get("CLINIC_EMAIL", "hello@example.com"),
    "HOURS": os.environ.get("CLINIC_HOURS", "Mon–Fri, 9 AM–5 PM"),
    # The same hours for Spanish pages and emails (clinic.i18n.clinic_details).
    "HOURS_ES": os.environ.get("CLINIC_HOURS_ES", "lun–vie, 9 a. m.–5 p. m."),
    # schema.org openingHours syntax for JSON-LD.
    "OPENING_HOURS": os.environ.get("CLINIC_OPENING_HOURS", "Mo-Fr 09:00-17:00"),
    "PHONE_REGION": os.environ.get("CLINIC_PHONE_REGION", "US"),
}
CLINIC_SITE_URL = os.environ.get("CLINIC_SITE_URL", "").rstrip("/")
# Shown in staff's authenticator apps next to the code.
OTP_TOTP_ISSUER = CLINIC["NAME"]
OTP_WEBAUTHN_RP_NAME = CLINIC["NAME"]

# --- Security -----------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# A monitoring probe on the loopback interface talks plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]


def parse_proxy_ssl_header(value):
    """("HTTP_X_FORWARDED_PROTO", "https") from "X-Forwarded-Proto,https" or "HTTP_X_FORWARDED_PROTO,https".

    Set it only behind a proxy that overwrites the header: a client that can set it
    could otherwise pass a plain-HTTP request off as HTTPS.
    """
    header, _sep, expected = (part.strip() for part in value.partition(","))
    if not header or not expected:
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER={value!r} should look like 'X-Forwarded-Proto,https'."
        )
    header = header.upper().replace("-", "_")
    return (header if header.startswith("HTTP_") else f"HTTP_{header}", expected)


if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = parse_proxy_ssl_header(os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"])
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"
# Staff sessions end after this much inactivity (the session is renewed on each request).
SESSION_COOKIE_AGE = env_int("CLINIC_STAFF_SESSION_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The nonce lets Django's admin keep its one inline <style> (change lists without
    # actions); style attributes stay blocked, and scripts never get 'unsafe-inline'.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Deny every powerful browser feature; the site needs none of them. Only names that
# current Chromium recognises: an unknown name is a console warning on every page
# (tests/e2e/test_admin_csp.py checks).
# (Photo upload uses a file input, which needs no camera permission.)
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera",
        "clipboard-read", "compute-pressure", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "hid", "idle-detection", "local-fonts", "magnetometer", "microphone",
        "midi", "otp-credentials", "payment", "picture-in-picture",
        "screen-wake-lock", "serial", "usb", "window-management", "xr-spatial-tracking",
    )
}  # fmt: skip
# Staff's passkeys (twofactor/passkeys.py): this site only, never a frame.
PERMISSIONS_POLICY["publickey-credentials-get"] = ["self"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Logging: structured lines with a request id, never request bodies -------------
# Error reports hide every POST value, local variable and upload name (clinic/reporting.py).
DEFAULT_EXCEPTION_REPORTER = "clinic.reporting.PatientSafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "clinic.reporting.PatientSafeExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "clinic.logging.RequestIdFilter"},
        "mask_secrets": {"()": "clinic.logging.MaskSecretsFilter"},
    },
    "formatters": {
        "kv": {
            "()": "clinic.logging.UTCFormatter",
            "format": "time=%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s",
        },
        "access": {"()": "clinic.logging.UTCFormatter", "format": "time=%(asctime)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "kv", "filters": ["request_id", "mask_secrets"]},
        # The app server's access log (serve.py, granian): its own line format, tokens masked too.
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "access",
            "filters": ["mask_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # granian configures this logger before Django starts in its workers; configuring logging
        # closes the handlers there were, so it is named here again (or access lines would vanish).
        "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}

# --- Consultations ------------------------------------------------------------------
CLINIC_LINK_MAX_AGE_DAYS = env_int("CLINIC_LINK_MAX_AGE_DAYS", 60)
# The emailed self-service link is exchanged for a cookie that lives this long (minutes): the
# patient then works on token-free pages; after it, they open the link again.
CLINIC_SELF_SERVICE_MINUTES = env_int("CLINIC_SELF_SERVICE_MINUTES", 60)
CLINIC_RETENTION_DAYS = env_int("CLINIC_RETENTION_DAYS", 730)
# "Who looked at my request" on the patient's page names staff by role only, unless the clinic opts in.
CLINIC_SHOW_STAFF_NAMES_TO_PATIENTS = env_bool("CLINIC_SHOW_STAFF_NAMES_TO_PATIENTS", False)
CLINIC_MIN_FILL_SECONDS = env_int("CLINIC_MIN_FILL_SECONDS", 3)
CLINIC_SUBMISSION_RATE = os.environ.get("CLINIC_SUBMISSION_RATE", "10/h")
# How many proxies in front of the app append to X-Forwarded-For (0: believe REMOTE_ADDR only).
CLINIC_TRUSTED_PROXY_HOPS = env_int("CLINIC_TRUSTED_PROXY_HOPS", 0)
CLINIC_CONSULTATION_MINUTES = env_int("CLINIC_CONSULTATION_MINUTES", 30)
CLINIC_BUFFER_MINUTES = env_int("CLINIC_BUFFER_MINUTES", 10)
CLINIC_BOOKING_WEEKS = env_int("CLINIC_BOOKING_WEEKS", 4)
CLINIC_BOOKING_LEAD_HOURS = env_int("CLINIC_BOOKING_LEAD_HOURS", 12)
CLINIC_MAX_RESCHEDULES = env_int("CLINIC_MAX_RESCHEDULES", 2)
CLINIC_REMINDER_HOURS = env_int("CLINIC_REMINDER_HOURS", 24)
# Confirm or release (issue 27): the reminder goes out this many hours before an approved booking
# and asks the patient to confirm or release the time; unconfirmed bookings show on the front
# desk's schedule. 0 turns it off (then a plain reminder goes out CLINIC_REMINDER_HOURS before).
CLINIC_CONFIRM_HOURS = env_int("CLINIC_CONFIRM_HOURS", 48)
# "Book again" (issue 27): the recall email's link opens the form prefilled for this many minutes.
CLINIC_RECALL_PREFILL_MINUTES = env_int("CLINIC_RECALL_PREFILL_MINUTES", 30)


def env_rate(name, default):
    """A rate like "10/h" (per s, m, h or d) or "off", checked at startup: a typo would otherwise
    surface as an error page on the first patient's send (consultations.ratelimit.parse_rate reads it)."""
    value = os.environ.get(name, "").strip() or default
    count, _slash, unit = value.lower().partition("/")
    if value.lower() in ("off", "none", "0") or (count.isdigit() and unit in ("", "s", "m", "h", "d")):
        return value
    raise ImproperlyConfigured(f'{name} must look like "10/h" (per s, m, h or d) or be "off", not {value!r}.')


# Abuse budgets of the intake form (consultations/ratelimit.py, per client: IPv4 address or IPv6 /64).
# Posts whose photos are decoded (costly), and posts sent back with errors.
CLINIC_PHOTO_POST_RATE = env_rate("CLINIC_PHOTO_POST_RATE", "10/h")
CLINIC_INVALID_POST_RATE = env_rate("CLINIC_INVALID_POST_RATE", "30/h")
# Photo decodes at once per process; a post that waits longer than this is asked to try again.
CLINIC_PHOTO_DECODES = env_int("CLINIC_PHOTO_DECODES", 2)
CLINIC_PHOTO_DECODE_WAIT_SECONDS = env_int("CLINIC_PHOTO_DECODE_WAIT_SECONDS", 10)
# A rendered form may be sent for this long; then it is shown again (answers kept) with a new token.
CLINIC_SUBMISSION_TOKEN_HOURS = env_int("CLINIC_SUBMISSION_TOKEN_HOURS", 24)
# Held times (consultations/booking.py): active holds per email, per phone and per client; beyond
# them (or past the brake) a request is stored without a time ("no preference") and the clinic calls.
CLINIC_HOLDS_PER_EMAIL = env_int("CLINIC_HOLDS_PER_EMAIL", 2)
CLINIC_HOLDS_PER_PHONE = env_int("CLINIC_HOLDS_PER_PHONE", 2)
CLINIC_HOLDS_PER_CLIENT = env_int("CLINIC_HOLDS_PER_CLIENT", 3)
# The brake: this many new holds in the window, from anyone, and new requests hold no time for now.
CLINIC_HOLD_BRAKE = env_rate("CLINIC_HOLD_BRAKE", "20/h")
# A held time the patient does not confirm through the receipt's link within this many hours is
# released (never later than the time itself); the request stays, without a time.
CLINIC_HOLD_CONFIRM_HOURS = env_int("CLINIC_HOLD_CONFIRM_HOURS", 24)
# The waitlist (consultations/waitlist.py): a freed time is offered to this many waitlisted patients at
# once, in order of joining; an offer not accepted within so many minutes expires and the next ones get it.
CLINIC_WAITLIST_OFFER_MINUTES = env_int("CLINIC_WAITLIST_OFFER_MINUTES", 120)
CLINIC_WAITLIST_OFFER_BATCH = env_int("CLINIC_WAITLIST_OFFER_BATCH", 3)
