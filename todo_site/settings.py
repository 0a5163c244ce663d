"""Settings for the todo project: one module, driven by environment variables.

Every variable is documented in README.md ("Configuration"). Secrets can also be read from a file
named by ``NAME_FILE`` (Docker/Compose secrets), courtesy of ``environ.FileAwareEnv``.
"""

import datetime as dt
from pathlib import Path
from urllib.parse import quote, urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from todo_site import sso
from todo_site.database import CACHE_TABLE, CHARSET, COLLATION

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Insecure key only for local development with DEBUG on; production must set its own.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105


def _site_address(address: str) -> tuple[str | None, bool]:
    """(host name, served over HTTPS?) of the proxy's SITE_ADDRESS, read the way Caddy reads it:
    an https:// address, or a bare host name not on port 80, gets TLS; http:// or a port alone
    (the default, ":80") stays plain HTTP."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    bare_host = not parts.scheme and bool(parts.hostname)
    return parts.hostname, parts.scheme == "https" or (bare_host and parts.port != 80)


# The proxy's public address (compose's SITE_ADDRESS); empty: plain http://localhost:8000.
SITE_HOST, SITE_TLS = _site_address(env.str("SITE_ADDRESS", default=""))

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
if SITE_HOST and SITE_HOST not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(SITE_HOST)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # django-ninja: the JSON API; listed so that its docs page uses its own static files.
    "ninja",
    "accounts",
    "todos",
    "api",
    "calendars",
    "reminders",
]

MIDDLEWARE = [
    # Outermost, so that every answer carries them: error pages too, even a 400 for a foreign Host
    # (raised inside SecurityMiddleware and CommonMiddleware).
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "todo_site.middleware.http_methods",
    "todo_site.middleware.health_probes",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "todo_site.middleware.request_body_limits",
    # Outside the session and CSRF middleware, so it sees the Vary header and cookies they add.
    "todo_site.middleware.private_when_personal",
    # Compresses pages; Django masks CSRF tokens and pads the gzip header against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.user_time_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Keeps a login that waits for its second factor (or its e-mail) on track.
    "allauth.account.middleware.AccountMiddleware",
    "todo_site.middleware.address_limits",
    # Last, as django-axes asks: it turns a lockout into its 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "todo_site.urls"
CSRF_FAILURE_VIEW = "todo_site.errors.csrf_failure"

# Request bodies: at most DJANGO_MAX_REQUEST_BODY bytes (413 above, before anything reads them),
# and no file parts (415) except on these paths: no form takes files yet. See todo_site.uploads.
MAX_REQUEST_BODY = env.int("DJANGO_MAX_REQUEST_BODY", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY
FILE_UPLOAD_PATHS: list[str] = []
FILE_UPLOAD_HANDLERS = [
    "todo_site.uploads.RefuseFiles",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
WSGI_APPLICATION = "todo_site.wsgi.application"

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


def _database_url() -> str:
    """DATABASE_URL wins; otherwise build one from the tutorial's DB_HOST/DB_PORT/... variables."""
    if url := env.str("DATABASE_URL", default=""):
        return url
    user = quote(env.str("DB_USER", default="root"), safe="")
    password = quote(env.str("DB_PASSWORD", default=""), safe="")
    host = env.str("DB_HOST", default="127.0.0.1")
    port = env.int("DB_PORT", default=3306)
    name = env.str("DB_NAME", default="todo")
    credentials = f"{user}:{password}" if password else user
    return f"mysql://{credentials}@{host}:{port}/{name}"


DATABASES = {"default": env.db_url_config(_database_url())}
DATABASES["default"].update(
    {
        # Reuse connections across requests; health checks replace a dead one before it is used.
        "CONN_MAX_AGE": env.int("DJANGO_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # utf8mb4: all of Unicode, 4-byte emoji included (MySQL's "utf8" stops at 3 bytes).
            "charset": CHARSET,
            # Strict mode: reject over-long or invalid values instead of silently truncating them.
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
            # READ COMMITTED: Django's advice for MySQL; no stale reads, fewer gap-lock deadlocks.
            "isolation_level": "read committed",
        },
        "TEST": {"CHARSET": CHARSET, "COLLATION": COLLATION},
    }
)

