import datetime as dt
import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.support.live import manage
from todos.models import Task, TaskList

COMMANDS = ["wait_for_db", "seed_demo", "export_tasks", "import_tasks", "purge_completed"]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_operator_command_has_help(command):
    result = manage(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: manage.py " + command in result.stdout


# wait_for_db ------------------------------------------------------------------------------------


def test_wait_for_db_reports_the_connection(db):
    assert "Connected to MySQL at host 127.0.0.1:3306" in run("wait_for_db", "--timeout", "5")


def test_wait_for_db_gives_up_after_the_timeout_with_a_clear_message():
    result = manage(
        "wait_for_db",
        "--timeout",
        "1.5",
        "--interval",
        "0.5",
        env={**os.environ, "DATABASE_URL": "mysql://root@127.0.0.1:1/todo"},
    )
    assert result.returncode == 1
    assert "Waiting for database at 127.0.0.1:1…" in result.stdout
    assert "Database at 127.0.0.1:1 was not reachable within 1.5 s" in result.stderr


# seed_demo --------------------------------------------------------------------------------------


def test_seed_demo_creates_a_user_with_tasks(db):
    output = run("seed_demo", "--user", "demo", "--tasks", "1500", "--password", "demo-pass-1234")
    assert "Created user 'demo'; added 1500 task(s)." in output
    user = User.objects.get(username="demo")
    assert user.check_password("demo-pass-1234")
    tasks = Task.objects.owned_by(user)
    assert tasks.count() == 1500
    assert 0 < tasks.completed().count() < 1500
    assert sorted(tasks.values_list("position", flat=True)) == list(range(1500))


def test_seed_demo_reuses_an_existing_user_and_appends(owner):
    run("seed_demo", "--user", owner.username, "--tasks", "3")
    output = run("seed_demo", "--user", owner.username, "--tasks", "2")
    assert "Reused user 'olivia'; added 2 task(s)." in output
    assert Task.objects.owned_by(owner).count() == 5
    assert owner.check_password("owner-password-123")


def test_seed_demo_adds_to_a_list_of_the_users_own_made_if_missing(owner, inbox):
    run("seed_demo", "--user", owner.username, "--tasks", "3", "--list", "Work")
    run("seed_demo", "--user", owner.username, "--tasks", "2", "--list", "Work")
    work = TaskList.objects.get(owner=owner, name="Work")
    assert Task.objects.filter(list=work).count() == 5
    assert not Task.objects.filter(list=inbox).exists()


# export / import -------------------------------------------------------------------------------


@pytest.fixture
def rich_data(owner, inbox, make_task):
    make_task(inbox, "Feed the 🐈‍⬛, then 🦖", notes="Line one\nLine two, with “quotes”, commas")
    make_task(inbox, "Pay rent", due_date=dt.date(2026, 12, 1), priority="high", done=True)
    work = TaskList.objects.create(owner=owner, name="Work ✨")
    make_task(work, "Write report", priority="low", due_date=dt.date(2027, 1, 15))
    TaskList.objects.create(owner=owner, name="Empty list")
    return owner


def _export(user: User, fmt: str, path: Path) -> dict:
    call_command(
        "export_tasks",
        "--user",
        user.username,
        "--format",
        fmt,
        "--output",
        str(path),
        stderr=StringIO(),
    )
    return json.loads(run("export_tasks", "--user", user.username))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_loses_nothing(rich_data, tmp_path, fmt):
    path = tmp_path / f"tasks.{fmt}"
    before = _export(rich_data, fmt, path)
    User.objects.create_user("newcomer")

    output = run("import_tasks", "--user", "newcomer", str(path))

    assert "Imported 3 task(s) in 3 list(s)." in output
    after = json.loads(run("export_tasks", "--user", "newcomer"))
    assert after["lists"] == before["lists"]
    assert {tl["name"] for tl in after["lists"]} == {"Inbox", "Work ✨", "Empty list"}


def test_export_writes_json_to_stdout_by_default(rich_data):
    data = json.loads(run("export_tasks", "--user", rich_data.username))
    assert data["format"] == "todo-export"
    assert data["lists"][0]["tasks"][0]["title"] == "Feed the 🐈‍⬛, then 🦖"


def test_import_merges_into_lists_of_the_same_name(rich_data, tmp_path):
    path = tmp_path / "tasks.json"
    _export(rich_data, "json", path)
    run("import_tasks", "--user", rich_data.username, str(path))
    assert Task.objects.owned_by(rich_data).count() == 6
    assert TaskList.objects.owned_by(rich_data).count() == 3


def test_import_is_all_or_nothing(owner, tmp_path):
    path = tmp_path / "bad.json"
    good = {"title": "fine", "priority": "low"}
    bad = {"title": "broken", "priority": "urgent"}
    path.write_text(
        json.dumps({"format": "todo-export", "lists": [{"name": "X", "tasks": [good, bad]}]})
    )
    with pytest.raises(
        CommandError, match=r"Nothing imported: List 'X', task 2: .*'urgent' is not a valid choice"
    ):
        run("import_tasks", "--user", owner.username, str(path))
    assert not Task.objects.exists()
    assert not TaskList.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    "content",
    ["not json, not csv", '{"format": "something-else"}', "list,title\nX,\U0001f600" + "x" * 300],
)
def test_import_reports_bad_files(owner, tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(CommandError, match="Nothing imported"):
        run("import_tasks", "--user", owner.username, str(path))


def test_export_and_import_need_an_existing_user(db, tmp_path):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("export_tasks", "--user", "ghost")
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("import_tasks", "--user", "ghost", str(tmp_path / "x.json"))


def test_import_reports_a_missing_file(owner, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_tasks", "--user", owner.username, str(tmp_path / "missing.json"))


# purge_completed -------------------------------------------------------------------------------


@pytest.fixture
def aged_tasks(inbox, make_task):
    long_ago = timezone.now() - dt.timedelta(days=40)
    make_task(inbox, "old done", done=True, completed_at=long_ago)
    make_task(inbox, "recent done", done=True)
    make_task(inbox, "open")


def test_purge_completed_dry_run_changes_nothing(aged_tasks):
    output = run("purge_completed", "--older-than", "30", "--dry-run")
    assert output.startswith("Would delete 1 task(s)")
    assert Task.objects.count() == 3


def test_purge_completed_deletes_only_old_completed_tasks(aged_tasks):
    output = run("purge_completed", "--older-than", "30")
    assert output.startswith("Deleted 1 task(s)")
    assert sorted(Task.objects.values_list("title", flat=True)) == ["open", "recent done"]


def test_purge_completed_refuses_negative_days(db):
    with pytest.raises(CommandError, match="0 or more days"):
        run("purge_completed", "--older-than", "-1")
