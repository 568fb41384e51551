"""Personae settings: one module, driven by environment variables (see `.env.example`)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import environ
from django.contrib.messages import constants as message_constants

from config import browser_policies
from config.analytics_settings import *  # noqa: F403  (product analytics: retention, dashboards)
from config.api_settings import *  # noqa: F403  (the JSON API, extension and webhook settings)
from config.beat_schedule import CELERY_BEAT_SCHEDULE as CELERY_BEAT_SCHEDULE
from config.environment import BASE_DIR, DEBUG, env
from config.environment import SECRET_KEY as SECRET_KEY
from config.identity_settings import *  # noqa: F403  (likeness scoring, lineage, keepers)
from config.jobcentre_settings import *  # noqa: F403  (job centre, priority queue, notifications)
from config.licensing_settings import *  # noqa: F403  (likeness licensing: payouts)
from config.roto_settings import *  # noqa: F403  (rotoscoping: how long a range each plan mattes)
from config.tools_settings import *  # noqa: F403  (AI tools: limits of colour grading and audio cleanup)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Personae"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "anymail",
    "django_htmx",
    # django-ninja's API docs: with the app installed they use its bundled Swagger UI, not a CDN.
    "ninja",
    "template_partials",
    # CORS for /api/v1/ only, and only from the browser extension's origin (EXTENSION_ORIGINS).
    "corsheaders",
    # The project itself first: its ready() binds the Celery app (config/apps.py).
    "config.apps.PersonaeConfig",
    "core",
    "accounts",
    "audit",
    "analytics",
    "orgs",
    "billing",
    "safety",
    # Stripe through dj-stripe; with no STRIPE_SECRET_KEY, the local test-mode Stripe answers instead.
    "djstripe",
    "stripe_local",
    "assets",
    "providers",
    "jobs",
    "generation",
    "video",
    "licensing",
    # AI tools (colour grading, audio cleanup): beside video, on jobs, assets and billing.
    "tools",
    "characters",
    # Style recipes: extracted from library images, offered in the Studio as presets.
    "styles",
    "projects",
    "datasets",
    "usage",
    # Data exports, deletions and retention (GDPR): above the apps whose data it gathers and deletes.
    "privacy",
    # Likeness on every asset, lineage graphs with re-runs, "generate until N keepers".
    "identity",
    "notifications",
    "onboarding",
    "marketing",
    # API keys, the JSON API's routers (config/api.py) and outgoing webhooks: above the apps it serves.
    "api",
    # Marketing site and blog: Wagtail serves /blog/ and its editor at /cms/.
    "blog",
    "wagtail.contrib.routable_page",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.images",
    "wagtail.documents",  # the page editor's scripts expect it, though the blog stores no documents
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.sitemaps",
    # Demo data for local runs (manage.py seed_demo); above every domain app.
    "seeds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # ADMIN_ALLOWED_CIDRS: /admin/ and /cms/ are a 404 outside those networks.
    "core.middleware.AdminAllowListMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware: answers the extension's preflight for /api/v1/ (CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Where each request comes from, for the audit entries it writes (audit/context.py).
    "audit.middleware.AuditContextMiddleware",
    # Product events a request records are written together, once, after its view (analytics/).
    "analytics.middleware.AnalyticsBufferMiddleware",
    # Fail closed: every view needs a login unless it is marked @login_not_required.
    "core.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After MessageMiddleware, so messages it shows are consumed before they are stored again.
    "core.middleware.HtmxMessagesMiddleware",
    # The credits pill follows HTMX work that settles or moves credits (billing/middleware.py).
    "billing.middleware.HtmxCreditsPillMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy with a per-request nonce (core/csp.py), and Permissions-Policy.
    "core.csp.PolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
# Each entry is a decision explained where it is added (search for SILENCED_SYSTEM_CHECKS).
SILENCED_SYSTEM_CHECKS: list[str] = []
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.site",
                "core.csp.nonce",
                "orgs.context_processors.org_nav",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database ------------------------------------------------------------------------------
# DATABASE_URL is always set by the time settings load: either by the operator, or by
# config.embedded.ensure_services() (called from manage.py, wsgi and celery) for the
# embedded PostgreSQL under .data/.
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL.replace("redis+socket://", "unix://"),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="personae"),
    }
}

# --- Auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "app_home"
LOGOUT_REDIRECT_URL = "marketing:landing"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Personae · "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# allauth throttles login, failed logins, sign-ups and resets through the Redis cache above.
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/180s/key",
}
# Rate limits key on the client's address behind our proxies (TRUSTED_PROXY_COUNT below).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS_ENABLED = env.bool("ACCOUNT_RATE_LIMITS_ENABLED", default=True)
if not ACCOUNT_RATE_LIMITS_ENABLED:
    ACCOUNT_RATE_LIMITS = False

# Sessions are read from the Redis cache (written through to the database), so a request doesn't
# pay a database round trip for its session; polled partials make that count.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Email ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Personae <hello@personae.local>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_PROVIDER = env("EMAIL_PROVIDER", default="")
# The setting name each anymail provider reads its credential from.
_ANYMAIL_KEY_SETTING = {
    "brevo": "BREVO_API_KEY",
    "mailgun": "MAILGUN_API_KEY",
    "mandrill": "MANDRILL_API_KEY",
    "postmark": "POSTMARK_SERVER_TOKEN",
    "resend": "RESEND_API_KEY",
    "sendgrid": "SENDGRID_API_KEY",
    "sparkpost": "SPARKPOST_API_KEY",
}
ANYMAIL: dict[str, str] = {}
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))
if EMAIL_PROVIDER:
    if EMAIL_PROVIDER not in _ANYMAIL_KEY_SETTING:
        raise environ.ImproperlyConfigured(
            f"EMAIL_PROVIDER={EMAIL_PROVIDER!r} is not one of {', '.join(sorted(_ANYMAIL_KEY_SETTING))}."
        )
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_PROVIDER}.EmailBackend"
    ANYMAIL[_ANYMAIL_KEY_SETTING[EMAIL_PROVIDER]] = env("EMAIL_PROVIDER_API_KEY")
    if EMAIL_PROVIDER == "mailgun":
        if env("MAILGUN_SENDER_DOMAIN", default=""):
            ANYMAIL["MAILGUN_SENDER_DOMAIN"] = env("MAILGUN_SENDER_DOMAIN")
        if env("MAILGUN_API_URL", default=""):  # e.g. https://api.eu.mailgun.net/v3 for the EU region
            ANYMAIL["MAILGUN_API_URL"] = env("MAILGUN_API_URL")
else:
    # Development: every message is written to a file under EMAIL_FILE_PATH and listed at
    # /dev/mail/ (DEBUG only).
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="core.mail.DevMailboxBackend")

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_RETRY_ON_WORKER_LOST = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep a worker's database connection across tasks (Celery's Django fixup otherwise reconnects before
# and after every task: three connections per upscale). Closed and reopened every 100 tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
# priority_steps: each queue is four Redis lists, taken 0 first (CELERY_PRIORITY_PAID/FREE).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "priority_steps": [0, 3, 6, 9]}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".data" / "celerybeat-schedule")
)
Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
# CELERY_BEAT_SCHEDULE, the periodic tasks, is in config/beat_schedule.py (imported above).

# --- Static & media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media: the local filesystem under MEDIA_ROOT, or a private S3 / Cloudflare R2 bucket when
# MEDIA_BUCKET is set (see docs/configuration.md#media-storage). Either way, files are served only
# through short-lived signed URLs built by assets/storage.py.
MEDIA_BUCKET = env("MEDIA_BUCKET", default="")
MEDIA_BACKEND = "s3" if MEDIA_BUCKET else "local"
MEDIA_URL_EXPIRY = env.int("MEDIA_URL_EXPIRY", default=300)
UPLOAD_URL_EXPIRY = env.int("UPLOAD_URL_EXPIRY", default=900)
if MEDIA_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            # R2: https://<account>.r2.cloudflarestorage.com
            "endpoint_url": env("MEDIA_ENDPOINT_URL", default="") or None,
            "region_name": env("MEDIA_REGION", default="") or None,  # R2: auto
            "access_key": env("MEDIA_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("MEDIA_SECRET_ACCESS_KEY", default="") or None,
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": MEDIA_URL_EXPIRY,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        # Production serves hashed, compressed files (needs `collectstatic`); development and
        # tests read the source files directly.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media"))

# --- i18n ----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

MESSAGE_TAGS = {message_constants.ERROR: "error"}

# --- Product rules -------------------------------------------------------------------------
# Uploads: at most this many files per drop, and a pending upload is abandoned after this long.
UPLOAD_MAX_FILES = env.int("UPLOAD_MAX_FILES", default=100)
UPLOAD_ABANDON_HOURS = env.int("UPLOAD_ABANDON_HOURS", default=6)
EXPORT_TTL_HOURS = env.int("EXPORT_TTL_HOURS", default=24)
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
JOIN_REQUEST_TTL_DAYS = env.int("JOIN_REQUEST_TTL_DAYS", default=30)
# Trust and safety: an account with this many refusals of the minors screen within this many hours
# is flagged for staff review in the admin (safety.AccountReview).
SAFETY_REVIEW_THRESHOLD = env.int("SAFETY_REVIEW_THRESHOLD", default=3)
SAFETY_REVIEW_WINDOW_HOURS = env.int("SAFETY_REVIEW_WINDOW_HOURS", default=24)
# Audit log entries are kept this long, also after the organisation or person is deleted.
AUDIT_LOG_RETENTION_DAYS = env.int("AUDIT_LOG_RETENTION_DAYS", default=730)

# The JSON API, the extension, import from URL and outgoing webhooks: config/api_settings.py.
# GDPR (privacy/): an organisation's full export can be downloaded for this long; a deleted
# organisation can be restored for this long; failed and cancelled jobs and abandoned uploads are
# purged this long after they ended.
DATA_EXPORT_TTL_DAYS = env.int("DATA_EXPORT_TTL_DAYS", default=7)
ORG_DELETION_GRACE_DAYS = env.int("ORG_DELETION_GRACE_DAYS", default=7)
FAILED_JOB_RETENTION_DAYS = env.int("FAILED_JOB_RETENTION_DAYS", default=30)
# Received webhook bodies (providers', and dj-stripe's log of Stripe's) are kept this long.
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=90)

# --- AI providers ----------------------------------------------------------------------------
# Each provider is used when its key is set; with none set, the offline `demo` provider answers
# every operation (labelled local renders, real local work such as a Lanczos upscale).
# See docs/configuration.md#ai-providers.
FAL_KEY = env("FAL_KEY", default="")
# Your fal account id: webhooks whose X-Fal-Webhook-User-Id differs are rejected. Empty: not checked.
FAL_WEBHOOK_USER_ID = env("FAL_WEBHOOK_USER_ID", default="")
FAL_JWKS_URL = env("FAL_JWKS_URL", default="https://rest.alpha.fal.ai/.well-known/jwks.json")
REPLICATE_API_TOKEN = env("REPLICATE_API_TOKEN", default="")
REPLICATE_WEBHOOK_SECRET = env("REPLICATE_WEBHOOK_SECRET", default="")  # whsec_…
REPLICATE_BASE_URL = env("REPLICATE_BASE_URL", default="https://api.replicate.com").rstrip("/")
XAI_API_KEY = env("XAI_API_KEY", default="")
XAI_BASE_URL = env("XAI_BASE_URL", default="https://api.x.ai/v1").rstrip("/")
XAI_MODEL = env("XAI_MODEL", default="grok-4-1-fast-non-reasoning")
# The public https origin providers call back (webhooks) and fetch inputs from. Empty: SITE_URL if it
# is https, else no webhooks (calls are polled), and with a provider key MEDIA_BUCKET must be set so
# providers can fetch inputs (the assets.E001 check; docs/configuration.md#media-storage).
PROVIDER_PUBLIC_URL = env("PROVIDER_PUBLIC_URL", default="").rstrip("/")
# The hosts (and their subdomains) we download providers' outputs from, over https only; any other
# URL in a provider's answer is refused, so a payload can't make us fetch from elsewhere.
PROVIDER_OUTPUT_HOSTS = env.list(
    "PROVIDER_OUTPUT_HOSTS",
    default=["fal.media", "fal.run", "fal.ai", "storage.googleapis.com", "replicate.delivery", "replicate.com"],
)
# The demo provider: seconds each call takes, and the share of calls that fail (0..1), for trying
# out progress and failure handling without a provider.
DEMO_PROVIDER_LATENCY = env.float("DEMO_PROVIDER_LATENCY", default=2.0)
DEMO_PROVIDER_FAILURE_RATE = env.float("DEMO_PROVIDER_FAILURE_RATE", default=0.0)
# Webhooks older or newer than this many seconds are refused (replay window).
PROVIDER_WEBHOOK_TOLERANCE = env.int("PROVIDER_WEBHOOK_TOLERANCE", default=300)

# --- Payments (Stripe via dj-stripe 2.11) -----------------------------------------------------
# STRIPE_SECRET_KEY set: that Stripe account (sk_test_… or sk_live_…). Empty: the local test-mode
# Stripe in stripe_local serves the same API under /local-stripe/, so checkout, the portal and the
# webhooks work with no account and no card is ever charged. See docs/configuration.md#payments.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_LOCAL = not STRIPE_SECRET_KEY
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)  # must be a real bool for dj-stripe
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
if STRIPE_LOCAL:
    # A dummy key in the shape dj-stripe insists on (sk_test_ + 24 or more characters).
    STRIPE_SECRET_KEY = "sk_test_" + "localstripe" + "0" * 21
    STRIPE_LIVE_MODE = False
    # dj-stripe points stripe.api_base here; stripe_local answers these calls inside the process.
    STRIPE_API_HOST = SITE_URL + "/local-stripe"
    # djstripe.W002 warns that STRIPE_API_HOST is set with DEBUG off. Here it points at our own
    # local test-mode Stripe on purpose (there is no real account to protect), so the warning is
    # silenced only in this mode; with a real key STRIPE_API_HOST isn't set and W002 stays on.
    SILENCED_SYSTEM_CHECKS.append("djstripe.W002")
if STRIPE_SECRET_KEY.startswith("sk_live_"):
    STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY
else:
    STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY
# Pinned: otherwise dj-stripe follows the stripe SDK's newer default (reference/reliability.md §1.1).
STRIPE_API_VERSION = "2026-05-27.dahlia"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_SUBSCRIBER_MODEL = "orgs.Organization"
DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK = "billing.stripe_setup.request_org"
DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY = "djstripe_subscriber"

# --- Security ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Not asking to be preloaded is a decision (it is hard to undo and binds every subdomain),
        # not an oversight: security.W021 only says so. SECURE_HSTS_PRELOAD=true opts in.
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# --- Proxies and client addresses (core/network.py; docs/configuration.md#proxies-and-client-ips)
# How many proxies of ours (load balancer, CDN, nginx) stand in front of the web process: the
# client is that many entries from the right of X-Forwarded-For. 0: the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Or a header every request gets from our CDN with the client's address (e.g. CF-Connecting-IP).
TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default="")
if TRUSTED_PROXY_COUNT < 0:
    raise environ.ImproperlyConfigured("TRUSTED_PROXY_COUNT can't be negative.")
# allauth's own reading of the same settings (our adapter answers its get_client_ip anyway).
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER or None
# Optional: only clients in these networks reach the support admin and the CMS (others get 404).
ADMIN_PATH_PREFIXES = ("/admin/", "/cms/")


def _networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for value in env.list(name, default=[]):
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise environ.ImproperlyConfigured(
                f"{name}: {value.strip()!r} is not an IP network (write e.g. 203.0.113.0/24 or 2001:db8::/32)."
            ) from None
    return tuple(networks)


ADMIN_ALLOWED_CIDRS = _networks("ADMIN_ALLOWED_CIDRS")


# --- Content-Security-Policy and Permissions-Policy (docs/configuration.md#content-security-policy)
# Where browsers load media from besides this site: the bucket's origin when MEDIA_BUCKET is set,
# computed from the MEDIA_* settings; CSP_MEDIA_ORIGINS replaces it (e.g. a CDN in front of the bucket).
CSP_MEDIA_ORIGINS = env.list(
    "CSP_MEDIA_ORIGINS",
    default=browser_policies.media_origins(
        backend=MEDIA_BACKEND,
        bucket=MEDIA_BUCKET,
        endpoint=env("MEDIA_ENDPOINT_URL", default=""),
        region=env("MEDIA_REGION", default=""),
    ),
)
CSP_REPORT_URI = "/csp-report/"
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_ADMIN = browser_policies.content_security_policies(
    media_origins=CSP_MEDIA_ORIGINS,
    # Forms that answer with a redirect to Stripe's hosted Checkout and portal (not in local mode).
    form_targets=[] if STRIPE_LOCAL else ["https://checkout.stripe.com", "https://billing.stripe.com"],
    report_uri=CSP_REPORT_URI,
)
PERMISSIONS_POLICY = browser_policies.PERMISSIONS_POLICY

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Marketing site and blog (Wagtail) ---------------------------------------------------------
WAGTAIL_SITE_NAME = SITE_NAME
WAGTAILADMIN_BASE_URL = SITE_URL
# Blog images live on the default storage; their renditions are served through Wagtail's
# signed image view (blog/urls.py), so the storage itself stays private.
WAGTAILIMAGES_IMAGE_MODEL = "blog.BlogImage"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Sign-in, passwords and email addresses belong to allauth (verified, throttled); the CMS
# doesn't get a second way to change them. /cms/login/ forwards to the app's login.
WAGTAILADMIN_LOGIN_URL = "cms_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
# Nothing is fetched from the web at run time: no update check, no Gravatar.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The page editor posts one field per StreamField value.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Wagtail runs its search-index and reference-index updates as immediate tasks on every save.
LOGGING["loggers"]["django_tasks"] = {"level": "WARNING"}
