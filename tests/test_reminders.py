"""Reminders and daily digests: what the worker (reminders.worker, manage.py run_worker) sends,
to whom, when and how often, through a real SMTP relay on loopback."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from reminders import services as reminder_services
from reminders.models import Digest, Reminder, ReminderState
from reminders.worker import _claim, run_round
from tests.support.db import db_url
from tests.support.live import REPO_ROOT, clean_env
from tests.support.smtp import SmtpSink
from todos import services, transfer
from todos.models import Role, Task, TaskList

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def with_mail(user: User, address: str) -> User:
    user.email = address
    user.save(update_fields=["email"])
    return user


def remind(task: Task, user: User, at: dt.datetime) -> Reminder:
    reminder = services.set_reminder(task=task, user=user, at=at)
    assert reminder is not None
    return reminder


def state_of(reminder: Reminder) -> str:
    reminder.refresh_from_db()
    return reminder.state


def subjects(sink: SmtpSink) -> list[str]:
    return [str(message["Subject"]) for message in sink.messages]


@pytest.fixture
def olivia(owner: User) -> User:
    return with_mail(owner, "olivia@example.org")


# --- reminders ------------------------------------------------------------------------------------


def test_a_due_reminder_is_mailed_once_with_a_link_to_the_task(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink, settings: Any
) -> None:
    settings.SITE_URL = "https://todo.example.org"
    task = make_task(inbox, "Call the plumber", due_date=NOW.date(), notes="Ask about the boiler")
    reminder = remind(task, olivia, NOW - MINUTE)

    first = run_round(now=NOW)
    again = run_round(now=NOW + 5 * MINUTE)

    assert (first.sent, again.sent) == (1, 0)
    message = relay.wait_for(to="olivia@example.org")
    assert message["Subject"] == "[todo] Reminder: Call the plumber"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    link = f"https://todo.example.org{task.get_absolute_url()}"
    assert link in text.get_content()
    assert "Ask about the boiler" in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert state_of(reminder) == ReminderState.SENT
    assert relay.messages == []


def test_a_reminder_waits_for_its_minute(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink
) -> None:
    reminder = remind(make_task(inbox, "Later"), olivia, NOW + MINUTE)

    assert run_round(now=NOW).claimed == 0
    assert state_of(reminder) == ReminderState.PENDING
    assert run_round(now=NOW + MINUTE).sent == 1


def test_a_reminder_of_a_task_done_by_then_is_skipped(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink
) -> None:
    task = make_task(inbox, "Done already")
    reminder = remind(task, olivia, NOW)
    services.toggle_task(task=task, by=olivia)

    assert run_round(now=NOW).skipped == 1
    assert state_of(reminder) == ReminderState.SKIPPED
    assert relay.messages == []


def test_a_member_removed_before_the_reminder_gets_nothing(
    shared: TaskList, editor: User, make_task: Callable[..., Task], relay: SmtpSink
) -> None:
    with_mail(editor, "erin@example.org")
    reminder = remind(make_task(shared, "Shared chore"), editor, NOW)
    services.remove_member(task_list=shared, member=editor, by=None)

    assert run_round(now=NOW).skipped == 1
    assert state_of(reminder) == ReminderState.SKIPPED
    assert relay.messages == []


def test_a_member_made_a_viewer_is_reminded_with_a_link_to_the_list(
    shared: TaskList, editor: User, make_task: Callable[..., Task], relay: SmtpSink, settings: Any
) -> None:
    settings.SITE_URL = "http://localhost:8000"
    with_mail(editor, "erin@example.org")
    task = make_task(shared, "Shared chore")
    remind(task, editor, NOW)
    services.set_role(task_list=shared, member=editor, role=Role.VIEWER, by=None)

    assert run_round(now=NOW).sent == 1
    body = relay.wait_for(to="erin@example.org").get_body(preferencelist=("plain",))
    assert body is not None
    assert f"http://localhost:8000{shared.get_absolute_url()}" in body.get_content()
    assert task.get_absolute_url() not in body.get_content()


def test_a_repeating_task_moves_its_reminders_on_to_the_same_time_of_its_next_day(
    olivia: User, editor: User, shared: TaskList, make_task: Callable[..., Task]
) -> None:
    account_services.set_time_zone(user=olivia, time_zone="Europe/Berlin")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    task = make_task(shared, "Water the plants", due_date=today, repeat_rule="FREQ=DAILY")
    mine = remind(task, olivia, dt.datetime.combine(today, dt.time(8), tzinfo=berlin))
    theirs = remind(task, editor, dt.datetime.combine(today, dt.time(18, 30), tzinfo=dt.UTC))
    Reminder.objects.filter(pk=mine.pk).update(state=ReminderState.SENT)

    services.toggle_task(task=task, by=olivia)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.remind_at == dt.datetime.combine(tomorrow, dt.time(8), tzinfo=berlin)
    assert mine.state == ReminderState.PENDING
    assert theirs.remind_at == dt.datetime.combine(tomorrow, dt.time(18, 30), tzinfo=dt.UTC)


def test_a_moved_reminder_keeps_its_time_of_day_across_a_change_to_summer_time() -> None:
    # 08:00 in Berlin is 07:00 UTC on 28 March 2026 and 06:00 UTC the day after.
    saturday = dt.datetime(2026, 3, 28, 7, 0, tzinfo=dt.UTC)
    moved = reminder_services.days_later(saturday, 1, zone="Europe/Berlin")
    assert moved == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)


def test_a_reminder_changed_while_a_worker_holds_it_keeps_the_change(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink
) -> None:
    task = make_task(inbox, "Moving target")
    reminder = remind(task, olivia, NOW)
    token, ids = _claim(Reminder.objects.due_by(NOW), 10, NOW)
    assert ids == [reminder.pk]

    remind(task, olivia, NOW + dt.timedelta(hours=2))
    # The worker that held it finishes its round: its marks match no row any more.
    assert Reminder.objects.filter(pk=reminder.pk).held_by(token).count() == 0
    assert run_round(now=NOW).claimed == 0

    reminder.refresh_from_db()
    assert (reminder.state, reminder.remind_at) == (
        ReminderState.PENDING,
        NOW + dt.timedelta(hours=2),
    )
    assert run_round(now=NOW + dt.timedelta(hours=2)).sent == 1


def test_a_claim_whose_worker_died_is_sent_by_another_once_its_lease_ends(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink, settings: Any
) -> None:
    reminder = remind(make_task(inbox, "Orphaned"), olivia, NOW)
    _token, ids = _claim(Reminder.objects.due_by(NOW), 10, NOW)  # and then the worker died
    assert ids == [reminder.pk]

    assert run_round(now=NOW + MINUTE).claimed == 0
    assert run_round(now=NOW + settings.WORKER_LEASE + MINUTE).sent == 1
    assert subjects(relay) == ["[todo] Reminder: Orphaned"]


def test_a_relay_that_refuses_leaves_the_reminder_to_be_tried_again(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink
) -> None:
    reminder = remind(make_task(inbox, "Try again"), olivia, NOW)
    relay.refusal = "451 4.3.0 Try again later"

    assert run_round(now=NOW).failed == 1
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (ReminderState.PENDING, 1)
    assert "451" in reminder.last_error
    assert run_round(now=NOW + dt.timedelta(seconds=30)).claimed == 0  # waiting a minute

    relay.refusal = None
    assert run_round(now=NOW + 2 * MINUTE).sent == 1


def test_after_downtime_only_reminders_within_the_cut_off_are_sent(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink, settings: Any
) -> None:
    settings.REMINDER_MISSED_AFTER = dt.timedelta(hours=1)
    stale = remind(make_task(inbox, "Yesterday's"), olivia, NOW - dt.timedelta(hours=20))
    late = remind(make_task(inbox, "Half an hour ago"), olivia, NOW - dt.timedelta(minutes=30))

    done = run_round(now=NOW)

    assert (done.sent, done.missed) == (1, 1)
    assert state_of(stale) == ReminderState.MISSED
    assert state_of(late) == ReminderState.SENT
    assert subjects(relay) == ["[todo] Reminder: Half an hour ago"]


# --- digests --------------------------------------------------------------------------------------


def test_users_in_far_apart_zones_each_get_their_digest_at_their_own_hour(
    owner: User, other_user: User, make_task: Callable[..., Task], relay: SmtpSink
) -> None:
    # 07:00 on 10 March in Auckland is 18:00 UTC on the 9th; in Honolulu, 17:00 UTC on the 10th.
    auckland = with_mail(owner, "olivia@example.org")
    honolulu = with_mail(other_user, "mallory@example.org")
    account_services.set_time_zone(user=auckland, time_zone="Pacific/Auckland")
    account_services.set_time_zone(user=honolulu, time_zone="Pacific/Honolulu")
    for user in (auckland, honolulu):
        home = TaskList.objects.filter(owner=user).get()
        make_task(home, f"Due 10 March for {user}", due_date=dt.date(2026, 3, 10))
        make_task(home, f"Due 9 March for {user}", due_date=dt.date(2026, 3, 9))
        make_task(home, f"Due 11 March for {user}", due_date=dt.date(2026, 3, 11))
    Digest.objects.bulk_create(
        Digest(user=user, hour=7, next_at=at)
        for user, at in [
            (auckland, dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.UTC)),
            (honolulu, dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)),
        ]
    )

    assert run_round(now=dt.datetime(2026, 3, 9, 17, 59, tzinfo=dt.UTC)).claimed == 0
    assert run_round(now=dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.UTC)).sent == 1
    message = relay.wait_for(to="olivia@example.org")
    assert message["Subject"] == "[todo] 2 tasks due on Tuesday 10 March"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Due 10 March for olivia" in text
    assert "Due 9 March for olivia (Inbox), overdue since 9 March" in text
    assert "11 March" not in text
    assert relay.messages == []

    assert run_round(now=dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)).sent == 1
    assert relay.wait_for(to="mallory@example.org")["Subject"] == (
        "[todo] 2 tasks due on Tuesday 10 March"
    )
    # Each moves on to 07:00 of their next day.
    assert Digest.objects.get(user=auckland).next_at == dt.datetime(
        2026, 3, 10, 18, 0, tzinfo=dt.UTC
    )
    assert Digest.objects.get(user=honolulu).next_at == dt.datetime(
        2026, 3, 11, 17, 0, tzinfo=dt.UTC
    )


def test_a_day_with_nothing_due_sends_no_digest_and_moves_on(olivia: User, relay: SmtpSink) -> None:
    Digest.objects.create(user=olivia, hour=9, next_at=NOW)

    assert run_round(now=NOW).skipped == 1
    assert relay.messages == []
    assert Digest.objects.get(user=olivia).next_at == NOW + dt.timedelta(days=1)


def test_a_digest_missed_by_more_than_the_cut_off_is_not_sent_late(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink, settings: Any
) -> None:
    settings.REMINDER_MISSED_AFTER = dt.timedelta(hours=1)
    make_task(inbox, "Due", due_date=NOW.date())
    Digest.objects.create(user=olivia, hour=6, next_at=NOW - dt.timedelta(hours=3))

    assert run_round(now=NOW).missed == 1
    assert relay.messages == []
    assert Digest.objects.get(user=olivia).next_at == NOW - dt.timedelta(hours=3) + dt.timedelta(
        days=1
    )


def test_the_next_digest_follows_the_zone_across_a_change_to_summer_time() -> None:
    berlin = "Europe/Berlin"
    before = dt.datetime(2026, 3, 28, 6, 30, tzinfo=dt.UTC)  # 07:30 CET
    following = reminder_services.next_digest_at(hour=7, zone=berlin, after=before)
    assert following == dt.datetime(2026, 3, 29, 5, 0, tzinfo=dt.UTC)  # 07:00 CEST
    # 02:00 does not exist that night in Berlin: the digest comes when the clock jumps.
    skipped = reminder_services.next_digest_at(hour=2, zone=berlin, after=before)
    assert skipped.astimezone(zoneinfo.ZoneInfo(berlin)).date() == dt.date(2026, 3, 29)


def test_changing_the_time_zone_moves_the_digest_to_that_hour_of_the_new_day(olivia: User) -> None:
    reminder_services.set_digest(user=olivia, hour=7)
    account_services.set_time_zone(user=olivia, time_zone="Asia/Tokyo")

    next_at = Digest.objects.get(user=olivia).next_at
    assert next_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).hour == 7


# --- the worker processes -------------------------------------------------------------------------


def worker_env(relay: SmtpSink, **values: str) -> dict[str, str]:
    return clean_env(
        **{
            "DJANGO_SETTINGS_MODULE": "todo_site.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,
            "DATABASE_URL": db_url(),
            "EMAIL_URL": relay.url,
        }
        | values
    )


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def many_reminders(transactional_db: None, make_task: Callable[..., Task]) -> Iterator[int]:
    """300 reminders due now, for three users with addresses, in one list they share."""
    owner = with_mail(account_services.create_account(user=User(username="ann")), "ann@example.org")
    task_list = TaskList.objects.get(owner=owner)
    users = [owner]
    for name in ("bob", "cy"):
        user = with_mail(
            account_services.create_account(user=User(username=name)), f"{name}@example.org"
        )
        services.share_list(task_list=task_list, username=name, role=Role.EDITOR, by=None)
        users.append(user)
    now = dt.datetime.now(dt.UTC)
    tasks = [make_task(task_list, f"Task {number}") for number in range(100)]
    Reminder.objects.bulk_create(
        Reminder(task=task, user=user, remind_at=now - MINUTE) for task in tasks for user in users
    )
    yield len(tasks) * len(users)


def test_two_workers_at_once_send_each_reminder_exactly_once(
    many_reminders: int, relay: SmtpSink
) -> None:
    env = worker_env(relay)
    workers = [start_worker(env, "--once", "--batch", "20") for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent = Counter((str(message["To"]), str(message["Subject"])) for message in relay.messages)
    assert len(sent) == many_reminders
    assert set(sent.values()) == {1}
    assert Reminder.objects.filter(state=ReminderState.SENT).count() == many_reminders
    # Both took part.
    assert all("worker: sent" in output for output in outputs), outputs


def test_a_worker_killed_mid_send_loses_nothing(many_reminders: int, relay: SmtpSink) -> None:
    # The first worker's relay takes the connection and never answers, so it is killed while
    # it holds its claim; its lease runs out after 2 s and a second worker sends everything.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        stuck = start_worker(
            worker_env(
                relay, EMAIL_URL=f"smtp://127.0.0.1:{silent.getsockname()[1]}", WORKER_LEASE="2"
            ),
            "--batch",
            "50",
        )
        deadline = time.monotonic() + 60
        while not Reminder.objects.exclude(claim="").exists():
            assert time.monotonic() < deadline, "the first worker never claimed anything"
            time.sleep(0.1)
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(timeout=10)
    held = Reminder.objects.exclude(claim="").count()
    assert held == 50
    time.sleep(2.5)

    second = start_worker(worker_env(relay), "--once")
    output = second.communicate(timeout=120)[0]

    assert second.returncode == 0, output
    sent = Counter((str(message["To"]), str(message["Subject"])) for message in relay.messages)
    assert len(sent) == many_reminders
    assert set(sent.values()) == {1}


def test_the_worker_stops_between_rounds_on_sigterm_and_touches_its_heartbeat(
    tmp_path: Path, transactional_db: None, relay: SmtpSink
) -> None:
    heartbeat = tmp_path / "alive"
    worker = start_worker(worker_env(relay, WORKER_HEARTBEAT=str(heartbeat), WORKER_INTERVAL="0.2"))
    deadline = time.monotonic() + 60
    while not heartbeat.exists():
        assert worker.poll() is None and time.monotonic() < deadline, worker.stdout
        time.sleep(0.1)

    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=30)[0]

    assert worker.returncode == 0
    assert output.rstrip().endswith("worker: stopped")


def alive(heartbeat: Path, **values: str) -> int:
    env = dict(os.environ, WORKER_HEARTBEAT=str(heartbeat), **values)
    return subprocess.run(
        [sys.executable, "-m", "reminders.alive"], cwd=REPO_ROOT, env=env, check=False
    ).returncode


def test_the_healthcheck_fails_when_the_heartbeat_is_stale_or_missing(tmp_path: Path) -> None:
    heartbeat = tmp_path / "alive"
    assert alive(heartbeat) == 1
    heartbeat.touch()
    assert alive(heartbeat, WORKER_STALE_AFTER="60") == 0
    an_hour_ago = time.time() - 3600
    os.utime(heartbeat, (an_hour_ago, an_hour_ago))
    assert alive(heartbeat, WORKER_STALE_AFTER="60") == 1


def test_run_worker_once_sends_what_is_due_and_exits(
    olivia: User,
    inbox: TaskList,
    make_task: Callable[..., Task],
    relay: SmtpSink,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.WORKER_HEARTBEAT = tmp_path / "alive"
    remind(make_task(inbox, "From the command"), olivia, dt.datetime.now(dt.UTC) - MINUTE)

    output = io.StringIO()
    call_command("run_worker", "--once", stdout=output)

    assert "worker: sent 1, skipped 0, failed 0, missed 0" in output.getvalue()
    assert subjects(relay) == ["[todo] Reminder: From the command"]
    assert settings.WORKER_HEARTBEAT.exists()


# --- export, import, demo data, admin -------------------------------------------------------------


@pytest.mark.parametrize("dump", [transfer.dump_json, transfer.dump_csv])
def test_export_and_import_carry_the_reminders_still_to_send(
    olivia: User,
    editor: User,
    other_user: User,
    shared: TaskList,
    make_task: Callable[..., Task],
    dump: Callable[[dict[str, Any]], str],
) -> None:
    at = dt.datetime(2027, 1, 15, 8, 30, tzinfo=dt.UTC)
    task = make_task(shared, "Reminded twice")
    remind(task, olivia, at)
    remind(task, editor, at + dt.timedelta(hours=1))
    sent = remind(make_task(shared, "Reminded once, sent"), olivia, at)
    Reminder.objects.filter(pk=sent.pk).update(state=ReminderState.SENT)

    text = dump(transfer.export_data(olivia))
    assert transfer.import_data(other_user, transfer.parse(text)) == 2

    imported = Reminder.objects.filter(task__list__owner=other_user)
    # erin joins mallory's list from the file; olivia does not see it, so hers stays behind.
    assert [(r.task.title, r.user, r.remind_at) for r in imported] == [
        ("Reminded twice", editor, at + dt.timedelta(hours=1))
    ]


def test_an_import_with_a_reminder_time_without_a_zone_is_refused(other_user: User) -> None:
    record = {"title": "x", "reminders": [{"username": "mallory", "remind_at": "2027-01-01T09:00"}]}
    with pytest.raises(ValidationError, match="bad reminder time"):
        transfer.import_data(other_user, [{"name": "Inbox", "tasks": [record]}])
    assert not Task.objects.owned_by(other_user).exists()


def test_seed_demo_reminds_of_some_tasks_still_to_come(db: None) -> None:
    call_command("seed_demo", user="demo", tasks=80, seed=1)

    reminders = Reminder.objects.filter(user__username="demo").select_related("task")
    assert reminders.exists()
    for reminder in reminders:
        assert reminder.task.due_date is not None and not reminder.task.done
        local = timezone.localtime(reminder.remind_at)
        assert (local.date(), local.hour) == (reminder.task.due_date, 9)


def test_the_admin_lists_reminders_and_moves_one_through_the_service(
    admin_client: Client, olivia: User, inbox: TaskList, make_task: Callable[..., Task]
) -> None:
    reminder = remind(make_task(inbox, "Admin's"), olivia, NOW)
    Reminder.objects.filter(pk=reminder.pk).update(state=ReminderState.SENT)
    listing = admin_client.get(reverse("admin:reminders_reminder_changelist")).content.decode()
    assert "Admin&#x27;s" in listing or "Admin's" in listing

    change = reverse("admin:reminders_reminder_change", args=[reminder.pk])
    later = NOW + dt.timedelta(days=1)
    response = admin_client.post(
        change,
        {"remind_at_0": later.strftime("%Y-%m-%d"), "remind_at_1": later.strftime("%H:%M:%S")},
    )

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.remind_at, reminder.state) == (later, ReminderState.PENDING)


def test_a_relay_that_is_down_costs_a_round_one_attempt_not_one_per_message(
    olivia: User, inbox: TaskList, make_task: Callable[..., Task], settings: Any
) -> None:
    # A relay that takes connections and never says a word: each attempt waits EMAIL_TIMEOUT.
    connections: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.settimeout(0.2)

        def accept() -> None:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    connections.append(silent.accept()[0])

        stop = threading.Event()
        listener = threading.Thread(target=accept)
        listener.start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 1
        reminders = [remind(make_task(inbox, f"Task {number}"), olivia, NOW) for number in range(5)]
        try:
            done = run_round(now=NOW)
        finally:
            stop.set()
            listener.join()
            for connection in connections:
                connection.close()

    assert (done.failed, done.sent) == (5, 0)
    assert len(connections) == 1
    for reminder in reminders:
        reminder.refresh_from_db()
        assert (reminder.state, reminder.attempts) == (ReminderState.PENDING, 1)
