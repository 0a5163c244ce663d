"""The settings module read in a fresh interpreter, as a deployment would, with a given env."""

import json
import subprocess
import sys

import pytest

from tests.support.live import REPO_ROOT, clean_env, manage

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'debug': settings.DEBUG, 'secret': settings.SECRET_KEY, "
    "'hosts': settings.ALLOWED_HOSTS, "
    "'db': {k: db[k] for k in ('NAME', 'USER', 'PASSWORD', 'HOST', 'PORT')}, "
    "'options': db['OPTIONS'], 'conn_health_checks': db['CONN_HEALTH_CHECKS']}))"
)


def read_settings(probe: str = PROBE, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="todo_site.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(probe: str = PROBE, **env: str) -> dict:
    result = read_settings(probe, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # after any start-up log lines


def test_a_missing_secret_key_is_a_clear_error():
    result = read_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set" in result.stderr


def test_debug_mode_runs_without_a_secret_key():
    assert settings_with(DJANGO_DEBUG="true")["debug"] is True


def test_safe_defaults():
    values = settings_with(DJANGO_SECRET_KEY="s3cret")
    assert values["debug"] is False
    assert values["hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["db"] == {
        "NAME": "todo",
        "USER": "root",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": 3306,
    }
    assert values["options"]["charset"] == "utf8mb4"
    assert values["options"]["isolation_level"] == "read committed"
    assert "STRICT_TRANS_TABLES" in values["options"]["init_command"]
    assert values["conn_health_checks"] is True


def test_secrets_can_come_from_files(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file")
    assert settings_with(DJANGO_SECRET_KEY_FILE=str(key_file))["secret"] == "from-a-file"


def test_database_url_wins_over_db_variables():
    values = settings_with(
        DJANGO_SECRET_KEY="s", DATABASE_URL="mysql://app:pw@dbhost:3307/tasks", DB_HOST="ignored"
    )
    assert values["db"] == {
        "NAME": "tasks",
        "USER": "app",
        "PASSWORD": "pw",
        "HOST": "dbhost",
        "PORT": 3307,
    }


def test_the_tutorials_db_variables_work_with_a_password_file(tmp_path):
    password_file = tmp_path / "db_password"
    password_file.write_text("p@ss:w/rd#1")
    values = settings_with(
        DJANGO_SECRET_KEY="s",
        DB_HOST="todo-mysql",
        DB_PORT="3306",
        DB_NAME="todo",
        DB_USER="todo",
        DB_PASSWORD_FILE=str(password_file),
    )
    assert values["db"] == {
        "NAME": "todo",
        "USER": "todo",
        "PASSWORD": "p@ss:w/rd#1",
        "HOST": "todo-mysql",
        "PORT": 3306,
    }


def test_allowed_hosts_from_the_environment():
    values = settings_with(
        DJANGO_SECRET_KEY="s", DJANGO_ALLOWED_HOSTS="todo.example.com,.example.org"
    )
    assert values["hosts"] == ["todo.example.com", ".example.org"]


@pytest.mark.parametrize(
    "hsts",
    [{}, {"DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_HSTS_PRELOAD": "true"}],
    ids=["this-host-only", "subdomains-and-preload"],
)
def test_deploy_checks_pass_with_https_on(hsts):
    env = clean_env(
        DJANGO_HTTPS="true",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x7#Kq!v2Lm9@Pz4$Rt8&Wn3*Yb6^Hd1%Fg5(Jc0)Se-Ua=Io+Eh;Ty:Rw<Qp>Zm?",
        DJANGO_ALLOWED_HOSTS="todo.example.com",
        **hsts,
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


ACCOUNT_SETTINGS = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "ACCOUNT_EMAIL_VERIFICATION",
    "ACCOUNT_SIGNUP_FIELDS",
    "SIGNUP_OPEN",
)
ACCOUNT_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    f"print(json.dumps({{k: getattr(settings, k, None) for k in {ACCOUNT_SETTINGS!r}}}))"
)


def test_mail_goes_to_the_log_and_accounts_have_open_sign_up_by_default():
    values = settings_with(ACCOUNT_PROBE, DJANGO_SECRET_KEY="s3cret")
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    # Compose passes an unset variable on as empty.
    empty = settings_with(ACCOUNT_PROBE, DJANGO_SECRET_KEY="s3cret", EMAIL_URL="")
    assert empty["EMAIL_BACKEND"] == values["EMAIL_BACKEND"]
    assert values["DEFAULT_FROM_EMAIL"] == "todo@localhost"
    assert values["ACCOUNT_EMAIL_VERIFICATION"] == "optional"
    assert values["ACCOUNT_SIGNUP_FIELDS"] == ["username*", "email", "password1*", "password2*"]
    assert values["SIGNUP_OPEN"] is True


def test_email_url_and_its_password_file_configure_smtp(tmp_path):
    url = tmp_path / "email_url"
    url.write_text("smtp+tls://mailer:p%40ss@relay.example.com:587")
    values = settings_with(
        ACCOUNT_PROBE,
        DJANGO_SECRET_KEY="s3cret",
        EMAIL_URL_FILE=str(url),
        DJANGO_DEFAULT_FROM_EMAIL="todo@example.com",
        DJANGO_ACCOUNT_EMAIL_REQUIRED="true",
        DJANGO_ACCOUNT_EMAIL_VERIFICATION="Mandatory",
        DJANGO_SIGNUP_OPEN="false",
    )
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("relay.example.com", 587)
    assert (values["EMAIL_HOST_USER"], values["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss")
    assert values["EMAIL_USE_TLS"] is True
    assert values["DEFAULT_FROM_EMAIL"] == "todo@example.com"
    assert values["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"
    assert values["ACCOUNT_SIGNUP_FIELDS"][1] == "email*"
    assert values["SIGNUP_OPEN"] is False


def test_an_unknown_verification_mode_is_a_clear_error():
    result = read_settings(
        DJANGO_SECRET_KEY="s3cret", DJANGO_ACCOUNT_EMAIL_VERIFICATION="sometimes"
    )
    assert result.returncode != 0
    assert "DJANGO_ACCOUNT_EMAIL_VERIFICATION: none, optional or mandatory." in result.stderr


SSO_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'providers': settings.SOCIALACCOUNT_PROVIDERS, "
    "'form_action': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']}))"
)


def test_single_sign_on_is_off_until_a_provider_is_named():
    values = settings_with(SSO_PROBE, DJANGO_SECRET_KEY="s3cret")
    assert values == {"providers": {}, "form_action": ["'self'"]}


def test_the_provider_comes_from_the_environment_with_its_secret_in_a_file(tmp_path):
    secret = tmp_path / "oidc_secret"
    secret.write_text("from-a-file")
    values = settings_with(
        SSO_PROBE,
        DJANGO_SECRET_KEY="s3cret",
        DJANGO_OIDC_PROVIDER_NAME="Keycloak",
        DJANGO_OIDC_SERVER_URL="https://id.example.com/realms/team",
        DJANGO_OIDC_CLIENT_ID="todo",
        DJANGO_OIDC_CLIENT_SECRET_FILE=str(secret),
    )
    (app,) = values["providers"]["openid_connect"]["APPS"]
    assert (app["name"], app["client_id"], app["secret"]) == ("Keycloak", "todo", "from-a-file")
    assert app["settings"] == {"server_url": "https://id.example.com/realms/team"}
    # The login button posts here, and the answer redirects there.
    assert values["form_action"] == ["'self'", "https://id.example.com"]


def test_a_provider_without_its_server_url_is_a_clear_error():
    result = read_settings(DJANGO_SECRET_KEY="s3cret", DJANGO_OIDC_PROVIDER_NAME="Keycloak")
    assert result.returncode != 0
    assert "DJANGO_OIDC_SERVER_URL must be set" in result.stderr


CACHES_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'caches': settings.CACHES, "
    "'sessions_in_shared_cache': settings.SESSIONS_IN_SHARED_CACHE}))"
)
DATABASE = "django.core.cache.backends.db.DatabaseCache"
KEPT_IN_MEMORY = "todo_site.cache.MemoryCache"


def test_without_a_cache_url_the_default_cache_is_the_database_and_the_rendered_ones_memory():
    found = settings_with(CACHES_PROBE, DJANGO_DEBUG="true")
    assert {alias: cache["BACKEND"] for alias, cache in found["caches"].items()} == {
        "default": DATABASE,
        "rows": KEPT_IN_MEMORY,
        "pages": KEPT_IN_MEMORY,
    }
    # Django keys its in-memory stores by LOCATION: each alias has its own store.
    locations = [cache.get("LOCATION", "") for cache in found["caches"].values()]
    assert len(set(locations)) == len(locations)
    assert found["sessions_in_shared_cache"] is False


def test_a_cache_url_and_its_password_file_make_the_shared_cache(tmp_path):
    password = tmp_path / "cache_password"
    password.write_text("s3cret-cache")
    found = settings_with(
        CACHES_PROBE,
        DJANGO_DEBUG="true",
        CACHE_URL="redis://cache:6379/0",
        CACHE_PASSWORD_FILE=str(password),
    )
    shared, rows, pages = (found["caches"][alias] for alias in ("default", "rows", "pages"))
    assert shared["BACKEND"] == "todo_site.cache.RedisCache"
    assert shared["LOCATION"] == "redis://cache:6379/0"
    assert shared["OPTIONS"]["password"] == "s3cret-cache"
    assert (
        rows["BACKEND"] == pages["BACKEND"] == KEPT_IN_MEMORY
    )  # rendered HTML stays in each process
    assert found["sessions_in_shared_cache"] is True


HSTS_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "settings.SECURE_HSTS_PRELOAD]))"
)


def test_hsts_covers_subdomains_and_asks_for_preload_only_when_told():
    https = {"DJANGO_SECRET_KEY": "s", "SITE_ADDRESS": "https://localhost"}
    assert settings_with(HSTS_PROBE, **https) == [31_536_000, False, False]
    opted_in = {**https, "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_HSTS_PRELOAD": "true"}
    assert settings_with(HSTS_PROBE, **opted_in) == [31_536_000, True, True]
