"""The settings module read in a fresh interpreter, as a deployment would, with a given env."""

import json
import subprocess
import sys

from tests.support.live import REPO_ROOT, clean_env, manage

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'debug': settings.DEBUG, 'secret': settings.SECRET_KEY, "
    "'hosts': settings.ALLOWED_HOSTS, "
    "'db': {k: db[k] for k in ('NAME', 'USER', 'PASSWORD', 'HOST', 'PORT')}, "
    "'options': db['OPTIONS'], 'conn_health_checks': db['CONN_HEALTH_CHECKS']}))"
)


def read_settings(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO_ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="todo_site.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(**env: str) -> dict:
    result = read_settings(**env)
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


def test_deploy_checks_pass_with_https_on():
    env = clean_env(
        DJANGO_HTTPS="true",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x7#Kq!v2Lm9@Pz4$Rt8&Wn3*Yb6^Hd1%Fg5(Jc0)Se-Ua=Io+Eh;Ty:Rw<Qp>Zm?",
        DJANGO_ALLOWED_HOSTS="todo.example.com",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