# CACHE_URL names a cache every worker and replica shares (redis://host:6379/0; CACHE_PASSWORD
# or CACHE_PASSWORD_FILE for one that asks for a password). Sessions are then kept there as well
# as in the database, so a logged-in request costs no query for its session and user
# (accounts.sessions). Without it, "default" is Django's database cache (the table the migrations
# make, accounts.models.CacheEntry), so what must hold across workers and replicas (allauth's used
# two-factor codes and counters) is shared either way; sessions are then read from the database
# alone, which the cache could only add a query to.
CACHE_URL = env.str("CACHE_URL", default="")
SESSIONS_IN_SHARED_CACHE = bool(CACHE_URL)
_DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": CACHE_TABLE,
    # Every write counts the rows; above this many it deletes the expired ones, then a third.
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}
if CACHE_URL:
    _SHARED = env.cache_url_config(CACHE_URL) | {"BACKEND": "todo_site.cache.RedisCache"}
    _SHARED["OPTIONS"] = {
        # A cache that does not answer costs a request at most a second, not a worker.
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
        **({"password": password} if (password := env.str("CACHE_PASSWORD", default="")) else {}),
    }


def _kept_in_memory(location: str, max_bytes: int) -> dict[str, object]:
    """A cache in each process's memory, its own store (LOCATION), at most max_bytes."""
    return {
        "BACKEND": "todo_site.cache.MemoryCache",
        "LOCATION": location,
        "OPTIONS": {"MAX_BYTES": max_bytes},
    }


CACHES = {
    "default": _SHARED if CACHE_URL else _DATABASE_CACHE,
    # Rendered task rows (todos.kept), in each process's memory whatever CACHE_URL says: reading
    # a page of rows there costs half the CPU of reading it from Redis, and their keys change
    # with their content, so no worker ever shows a stale row. ~1.6 KB a row with its
    # bookkeeping: ~3,000 rows.
    "rows": _kept_in_memory("rows", 5 * 2**20),
    # Rendered tasks pages (todos.kept), in each process's memory for the same reasons. ~45 KB a
    # page of 50 tasks: ~350 pages, fewer when long searches make larger pages.
    "pages": _kept_in_memory("pages", 16 * 2**20),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while an account/IP pair is locked
    # allauth's backend (username or e-mail address), taking the user loaded with the session row
    # (accounts.sessions).
    "accounts.backends.SessionUserBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Refuses nothing: it revokes the account's API tokens whenever a new password is saved.
    {"NAME": "api.passwords.RevokeTokensOnChange"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "todos:index"
LOGOUT_REDIRECT_URL = "account_login"

# Accounts (django-allauth). Usernames stay the login key; the e-mail address also logs in.
SIGNUP_OPEN = env.bool("DJANGO_SIGNUP_OPEN", default=True)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "add_email": "accounts.forms.AddEmailForm",
    "signup": "accounts.forms.SignUpForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = [
    "username*",
    "email*" if env.bool("DJANGO_ACCOUNT_EMAIL_REQUIRED", default=False) else "email",
    "password1*",
    "password2*",
]
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "DJANGO_ACCOUNT_EMAIL_VERIFICATION", default="optional"
).lower()
if ACCOUNT_EMAIL_VERIFICATION not in {"none", "optional", "mandatory"}:
    raise ImproperlyConfigured("DJANGO_ACCOUNT_EMAIL_VERIFICATION: none, optional or mandatory.")
ACCOUNT_UNIQUE_EMAIL = True
# Adding, removing or choosing the primary e-mail address (and connecting a sign-on account,
# setting a first password) asks for the password again (or a code mailed to a confirmed
# address): a borrowed session alone cannot point password resets at a new address.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# The account's address is told of a new password (changed or reset), a new or removed address,
# a new primary address and two-factor changes (accounts.forms.AddEmailForm: a new address).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Sessions last as they always did (no "Remember me" box).
ACCOUNT_SESSION_REMEMBER = True
# A reset for an unknown address sends nothing: the page says the same either way.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Links in password-reset mails stop working after this many seconds.
PASSWORD_RESET_TIMEOUT = env.int("DJANGO_PASSWORD_RESET_TIMEOUT", default=60 * 60)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[todo] "
# Two-factor authentication: an authenticator app (TOTP) and recovery codes; the second login
# step is accounts.forms.CodeForm, which django-axes also counts.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "todo"
MFA_FORMS = {"authenticate": "accounts.forms.CodeForm"}

