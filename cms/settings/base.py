"""Settings shared by every environment.

Secure by default: ``DEBUG`` is off and nothing here trusts the network.
``dev`` and ``test`` relax what they must; ``production`` reads secrets and
addresses from the environment.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = Path(os.environ.get("SANDYQ_VAR_DIR", BASE_DIR / "var"))

DEBUG = False
# Which kind of deployment this is; commands that write demo data refuse all but
# "development" and "test".
SANDYQ_ENVIRONMENT = "unset"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "home",
    "docs_library",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.api.v2",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "guardian",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cms.csp.SandyqCSPMiddleware",  # the Content-Security-Policy (django-csp)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "home.middleware.SandyqLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session given a second factor?
    "django_otp.middleware.OTPMiddleware",
    # Device holders give a code, those who must have one enrol (home/two_factor.py).
    "home.two_factor.SecondFactorMiddleware",
    # Admin URLs naming a record or file the user may not see answer 404.
    "docs_library.admin.access.HiddenRecordsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: an embedded SQLite file under var/ unless DATABASE_URL says otherwise.
SQLITE_PATH = VAR_DIR / "sandyq.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers go on while a writer (the task worker, an import) holds the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user name and address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: anonymous visitors get no object permissions
GUARDIAN_MONKEY_PATCH_USER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Kazakh first. Public URLs carry a language prefix (/kk/, /ru/, /en/).
LANGUAGE_CODE = "kk"
LANGUAGES = [
    ("kk", _("Kazakh")),
    ("ru", _("Russian")),
    ("en", _("English")),
]
WAGTAIL_I18N_ENABLED = False
# The admin language people may choose in their account settings (it is also
# the language of the mail they receive).
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# Sandyq's own messages first; then the Kazakh that Wagtail and Django do not
# ship (their admin, forms and validation), kept apart so that makemessages
# never touches it (docs/admin-terminology.md).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "vendor_locale"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "cms" / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_URL = "/static/"

# Public media (page images and their renditions) is served by the web server.
# Document files are not: they live under PRIVATE_MEDIA_ROOT and only the
# document serve view, which asks the access policy, hands them out.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Security headers that hold everywhere; production adds HTTPS-only ones.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Wagtail's live preview shows the page in a same-origin iframe; DENY would break it.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]

# Content-Security-Policy (django-csp, docs/csp.md) on every response that does
# not set its own: files keep their stricter sandbox (docs_library/files/serving.py).
# No inline script runs on the site: its templates have none, so script-src is
# 'self'. A nonce joins script-src only on a response that used
# ``request.csp_nonce``: in the admin, cms.csp gives one to Wagtail's own inline
# initialisers and to nothing else. SANDYQ_CSP_REPORT_ONLY=true sends the same
# policy as Content-Security-Policy-Report-Only instead, so that a deployment
# can see what it would block before it blocks anything.
SANDYQ_CSP_REPORT_ONLY = os.environ.get("SANDYQ_CSP_REPORT_ONLY", "false").lower() == "true"
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
    }
}
# Added under /admin/ only: the accessibility checker of Wagtail's editor
# (axe-core) writes <style> elements as it reads the page's styles.
SANDYQ_CSP_ADMIN_UPDATE = {"style-src": [UNSAFE_INLINE]}
if SANDYQ_CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY
else:
    CONTENT_SECURITY_POLICY = _CSP_POLICY

# Tasks (django-tasks): extraction, OCR, indexing, mail. Run at once unless
# production points them at the database queue.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Mail
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sandyq <noreply@localhost>")

# Wagtail
WAGTAIL_SITE_NAME = "Sandyq"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_ALLOW_UNICODE_SLUGS = True
WAGTAILDOCS_DOCUMENT_MODEL = "docs_library.LibraryDocument"
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "docs_library.files.forms.LibraryDocumentForm"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "txt", "png", "jpg", "jpeg", "tif", "tiff"]
WAGTAIL_FRONTEND_LOGIN_URL = "login"  # a URL name: resolved in the reader's language
WAGTAIL_PASSWORD_RESET_ENABLED = True
LOGIN_URL = WAGTAIL_FRONTEND_LOGIN_URL
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Sign-in protection (django-axes), shared by every process: failed sign-ins are
# counted per user name *and* address together (one office behind one address is
# not locked out by one person's typos, nor a user name by a stranger) in the
# database, or in Redis where REDIS_URL is set. After LOGIN_FAILURE_LIMIT
# failures that pair is refused until LOGIN_FAILURE_WINDOW seconds have passed
# since the last one; `manage.py axes_reset_username NAME` unlocks it sooner.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", 900))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "home.auth.lockout_response"
# Behind reverse proxies every visitor would share the proxy's address: name how
# many append to X-Forwarded-For, and the visitor's own is read from it.
SANDYQ_TRUSTED_PROXIES = int(os.environ.get("SANDYQ_TRUSTED_PROXIES", 0))
AXES_CLIENT_IP_CALLABLE = "home.auth.client_address"
REDIS_URL = os.environ.get("REDIS_URL", "")
# In Redis (the shared cache, CACHES below) where REDIS_URL names one.
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if REDIS_URL
    else "axes.handlers.database.AxesDatabaseHandler"
)

# Two-factor sign-in (django-otp: TOTP apps and single-use recovery codes). With
# SANDYQ_2FA_REQUIRED on, superusers and Managers anywhere in the tree
# (home.roles.must_use_second_factor) are sent to enrol before anything else;
# whoever has a device gives a code after the password, whatever the setting.
SANDYQ_2FA_REQUIRED = os.environ.get("SANDYQ_2FA_REQUIRED", "true").lower() == "true"
OTP_TOTP_ISSUER = "Sandyq"
SANDYQ_RECOVERY_CODES = 10

# Offline admin: nothing the admin or the site shows may load from another host
# (party offices may run on a closed network). No Gravatar (avatars fall back to
# Wagtail's own default image), no release check against releases.wagtail.org, no
# "what's new" banner pointing at wagtail.org, and no oEmbed: rich text offers no
# media embeds (an iframe from another host) and Wagtail never asks a provider.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILEMBEDS_FINDERS: list[dict] = []
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {
            # Wagtail's defaults without "embed"
            "features": [
                "h2",
                "h3",
                "h4",
                "bold",
                "italic",
                "ol",
                "ul",
                "hr",
                "link",
                "document-link",
                "image",
            ]
        },
    }
}

# Search: the database backend (SQLite FTS5 / PostgreSQL full text) unless an
# Elasticsearch cluster is named; the choice is made here and nowhere else.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
ELASTICSEARCH_INDEX_PREFIX = os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "sandyq_")
if ELASTICSEARCH_URL:
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "search.backends",
            "URLS": [ELASTICSEARCH_URL],
            "INDEX_PREFIX": ELASTICSEARCH_INDEX_PREFIX,
            "TIMEOUT": 10,
        }
    }
else:
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Sandyq's own limits (documents)
SANDYQ_MAX_UPLOAD_SIZE = int(os.environ.get("SANDYQ_MAX_UPLOAD_SIZE", 50 * 1024 * 1024))
SANDYQ_MAX_OCR_PAGES = int(os.environ.get("SANDYQ_MAX_OCR_PAGES", 200))
SANDYQ_EXTRACTION_TIMEOUT = int(os.environ.get("SANDYQ_EXTRACTION_TIMEOUT", 300))
# Address space each extraction child may add to the worker's (RLIMIT_AS): a
# file that needs more (a decompression bomb) ends as "extraction failed".
SANDYQ_EXTRACTION_MEMORY_LIMIT = int(
    os.environ.get("SANDYQ_EXTRACTION_MEMORY_LIMIT", 768 * 1024 * 1024)
)
WAGTAILDOCS_MAX_UPLOAD_SIZE = SANDYQ_MAX_UPLOAD_SIZE
# A task RUNNING longer than this is taken for abandoned by a worker on another
# machine and queued again (docs_library.worker); longer than any task runs.
SANDYQ_TASK_STALE_AFTER = int(os.environ.get("SANDYQ_TASK_STALE_AFTER", 60 * 60))
# DOCX/ODT are ZIP files: refuse those that would unpack to too much (zip bombs).
SANDYQ_MAX_UNCOMPRESSED_SIZE = int(
    os.environ.get("SANDYQ_MAX_UNCOMPRESSED_SIZE", 200 * 1024 * 1024)
)
SANDYQ_MAX_COMPRESSION_RATIO = int(os.environ.get("SANDYQ_MAX_COMPRESSION_RATIO", 100))
SANDYQ_MAX_ZIP_MEMBERS = int(os.environ.get("SANDYQ_MAX_ZIP_MEMBERS", 2000))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "sandyq": {"handlers": ["console"], "level": os.environ.get("SANDYQ_LOG_LEVEL", "INFO")},
    },
}

# The shared cache, and the anonymous page cache on it (home/page_cache.py,
# docs/performance.md). Redis where REDIS_URL names one; otherwise files under
# var/cache, which every gunicorn worker on the machine shares, so a purge in one
# is seen by all (a per-process memory cache would keep serving what another
# worker purged).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "sandyq"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("SANDYQ_CACHE_DIR", str(VAR_DIR / "cache")),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# How long an anonymous page or a shared fragment is kept; purges end it sooner. 0: off.
SANDYQ_PAGE_CACHE_SECONDS = int(os.environ.get("SANDYQ_PAGE_CACHE_SECONDS", 3600))
# PostgreSQL: how long a heavy query's answer (ids, total, facet counts) is kept in
# the cache at most; any change of the search index ends it sooner
# (search.engines.kept). 0: off.
SANDYQ_SEARCH_CACHE_SECONDS = int(os.environ.get("SANDYQ_SEARCH_CACHE_SECONDS", 600))
# PostgreSQL: how many of the heavy queries asked lately are answered again in the
# background after each change of the index, so their readers find them kept. 0: none.
SANDYQ_SEARCH_REFRESHED_QUERIES = int(os.environ.get("SANDYQ_SEARCH_REFRESHED_QUERIES", 20))
# Right after whitenoise: a hit needs no session, no user and no database.
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "home.page_cache.AnonymousPageCacheMiddleware",
)
# A caching proxy or CDN in front that accepts PURGE requests (Varnish, nginx):
# Wagtail's frontend cache tells it what changed.
FRONTEND_CACHE_URL = os.environ.get("FRONTEND_CACHE_URL", "")
if FRONTEND_CACHE_URL:
    INSTALLED_APPS.append("wagtail.contrib.frontend_cache")
    WAGTAILFRONTENDCACHE = {
        "default": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": FRONTEND_CACHE_URL,
        }
    }
