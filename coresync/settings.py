"""CoreSync settings: the only module that reads the environment.

With nothing configured CoreSync runs on embedded defaults (SQLite under
``var/``, local-memory cache, in-memory channel layer, a file-system Celery
broker, mail written to ``var/mail/``). Production sets ``DATABASE_URL``
(PostgreSQL) and ``REDIS_URL``. Every variable read here is listed in the
README's configuration table.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CORESYNC_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "coresync-insecure-development-key-change-me-in-production"
SECRET_KEY = env("SECRET_KEY", DEVELOPMENT_SECRET_KEY)  # the development key fails `check --deploy` (coresync.E001)
# Where `make run` (manage.py runall) serves. Unless set explicitly, the links in e-mails (SITE_URL), the
# CSRF trusted origins and the allowed hosts follow them, so another port or host gives no dead links.
WEB_HOST = env("HOST", "127.0.0.1")
WEB_PORT = env_int("PORT", 8000)
_LINK_HOST = "127.0.0.1" if WEB_HOST in ("", "0.0.0.0", "::") else WEB_HOST  # noqa: S104  (a bind-all address is not a link)
_LINK_HOST = f"[{_LINK_HOST}]" if ":" in _LINK_HOST and not _LINK_HOST.startswith("[") else _LINK_HOST
_HOSTS = dict.fromkeys([_LINK_HOST, "127.0.0.1", "localhost"])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ",".join(dict.fromkeys([*_HOSTS, "testserver", "[::1]"])))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", ",".join(f"http://{host}:{WEB_PORT}" for host in _HOSTS))
SITE_URL = env("SITE_URL", f"http://{_LINK_HOST}:{WEB_PORT}").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "axes",
    "coresync.core",
    "coresync.outbox",
    "coresync.integrations",
    "coresync.accounts",
    "coresync.audit",  # the append-only security log
    "coresync.catalog",
    "coresync.memberships",
    "coresync.technicians",
    "coresync.bookings",
    "coresync.ai_agent",
    "coresync.notifications",
    "coresync.payments",
    "coresync.staff",
    "coresync.analytics",
    "coresync.waitlist",
    "coresync.web",
    "coresync.calendars",
    "coresync.sheets",
    "coresync.accounting",
    "coresync.privacy",  # a customer's data exported or erased (reads and anonymises every app's rows)
    "coresync.demo",  # top floor: demo seeding and runall, may import every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "coresync.core.middleware.RequestSizeLimitMiddleware",
    "coresync.core.middleware.SnapshotVersionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "coresync.urls"
ASGI_APPLICATION = "coresync.asgi.application"
WSGI_APPLICATION = "coresync.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'coresync.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
DB_VENDOR = "postgresql" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
if DB_VENDOR == "sqlite":
    DATABASES["default"]["OPTIONS"] = {
        # Every write transaction takes the write lock up front, so the
        # overlap check and the insert that follows it cannot interleave.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file (not :memory:) so threads in race tests share it; one per process so parallel runs never collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-coresync-{os.getpid()}.sqlite3")}
else:
    if env_bool("DB_POOL", True):
        # Django's psycopg pool; under ASGI persistent connections (CONN_MAX_AGE)
        # reopen connections and were measured 3.3x slower.
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": env_int("DB_POOL_MIN", 2), "max_size": env_int("DB_POOL_MAX", 20), "timeout": 10}
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, channel layer --------------------------------------------
REDIS_URL = env("REDIS_URL")
_XDIST_WORKER = env("PYTEST_XDIST_WORKER")  # set by pytest-xdist in each test worker
if REDIS_URL and _XDIST_WORKER.startswith("gw"):
    # Parallel test workers must not share a Redis database: clearing the cache is FLUSHDB.
    _base, _, _db = REDIS_URL.rpartition("/")
    if _db.isdigit():
        REDIS_URL = f"{_base}/{(int(_db) + int(_XDIST_WORKER[2:])) % 16}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "coresync.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "coresync"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "coresync"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The cache degrades to a miss when Redis is down or hung (coresync.core.cache): short socket timeouts,
# then CACHE_RETRY_SECONDS without asking it. Sessions live in the database, the cache only in front.
CACHE_SOCKET_TIMEOUT = float(env("CACHE_SOCKET_TIMEOUT", "0.25"))
CACHE_RETRY_SECONDS = float(env("CACHE_RETRY_SECONDS", "5"))
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
AUTHENTICATION_BACKENDS = [
    "coresync.accounts.security.LoginLockoutBackend",  # django-axes: refuses locked-out sign-ins first
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one e-mail address, or from one
# client address, lock sign-in (web and admin) for LOGIN_LOCKOUT_MINUTES; a successful sign-in resets it.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "coresync.accounts.security.lockout_client_ip"  # core.ratelimit.client_ip
AXES_USERNAME_CALLABLE = "coresync.accounts.security.login_username"
AXES_LOCKOUT_CALLABLE = "coresync.accounts.security.locked_out"
AXES_VERBOSE = False
# Sign-ins and sign-outs are in the security log (coresync.audit); axes's own access log would keep each address in
# the clear (it records user.get_username()), so it is off: axes keeps only the failure counters, by blind index.
AXES_DISABLE_ACCESS_LOG = True
PASSWORD_RESET_EMAIL_RATE_LIMIT = env("PASSWORD_RESET_EMAIL_RATE_LIMIT", "3/hour")
PASSWORD_RESET_IP_RATE_LIMIT = env("PASSWORD_RESET_IP_RATE_LIMIT", "10/hour")
LOGIN_REDIRECT_URL = "/"

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root before collectstatic
STATICFILES_DIRS = [d for d in [BASE_DIR / "static"] if d.exists()]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "coresync.core.storage.StaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security (production sets these to True behind TLS) ----------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Proxy headers (X-Forwarded-For/-Proto) are trusted only behind our own proxies; the client's address is
# the one TRUSTED_PROXY_COUNT hops from the right of X-Forwarded-For (coresync.core.ratelimit.client_ip).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)  # e.g. 31536000 once HTTPS works everywhere
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Production hardening (issue 16) ---
# PRODUCTION=1 selects the production posture: TLS-only cookies, HTTPS redirect, HSTS for a year; each one can
# still be set explicitly. With PRODUCTION=1 the system checks refuse DEBUG, the development SECRET_KEY, a
# per-process cache or broker with more than one process and missing webhook secrets (coresync.core.checks).
PRODUCTION = env_bool("PRODUCTION", False)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): scripts only from our origin (or carrying the per-request nonce,
# {{ request.csp_nonce }}), never 'unsafe-inline'; Stripe's hosts are added on the pay pages only
# (coresync.payments.views, csp_update). Styles likewise: our stylesheets or a nonced <style>, no style attributes
# (the manager's e-mail preview alone allows them, coresync.notifications.views: e-mails are styled inline).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
STRIPE_CSP = {"script-src": ["https://js.stripe.com"], "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
              "connect-src": ["https://api.stripe.com"]}  # fmt: skip

# --- REST framework -------------------------------------------------------------
BOOKING_RATE_LIMIT = env("BOOKING_RATE_LIMIT", "100/hour")
# Per account (signed in) or client IP, fixed windows in the cache (coresync.core.ratelimit); over it: 429 + Retry-After.
PAYMENT_RATE_LIMIT = env("PAYMENT_RATE_LIMIT", "60/hour")  # pay, save a card, subscribe/cancel: API and pay pages' POSTs
STAFF_RATE_LIMIT = env("STAFF_RATE_LIMIT", "300/hour")  # a technician's writes: API and /portal/ POSTs
MANAGER_RATE_LIMIT = env("MANAGER_RATE_LIMIT", "600/hour")  # /api/v1/manager/… and the /manager/ pages' POSTs
WAITLIST_RATE_LIMIT = env("WAITLIST_RATE_LIMIT", "30/hour")  # joining or leaving the waitlist, taking an offer
WEBHOOK_RATE_LIMIT = env("WEBHOOK_RATE_LIMIT", "600/minute")  # per webhook and sending IP, before the signature check
PRIVACY_EXPORT_RATE_LIMIT = env("PRIVACY_EXPORT_RATE_LIMIT", "30/hour")  # personal-data exports and erasures per manager
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a bad credential a 401, not a 403.
        "coresync.memberships.authentication.TokenAuthentication",  # DRF's, with the member's tier in the same query
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: every public endpoint says so itself (permission_classes = [AllowAny]).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["coresync.core.parsers.JSONParser"],  # bounded size and nesting depth
    "DEFAULT_SCHEMA_CLASS": "coresync.core.schema.AutoSchema",  # adds each operation's 4xx in the error shape
    "EXCEPTION_HANDLER": "coresync.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"bookings": BOOKING_RATE_LIMIT, "chat": env("CHAT_RATE_LIMIT", "60/minute"),
                               "payments": PAYMENT_RATE_LIMIT, "staff": STAFF_RATE_LIMIT, "manager": MANAGER_RATE_LIMIT,
                               "waitlist": WAITLIST_RATE_LIMIT},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CoreSync API",
    "DESCRIPTION": "Booking, availability and concierge API of a luxury spa and wellness club.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],  # the schema and docs are public
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {"reference": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,32}$"}},
}

# --- Celery ------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A late-acked task whose worker died is redelivered after this; it must outlast the longest task and
    # countdown (system check coresync.E002), and no longer, or a killed worker's message waits hours.
    # Short socket timeouts: a hung broker costs a request about a second (then core.transactions skips
    # publishing for a while; the outbox sweep delivers later), not a hang. 2 s stays above kombu's 1 s BRPOP.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900)  # seconds; a task running longer is killed
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 60)
CELERY_LONGEST_COUNTDOWN_SECONDS = 900  # the longest retry countdown any task uses (ai_agent texts: 900 s)
# Publishing never stalls a request for long when the broker is down (the caller logs and moves on).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "coresync.core.beat:SingleBeatScheduler"  # django-celery-beat's, behind a leader lease in Redis
# Seconds a beat's leadership lasts without renewal: a standby beat takes over within this after the leader dies.
BEAT_LEASE_SECONDS = env_int("BEAT_LEASE_SECONDS", 30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email ----------------------------------------------------------------------
# SMTP, when EMAIL_HOST is set (and SendGrid is not): host, port, login and TLS from the environment.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_SSL:
    EMAIL_USE_TLS = False  # implicit TLS (port 465) and STARTTLS exclude each other
# Chosen like every provider (payments, calendar, accounting): EMAIL_PROVIDER names it, the
# vendor when its key is set, the useful local default (var/mail/ + console) otherwise.
EMAIL_PROVIDERS = {
    "local": "coresync.core.mail.FileAndConsoleBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "sendgrid": "coresync.integrations.sendgrid.backend.SendGridBackend",
}
EMAIL_PROVIDER = env("EMAIL_PROVIDER", "sendgrid" if env("SENDGRID_API_KEY") else "smtp" if EMAIL_HOST else "local")
EMAIL_BACKEND = env("EMAIL_BACKEND", EMAIL_PROVIDERS.get(EMAIL_PROVIDER, EMAIL_PROVIDER))
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "CoreSync Spa <concierge@coresync.test>")
MANAGER_EMAIL = env("MANAGER_EMAIL", "manager@coresync.test")
SENDGRID_API_KEY = env("SENDGRID_API_KEY")

# --- Notifications (coresync.notifications) -------------------------------------------
# Public key (base64 DER, as shown in SendGrid > Mail Settings > Event Webhook) used to
# verify the signed Event Webhook; without it the webhook refuses every request.
SENDGRID_WEBHOOK_PUBLIC_KEY = env("SENDGRID_WEBHOOK_PUBLIC_KEY")
SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS = env_list("SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS")  # still accepted while rotating
# Seconds a signed Event Webhook timestamp may be off from our clock (older or newer is refused: no replays).
SENDGRID_WEBHOOK_TOLERANCE = env_int("SENDGRID_WEBHOOK_TOLERANCE", 300)
SENDGRID_TIMEOUT_SECONDS = env_int("SENDGRID_TIMEOUT_SECONDS", 10)
# Fallback for locations without their own Google Business review link.
NOTIFICATIONS_GOOGLE_REVIEW_URL = env("GOOGLE_REVIEW_URL")
# Where the guest manages a booking; {site} and {reference} are filled in, ?email=&action= appended.
NOTIFICATIONS_MANAGE_BOOKING_URL = env("MANAGE_BOOKING_URL", "{site}/accounts/bookings/{reference}/")
NOTIFICATIONS_UNSUBSCRIBE_SALT = env("UNSUBSCRIBE_SALT", "coresync.notifications.unsubscribe")
# A 'sending' claim older than this is presumed dead (worker killed) and retried.
NOTIFICATIONS_SENDING_TIMEOUT_SECONDS = env_int("EMAIL_SENDING_TIMEOUT_SECONDS", 900)
NOTIFICATIONS_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 120)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)

# --- Outbox (SPEC §10.1): everything that leaves the building ------------------------
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 6 * 3600)
# A delivery still claimed after this long is presumed dead (worker killed) and delivered again.
OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 300)

# --- Booking rules (defaults; per-location values live in the database) ------------
BOOKING_HOLD_MINUTES = env_int("BOOKING_HOLD_MINUTES", 15)
WAITLIST_HOLD_MINUTES = env_int("WAITLIST_HOLD_MINUTES", 30)  # how long a freed time is held for the guest it is offered to
BOOKING_PAYMENT_MODE = env("BOOKING_PAYMENT_MODE", "on_site")  # on_site | online
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 300)

# --- Payments (SPEC §10.2; coresync.payments, coresync.integrations.stripe) ---------------
# `local` (the built-in test gateway: a card page on this site taking Stripe's test numbers) unless a Stripe key is set.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_WEBHOOK_SECRET_PREVIOUS = env_list("STRIPE_WEBHOOK_SECRET_PREVIOUS")  # still accepted while rolling the endpoint secret
STRIPE_API_BASE = env("STRIPE_API_BASE")  # e.g. a stripe-mock or test fake; empty: Stripe's own API
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)  # seconds a signed event may be old
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "stripe" if STRIPE_SECRET_KEY else "local")
# The card-on-file consent text's version, stored with each consent (bump it when the wording changes).
PAYMENT_CONSENT_VERSION = env("PAYMENT_CONSENT_VERSION", "2026-12-01")
# The local gateway's billing period, retry gap for a failed renewal, and failed renewals before a membership ends.
PAYMENTS_LOCAL_PERIOD_SECONDS = env_int("PAYMENTS_LOCAL_PERIOD_SECONDS", 30 * 24 * 3600)
PAYMENTS_LOCAL_RETRY_SECONDS = env_int("PAYMENTS_LOCAL_RETRY_SECONDS", 24 * 3600)
PAYMENTS_LOCAL_DUNNING_ATTEMPTS = env_int("PAYMENTS_LOCAL_DUNNING_ATTEMPTS", 3)
# Availability answers are cached per catalog version, bookings version, caller's window and
# minute; 0 turns the cache off.
AVAILABILITY_CACHE_SECONDS = env_int("AVAILABILITY_CACHE_SECONDS", 60)
CALENDAR_PROVIDER = env("CALENDAR_PROVIDER", "local")  # local (iCalendar feeds) | google
DEFAULT_CURRENCY = "USD"
DEFAULT_TAX_RATE = Decimal("8.875")
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)

# --- AI concierge (coresync.ai_agent) ---------------------------------------------
# Feature flag (docs/operations.md "Feature flags"): CONCIERGE_ENABLED=0 switches the concierge off on every door
# (WebSocket, HTTP twin, Atlas phone webhook answer with the front desk's number; the site hides the chat). Read at
# request time, so a restart with a new value (or override_settings in tests) takes effect without a deploy.
# AI_CONCIERGE_ENABLED is the older name, still honoured.
CONCIERGE_ENABLED = env_bool("CONCIERGE_ENABLED", env_bool("AI_CONCIERGE_ENABLED", True))
AI_CONCIERGE_ENABLED = env_bool("AI_CONCIERGE_ENABLED", CONCIERGE_ENABLED)
AI_ENGINE = env("AI_ENGINE", "rules")  # rules | llm (the rules engine stays the fallback)
AI_SESSION_TTL = env_int("AI_SESSION_TTL", 1800)
AI_MAX_MESSAGE_CHARS = env_int("AI_MAX_MESSAGE_CHARS", 2000)
AI_CHAT_SESSION_RATE_LIMIT = env("AI_CHAT_SESSION_RATE_LIMIT", "60/minute")
AI_CHAT_IP_RATE_LIMIT = env("AI_CHAT_IP_RATE_LIMIT", env("CHAT_RATE_LIMIT", "60/minute"))
AI_CONVERSATION_RETENTION_DAYS = env_int("AI_CONVERSATION_RETENTION_DAYS", 30)
AI_LLM_API_KEY = env("AI_LLM_API_KEY", env("OPENAI_API_KEY"))
AI_LLM_BASE_URL = env("AI_LLM_BASE_URL")  # empty: the SDK's default endpoint
AI_LLM_MODEL = env("AI_LLM_MODEL", "gpt-4o-mini")
AI_LLM_TIMEOUT = float(env("AI_LLM_TIMEOUT", "8"))
AI_LLM_MAX_TOOL_ROUNDS = env_int("AI_LLM_MAX_TOOL_ROUNDS", 4)
ATLAS_WEBHOOK_SECRET = env("ATLAS_WEBHOOK_SECRET")
# Rotating a webhook secret: the old value(s) here stay accepted until the provider signs with the new one.
ATLAS_WEBHOOK_SECRET_PREVIOUS = env_list("ATLAS_WEBHOOK_SECRET_PREVIOUS")
ATLAS_WEBHOOK_TOLERANCE = env_int("ATLAS_WEBHOOK_TOLERANCE", 300)
ATLAS_API_URL = env("ATLAS_API_URL").rstrip("/")
ATLAS_API_KEY = env("ATLAS_API_KEY")
ATLAS_TIMEOUT = float(env("ATLAS_TIMEOUT", "5"))
ATLAS_SEND_CONFIRMATION_TEXT = env_bool("ATLAS_SEND_CONFIRMATION_TEXT", True)

# --- Google Calendar and Google Sheets (SPEC §10.4; coresync.integrations.google) -------------
GOOGLE_SERVICE_ACCOUNT_FILE = env("GOOGLE_SERVICE_ACCOUNT_FILE")
GOOGLE_SERVICE_ACCOUNT_JSON = env("GOOGLE_SERVICE_ACCOUNT_JSON")
GOOGLE_CALENDAR_MASTER_ID = env("GOOGLE_CALENDAR_MASTER_ID")
GOOGLE_CALENDAR_TECHNICIANS_ID = env("GOOGLE_CALENDAR_TECHNICIANS_ID")
GOOGLE_CALENDAR_PRIVATE_ID = env("GOOGLE_CALENDAR_PRIVATE_ID")
PRICING_SOURCE = env("PRICING_SOURCE", "file")  # file | sheets
GOOGLE_SHEETS_PRICING_ID = env("GOOGLE_SHEETS_PRICING_ID")
GOOGLE_SHEETS_HOURS_ID = env("GOOGLE_SHEETS_HOURS_ID")
GOOGLE_SHEETS_QUEUE_ID = env("GOOGLE_SHEETS_QUEUE_ID")
GOOGLE_WEBHOOK_TOKEN = env("GOOGLE_WEBHOOK_TOKEN")  # the Sheets change webhook's token (calendar channels get their own)
GOOGLE_WEBHOOK_TOKEN_PREVIOUS = env_list("GOOGLE_WEBHOOK_TOKEN_PREVIOUS")  # still accepted while the Apps Script is updated
GOOGLE_API_BASE = env("GOOGLE_API_BASE")  # empty: Google's own hosts; set for tests and mocks
GOOGLE_TIMEOUT_SECONDS = env_int("GOOGLE_TIMEOUT_SECONDS", 10)
# Push channels live this long (Google caps events.watch at about a month); beat renews a day before expiry.
GOOGLE_CHANNEL_TTL_SECONDS = env_int("GOOGLE_CHANNEL_TTL_SECONDS", 7 * 24 * 3600)

# --- Accounting: QuickBooks Online (issue 13; SPEC §10.3; coresync.accounting, coresync.integrations.quickbooks) ---
# The six the owner provides (developer.intuit.com app keys, the company, its first refresh token, the redirect).
QUICKBOOKS_CLIENT_ID = env("QUICKBOOKS_CLIENT_ID")
QUICKBOOKS_CLIENT_SECRET = env("QUICKBOOKS_CLIENT_SECRET")
QUICKBOOKS_REALM_ID = env("QUICKBOOKS_REALM_ID")
QUICKBOOKS_REFRESH_TOKEN = env("QUICKBOOKS_REFRESH_TOKEN")  # seeds the stored (encrypted, rotating) token once
QUICKBOOKS_ENVIRONMENT = env("QUICKBOOKS_ENVIRONMENT", "sandbox")  # sandbox | production
QUICKBOOKS_REDIRECT_URI = env("QUICKBOOKS_REDIRECT_URI")
QUICKBOOKS_API_BASE = env("QUICKBOOKS_API_BASE")  # empty: Intuit's hosts; e.g. https://qbo.test for tests and mocks
QUICKBOOKS_OAUTH_TOKEN_URL = env("QUICKBOOKS_OAUTH_TOKEN_URL")  # empty: the token endpoint of Intuit's discovery document
QUICKBOOKS_TIMEOUT_SECONDS = env_int("QUICKBOOKS_TIMEOUT_SECONDS", 20)
# Company references used on receipts (empty: left out, QuickBooks applies its defaults).
QUICKBOOKS_DISCOUNT_ACCOUNT_ID = env("QUICKBOOKS_DISCOUNT_ACCOUNT_ID")
QUICKBOOKS_DEPOSIT_ACCOUNT_ID = env("QUICKBOOKS_DEPOSIT_ACCOUNT_ID")  # RefundReceipt's "refund from" account
QUICKBOOKS_TAX_CODE_ID = env("QUICKBOOKS_TAX_CODE_ID")
QUICKBOOKS_TAX_RATE_ID = env("QUICKBOOKS_TAX_RATE_ID")
QUICKBOOKS_OWNER_EMAIL = env("QUICKBOOKS_OWNER_EMAIL")  # who hears about a disconnect (default: MANAGER_EMAIL)
_QUICKBOOKS_SIX = (QUICKBOOKS_CLIENT_ID, QUICKBOOKS_CLIENT_SECRET, QUICKBOOKS_REALM_ID, QUICKBOOKS_REFRESH_TOKEN,
                   QUICKBOOKS_ENVIRONMENT if env("QUICKBOOKS_ENVIRONMENT") else "", QUICKBOOKS_REDIRECT_URI)
ACCOUNTING_PROVIDER = env("ACCOUNTING_PROVIDER", "quickbooks" if all(_QUICKBOOKS_SIX) else "local")  # local | quickbooks
# /readyz reports these providers' state (dotted paths of functions returning {"provider", "ok", "state", ...}).
READYZ_PROVIDER_CHECKS = ["coresync.accounting.providers.accounting_readiness"]

# --- Processes started by `make run` (manage.py runall) ---------------------------
# WEB_HOST / WEB_PORT are read at the top (SITE_URL and the CSRF origins follow them).
# Threads per web process serving HTTP requests at once (coresync.core.asgi_http); each holds a pooled
# database connection while it runs, so keep it below DB_POOL_MAX.
ASGI_THREADS = env_int("ASGI_THREADS", 8)
WEB_WORKERS = env_int("WEB_WORKERS", 1)  # >1 needs REDIS_URL: local-memory cache and channel layer are per process
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2)

# --- Logging --------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # Every answered request is logged once by coresync.request (status, route, time, request id); Django's
        # own warning per 4xx ("Conflict: /api/v1/bookings/" for every time already taken) repeated it. 5xx stay.
        "django.request": {"level": "ERROR"},
    },
}

# --- Observability (issue 16) ---
# Every request gets an id (X-Request-ID if the caller sent a sane one), returned in the response and on
# every log line; LOG_FORMAT=json (the default with PRODUCTION) writes one JSON object per line.
MIDDLEWARE.insert(0, "coresync.core.observability.RequestIdMiddleware")
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "plain")
LOGGING["formatters"]["json"] = {"()": "coresync.core.observability.JsonFormatter"}
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# --- Personal data at rest (issue 16; coresync.core.crypto, docs/operations.md "Keys") ---
# Names, e-mails, phones, notes, chat turns and provider tokens are Fernet-encrypted in the database under
# FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first: the first encrypts, all decrypt; after adding
# a key run `manage.py rotate_field_keys`). E-mails and phones are found through keyed blind indexes
# (HMAC-SHA256 under FIELD_INDEX_KEY; FIELD_INDEX_KEY_PREVIOUS still matches while `rotate_field_keys --reindex`
# runs). Unset, both are derived from SECRET_KEY (development only: PRODUCTION=1 refuses it, coresync.E018/E019).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
FIELD_INDEX_KEY = env("FIELD_INDEX_KEY")
FIELD_INDEX_KEY_PREVIOUS = env("FIELD_INDEX_KEY_PREVIOUS")

# --- Deploy (issue 16; render.yaml, Dockerfile, docs/operations.md "Deploying") ---
# Rotating SECRET_KEY: the new key signs, the old ones (newest first) still verify sessions, reset and manage links.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# On Render the service's public host name is given by the platform: allowed, trusted for CSRF and (unless
# SITE_URL is set) the address used in links, so a first deploy works before a custom domain is added.
RENDER_EXTERNAL_HOSTNAME = env("RENDER_EXTERNAL_HOSTNAME")
if RENDER_EXTERNAL_HOSTNAME:
    ALLOWED_HOSTS = list(dict.fromkeys([*ALLOWED_HOSTS, RENDER_EXTERNAL_HOSTNAME]))
    CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([*CSRF_TRUSTED_ORIGINS, f"https://{RENDER_EXTERNAL_HOSTNAME}"]))
    if not env("SITE_URL"):
        SITE_URL = f"https://{RENDER_EXTERNAL_HOSTNAME}"
# Health probes (Render's, Docker's, the load balancer's) speak plain HTTP from inside, with a Host of their own:
# /healthz is answered before host validation (CommonMiddleware; coresync.core.probes), after the request id
# and security headers; neither it nor /readyz is redirected to HTTPS.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.common.CommonMiddleware"), "coresync.core.probes.LivenessProbeMiddleware")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING too: the same JSON lines, with the task's request id
# Prometheus scrape at /metrics: 404 while METRICS_TOKEN is empty, else `Authorization: Bearer <token>`.
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself at import; runall sets it) sums the counters
# of every web and worker process; the gauges below are read from the database at scrape time.
METRICS_TOKEN = env("METRICS_TOKEN")
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)  # prometheus-client writes there at the first count
METRICS_COLLECTORS = ["coresync.bookings.health.bookings_metrics", "coresync.outbox.health.outbox_metrics",
                      "coresync.notifications.health.email_metrics"]
# Sentry: off while SENTRY_DSN is empty; no PII sent (send_default_pii off, and a scrubber for what slips in).
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "production" if PRODUCTION else "development")
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
if SENTRY_DSN:
    from coresync.core.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
# /readyz: every provider's stored state (informational: "degraded", never a 503).
READYZ_PROVIDER_CHECKS += ["coresync.notifications.health.mail_readiness", "coresync.payments.health.payments_readiness",
                           "coresync.calendars.health.calendar_readiness", "coresync.sheets.health.sheets_readiness",
                           "coresync.ai_agent.health.concierge_readiness", "coresync.outbox.health.outbox_readiness"]
# --- Audit trail (issue 16) ---
# Who changed what, through which channel: the request's channel and user, read by coresync.audit (after the request id).
MIDDLEWARE.insert(MIDDLEWARE.index("coresync.core.observability.RequestIdMiddleware") + 1, "coresync.audit.middleware.AuditContextMiddleware")