# Single sign-on with one OpenID Connect provider, when DJANGO_OIDC_PROVIDER_NAME is set (its
# callback: /accounts/oidc/sso/login/callback/).
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
OIDC_PROVIDER_ID = sso.PROVIDER_ID
OIDC_PROVIDER_NAME = env.str("DJANGO_OIDC_PROVIDER_NAME", default="")
OIDC_SERVER_URL = env.str("DJANGO_OIDC_SERVER_URL", default="")
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
if OIDC_PROVIDER_NAME:
    if not OIDC_SERVER_URL:
        raise ImproperlyConfigured("DJANGO_OIDC_SERVER_URL must be set with the provider name.")
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = sso.openid_connect(
        name=OIDC_PROVIDER_NAME,
        server_url=OIDC_SERVER_URL,
        client_id=env.str("DJANGO_OIDC_CLIENT_ID"),
        secret=env.str("DJANGO_OIDC_CLIENT_SECRET", default=""),
    )
# Logins start with a POST (a button), never by following a link.
SOCIALACCOUNT_LOGIN_ON_GET = False

# Mail: EMAIL_URL (or EMAIL_URL_FILE), e.g. smtp+tls://user:password@relay.example.com:587. Unset,
# or empty (as Compose passes it), every message goes to the log (stdout) instead of being sent.
# A relay that takes the connection and then hangs holds a request this long at most (seconds).
EMAIL_TIMEOUT = 10
globals().update(env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="todo@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _site_url(address: str) -> str:
    """The address mail links to (a page's own links come from its request instead): the
    proxy's SITE_ADDRESS, or Compose's http://localhost:WEB_PORT without one."""
    if not SITE_HOST:
        return f"http://localhost:{env.int('WEB_PORT', default=8000)}"
    parts = urlsplit(address if "://" in address else f"//{address}")
    scheme = "https" if SITE_TLS else "http"
    port = f":{parts.port}" if parts.port and parts.port not in {80, 443} else ""
    return f"{scheme}://{SITE_HOST}{port}"


SITE_URL = env.str("DJANGO_SITE_URL", default="") or _site_url(env.str("SITE_ADDRESS", default=""))

# The worker (manage.py run_worker) sends reminders and digests. One due longer ago than this when a
# worker gets to it (the workers were down) is marked missed instead of sent late (seconds).
REMINDER_MISSED_AFTER = dt.timedelta(seconds=env.int("DJANGO_REMINDER_MISSED_AFTER", default=3600))
# How long a worker holds what it claimed before another may take it over (it died mid-send).
WORKER_LEASE = dt.timedelta(seconds=env.int("WORKER_LEASE", default=300))
# Seconds between the worker's looks for due rows when it found none.
WORKER_INTERVAL = env.float("WORKER_INTERVAL", default=5)
# Touched by the worker on every round; its healthcheck (python -m reminders.alive) fails when the
# file is older than WORKER_STALE_AFTER seconds.
WORKER_HEARTBEAT = Path(env.str("WORKER_HEARTBEAT", default="/tmp/todo-worker.alive"))  # noqa: S108

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, pre-compressed files that whitenoise serves with far-future cache headers; plain
    # names from the app's folders when collectstatic has not run (see todo_site.storage).
    "staticfiles": {"BACKEND": "todo_site.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Behind a TLS-terminating proxy (DJANGO_HTTPS=true, or a SITE_ADDRESS the proxy serves over
# HTTPS): trust its X-Forwarded-Proto, redirect to HTTPS, send HSTS and mark cookies Secure. Off by
# default so http://localhost:8000 keeps working.
HTTPS = env.bool("DJANGO_HTTPS", default=SITE_TLS)
# Whether a proxy that overwrites X-Forwarded-For stands in front (compose's `proxy` does): only
# then is the header's right-most entry the client's address (todos.security.client_ip).
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=HTTPS)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    # Opt-in: they pin every subdomain (for localhost, every port) to HTTPS in browsers for the
    # whole max-age, and preload lists are hard to leave. While they are off, the deploy check's
    # warnings about them are silenced: off is the default chosen here.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [
        check
        for check, on in (
            ("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
            ("security.W021", SECURE_HSTS_PRELOAD),
        )
        if not on
    ]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Links in mails (reset, verification) use the scheme the site is served with.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"

# Brute-force protection (django-axes): 5 failures lock that username from that address for 15
# minutes. Behind the proxy the client address is the one the proxy appended to X-Forwarded-For.
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "todo_site.errors.locked_out"
AXES_CLIENT_IP_CALLABLE = "todo_site.security.client_ip"
AXES_USERNAME_CALLABLE = "todo_site.security.axes_username"
# No start-up banner on stdout: it would land in front of `manage.py export_tasks` output.
AXES_VERBOSE = False

# Per-address limits (todo_site.security), counted in the database so that every worker and
# replica shares them. axes has a single failure limit for all its parameter sets, so the higher
# per-address threshold lives beside it: failed logins (site and admin together) per address...
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_ADDRESS_FAILURE_WINDOW = AXES_COOLOFF_TIME
# ...and refused sign-ups per address, so that "this username exists" is no unlimited oracle...
SIGNUP_ADDRESS_FAILURE_LIMIT = env.int("DJANGO_SIGNUP_ADDRESS_FAILURE_LIMIT", default=20)
SIGNUP_ADDRESS_FAILURE_WINDOW = dt.timedelta(hours=1)
# ...and accepted ones: a 50-person team behind one office address signs up in an hour, a script
# makes no more than this many accounts an hour from one address.
SIGNUP_ADDRESS_LIMIT = env.int("DJANGO_SIGNUP_ADDRESS_LIMIT", default=60)
SIGNUP_ADDRESS_WINDOW = dt.timedelta(hours=1)
# ...and password reset requests per address, each of which may send a mail.
PASSWORD_RESET_ADDRESS_LIMIT = env.int("DJANGO_PASSWORD_RESET_ADDRESS_LIMIT", default=10)
PASSWORD_RESET_ADDRESS_WINDOW = dt.timedelta(hours=1)

# The API's requests per minute per token (per user for the browser's session; 0: no limit),
# counted in the "default" cache (api.limits).
API_RATE_LIMIT = env.int("DJANGO_API_RATE_LIMIT", default=600)

# allauth's rate limits ("amount/period/per", per e-mail address typed or mailed ("key"), per
# user, per client address ("ip": todo_site.security.client_ip, through the adapter)), counted
# in the "default" cache. An action over its limit gets the 429 page; a verification mail over
# its limit is not sent (the earlier one's link still works).
ACCOUNT_RATE_LIMITS = {
    # Verification mails: one per address per 3 minutes; per client address, twice the sign-ups
    # it may make (each may ask once more), so raising the sign-up limit raises this one.
    "confirm_email": f"1/3m/key,{2 * SIGNUP_ADDRESS_LIMIT}/h/ip",
    # Reset requests: one per typed address per minute and 5 an hour (per client address:
    # PASSWORD_RESET_ADDRESS_LIMIT above).
    "reset_password": "1/m/key,5/h/key",
    "reset_password_from_key": "20/m/ip",
    # The e-mail page's posts (add, re-send, remove, make primary) per user.
    "manage_email": "10/m/user,30/h/user",
    "change_password": "5/m/user,20/h/user",
    "reauthenticate": "10/m/user",
    # Logins, their failures and sign-ups: django-axes and the per-address limits above.
    "login": "",
    "login_failed": "",
    "signup": "",
}

# Scripts, styles and images only from this origin, nothing inline, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        # A login with the provider is a form post that redirects to it.
        "form-action": [SELF, *([sso.origin(OIDC_SERVER_URL)] if OIDC_PROVIDER_NAME else [])],
        "frame-ancestors": [NONE],
    },
}

# Sessions are database rows that name their user: one query loads both, and deleting the row
# (logout) revokes the session at once on every worker (accounts.sessions).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs every successful login at INFO ("Deleted 0 failed login attempts").
    "loggers": {"axes": {"level": "WARNING"}},
}
