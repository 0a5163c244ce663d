"""Repeating tasks: the rules (todos.repeat), completing one (todos.services), the edit form, the
row, and the series through export/import, the admin and the demo data."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from todos import services, transfer
from todos.models import Activity, Task, Verb
from todos.repeat import Rule

D = dt.date


def _next(rule: str, due: D, today: D, *, from_completion: bool = False) -> tuple[D, str] | None:
    following = Rule.parse(rule).next_due(due=due, today=today, from_completion=from_completion)
    return None if following is None else (following[0], str(following[1]))


# --- the rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "due", "today", "expected"),
    [
        ("FREQ=DAILY", D(2027, 3, 1), D(2027, 3, 1), (D(2027, 3, 2), "FREQ=DAILY")),
        ("FREQ=DAILY;INTERVAL=3", D(2027, 3, 1), D(2027, 3, 1), (D(2027, 3, 4), None)),
        # Weekly on the due date's weekday, or on the chosen ones.
        ("FREQ=WEEKLY", D(2027, 3, 3), D(2027, 3, 3), (D(2027, 3, 10), None)),
        ("FREQ=WEEKLY;BYDAY=MO,TH", D(2027, 3, 1), D(2027, 3, 1), (D(2027, 3, 4), None)),
        ("FREQ=WEEKLY;BYDAY=MO,TH", D(2027, 3, 4), D(2027, 3, 4), (D(2027, 3, 8), None)),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", D(2027, 3, 1), D(2027, 3, 1), (D(2027, 3, 15), None)),
        # Monthly on the 31st: only months that have one.
        ("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 1, 31), (D(2027, 3, 31), None)),
        ("FREQ=MONTHLY", D(2027, 3, 31), D(2027, 3, 31), (D(2027, 5, 31), None)),
        # The last day: every month's.
        ("FREQ=MONTHLY;BYMONTHDAY=-1", D(2027, 1, 31), D(2027, 1, 31), (D(2027, 2, 28), None)),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", D(2028, 1, 31), D(2028, 1, 31), (D(2028, 2, 29), None)),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", D(2027, 2, 28), D(2027, 2, 28), (D(2027, 3, 31), None)),
        ("FREQ=MONTHLY;INTERVAL=2", D(2027, 1, 15), D(2027, 1, 15), (D(2027, 3, 15), None)),
        # 29 February yearly: leap years only.
        ("FREQ=YEARLY", D(2028, 2, 29), D(2028, 2, 29), (D(2032, 2, 29), None)),
        ("FREQ=YEARLY", D(2027, 7, 4), D(2027, 7, 4), (D(2028, 7, 4), None)),
        # Completed early: the occurrence after the due date.
        ("FREQ=DAILY", D(2027, 3, 10), D(2027, 3, 1), (D(2027, 3, 11), None)),
    ],
)
def test_it_finds_the_next_occurrence_after_the_due_date(rule, due, today, expected):
    following = _next(rule, due, today)
    assert following is not None
    assert following[0] == expected[0]
    assert following[1] == (expected[1] or rule)


def test_it_skips_to_the_first_occurrence_after_today_when_completed_late():
    # Due a Monday three weeks ago, weekly on Mondays and Thursdays: never a missed one.
    assert _next("FREQ=WEEKLY;BYDAY=MO,TH", D(2027, 3, 1), D(2027, 3, 22)) == (
        D(2027, 3, 25),
        "FREQ=WEEKLY;BYDAY=MO,TH",
    )
    # Every 2 days keeps its rhythm from the due date.
    assert _next("FREQ=DAILY;INTERVAL=2", D(2027, 3, 1), D(2027, 3, 8)) == (
        D(2027, 3, 9),
        "FREQ=DAILY;INTERVAL=2",
    )


def test_the_occurrences_skipped_by_a_late_completion_count_towards_count():
    # 1 (completed) + 3 skipped (2nd to 4th) used of 6: 2 left, the next one included.
    assert _next("FREQ=DAILY;COUNT=6", D(2027, 3, 1), D(2027, 3, 4)) == (
        D(2027, 3, 5),
        "FREQ=DAILY;COUNT=2",
    )
    assert _next("FREQ=DAILY;COUNT=4", D(2027, 3, 1), D(2027, 3, 4)) is None


def test_a_series_ends_with_its_count_or_its_until_date():
    assert _next("FREQ=DAILY;COUNT=2", D(2027, 3, 1), D(2027, 3, 1)) == (
        D(2027, 3, 2),
        "FREQ=DAILY;COUNT=1",
    )
    assert _next("FREQ=DAILY;COUNT=1", D(2027, 3, 2), D(2027, 3, 2)) is None
    assert _next("FREQ=WEEKLY;UNTIL=20270314", D(2027, 3, 1), D(2027, 3, 1)) == (
        D(2027, 3, 8),
        "FREQ=WEEKLY;UNTIL=20270314",
    )
    assert _next("FREQ=WEEKLY;UNTIL=20270314", D(2027, 3, 8), D(2027, 3, 8)) is None


@pytest.mark.parametrize(
    ("rule", "today", "expected"),
    [
        ("FREQ=DAILY;INTERVAL=3", D(2027, 3, 20), D(2027, 3, 23)),
        ("FREQ=WEEKLY;INTERVAL=2", D(2027, 3, 20), D(2027, 4, 3)),
        # A month on from 31 January: the end of February.
        ("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 2, 28)),
        ("FREQ=YEARLY", D(2028, 2, 29), D(2029, 2, 28)),
    ],
)
def test_from_the_completion_date_it_adds_the_interval_to_the_day_it_is_done(rule, today, expected):
    following = _next(rule, D(2027, 1, 1), today, from_completion=True)
    assert following == (expected, rule)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "FREQ=HOURLY",
        "FREQ=DAILY;BYHOUR=9",
        "FREQ=DAILY;BYDAY=MO",
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "FREQ=DAILY;COUNT=2;UNTIL=20270101",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=WEEKLY;BYDAY=XX",
        "nonsense",
    ],
)
def test_it_refuses_rules_it_cannot_follow(text):
    with pytest.raises(ValidationError):
        Rule.parse(text)


@pytest.mark.parametrize(
    ("rule", "from_completion", "text"),
    [
        ("FREQ=DAILY", False, "Repeats daily"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", False, "Repeats every 2 weeks on Mon, Thu"),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
            False,
            "Repeats monthly on the last day, 3 times left",
        ),
        ("FREQ=YEARLY;UNTIL=20301231", False, "Repeats yearly, until Dec 31, 2030"),
        ("FREQ=DAILY;INTERVAL=3", True, "Repeats every 3 days after completion"),
    ],
)
def test_it_describes_a_rule_as_its_row_shows_it(rule, from_completion, text):
    assert Rule.parse(rule).describe(from_completion=from_completion) == text


# --- completing -----------------------------------------------------------------------------------


@pytest.fixture
def today():
    return timezone.localdate()


def test_completing_a_daily_task_due_today_moves_it_to_tomorrow_still_open(
    owner, inbox, make_task, today
):
    task = make_task(inbox, "Water plants", due_date=today, repeat_rule="FREQ=DAILY")

    services.toggle_task(task=task, by=owner)

    task.refresh_from_db()
    assert (task.title, task.done, task.completed_at) == ("Water plants", False, None)
    assert task.due_date == today + dt.timedelta(days=1)
    assert Task.objects.in_list(inbox).count() == 1
    inbox.refresh_from_db()
    assert inbox.counts == {"open": 1, "done": 0}
    entry = Activity.objects.filter(task=task).first()
    assert entry is not None
    assert entry.verb == Verb.COMPLETE
    assert entry.changes == {
        "due_date": [today.isoformat(), (today + dt.timedelta(days=1)).isoformat()]
    }


def test_completing_the_last_occurrence_marks_it_done_for_good(owner, inbox, make_task, today):
    task = make_task(inbox, due_date=today, repeat_rule="FREQ=DAILY;COUNT=2")
    services.toggle_task(task=task, by=owner)
    task.refresh_from_db()
    assert (task.done, task.due_date, task.repeat_rule) == (
        False,
        today + dt.timedelta(days=1),
        "FREQ=DAILY;COUNT=1",
    )

    services.toggle_task(task=task, by=owner)

    task.refresh_from_db()
    assert task.done
    assert task.due_date == today + dt.timedelta(days=1)


def test_completing_late_moves_it_past_today_without_a_backlog(owner, inbox, make_task, today):
    task = make_task(inbox, due_date=today - dt.timedelta(days=10), repeat_rule="FREQ=DAILY")
    services.toggle_task(task=task, by=owner)
    task.refresh_from_db()
    assert task.due_date == today + dt.timedelta(days=1)
    assert Task.objects.in_list(inbox).count() == 1


def test_from_the_completion_date_completing_late_counts_from_today(owner, inbox, make_task, today):
    task = make_task(
        inbox,
        due_date=today - dt.timedelta(days=10),
        repeat_rule="FREQ=WEEKLY",
        repeat_from_completion=True,
    )
    services.toggle_task(task=task, by=owner)
    task.refresh_from_db()
    assert task.due_date == today + dt.timedelta(weeks=1)


def test_today_is_the_current_time_zones_date(owner, inbox, make_task, monkeypatch):
    # 06:00 UTC on 8 December is still the evening of the 7th in Honolulu: completing a daily
    # task due on the 1st there moves it to the 8th, the first day after Honolulu's today.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.UTC))
    task = make_task(inbox, due_date=D(2026, 12, 1), repeat_rule="FREQ=DAILY")
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Honolulu")):
        services.toggle_task(task=task, by=owner)
    task.refresh_from_db()
    assert task.due_date == D(2026, 12, 8)


def test_across_a_dst_change_the_next_date_is_the_next_calendar_day(
    owner, inbox, make_task, monkeypatch
):
    # 8 March 2026: clocks in New York jump from 2:00 to 3:00; the day is 23 hours long.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 8, 23, 30, tzinfo=new_york))
    task = make_task(inbox, due_date=D(2026, 3, 8), repeat_rule="FREQ=DAILY")
    with timezone.override(new_york):
        services.toggle_task(task=task, by=owner)
        task.refresh_from_db()
        assert task.due_date == D(2026, 3, 9)
        services.toggle_task(task=task, by=owner, due_seen=D(2026, 3, 9))
    task.refresh_from_db()
    assert task.due_date == D(2026, 3, 10)


def test_a_second_completion_of_the_same_occurrence_changes_nothing(
    owner, editor, shared, make_task, today
):
    task = make_task(shared, due_date=today, repeat_rule="FREQ=DAILY")
    services.toggle_task(task=task, by=owner, due_seen=today)
    services.toggle_task(task=task, by=editor, due_seen=today)
    task.refresh_from_db()
    assert (task.done, task.due_date) == (False, today + dt.timedelta(days=1))
    assert Activity.objects.filter(task=task, verb=Verb.COMPLETE).count() == 1


def test_editing_the_rule_mid_series_counts_from_the_current_due_date(
    owner, owner_client, inbox, make_task, today
):
    task = make_task(inbox, due_date=today, repeat_rule="FREQ=DAILY")
    services.toggle_task(task=task, by=owner)
    task.refresh_from_db()
    due = task.due_date
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]),
        {
            **_form_of(task),
            "repeat": "WEEKLY",
            "repeat_interval": "2",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.repeat_rule, task.due_date) == ("FREQ=WEEKLY;INTERVAL=2", due)
    services.toggle_task(task=task, by=owner)
    task.refresh_from_db()
    assert task.due_date == due + dt.timedelta(weeks=2)


def test_mark_all_complete_moves_repeating_tasks_on_and_clear_completed_keeps_them(
    owner, inbox, make_task, today
):
    series = make_task(inbox, "Series", due_date=today, repeat_rule="FREQ=DAILY")
    make_task(inbox, "Once")

    services.toggle_all(task_list=inbox, by=owner)
    assert services.clear_completed(task_list=inbox, by=owner) == 1

    series.refresh_from_db()
    assert (series.done, series.due_date) == (False, today + dt.timedelta(days=1))
    assert [task.title for task in Task.objects.in_list(inbox)] == ["Series"]
    inbox.refresh_from_db()
    assert inbox.counts == {"open": 1, "done": 0}


def test_the_admins_mark_done_moves_repeating_tasks_on(owner, inbox, make_task, today):
    series = make_task(inbox, "Series", due_date=today, repeat_rule="FREQ=DAILY")
    assert services.set_done(tasks=Task.objects.filter(pk=series.pk), done=True, by=owner) == 1
    series.refresh_from_db()
    assert (series.done, series.due_date) == (False, today + dt.timedelta(days=1))


def test_a_repeating_task_needs_a_due_date_in_the_database_too(inbox, make_task):
    task = make_task(inbox)
    task.repeat_rule = "FREQ=DAILY"
    with pytest.raises(ValidationError):
        task.full_clean()


# --- the edit form and the row --------------------------------------------------------------------


def _form_of(task: Task) -> dict[str, str]:
    return {
        "title": task.title,
        "notes": task.notes,
        "due_date": task.due_date.isoformat() if task.due_date else "",
        "priority": task.priority,
        "list": str(task.list_id),
    }


def test_the_edit_form_offers_the_repeat_choices(owner_client, inbox, make_task):
    task = make_task(inbox)
    page = owner_client.get(reverse("todos:edit", args=[task.pk])).content.decode()
    assert ">Repeat</label>" in page
    for option in ("Does not repeat", "Daily", "Weekly", "Monthly", "Yearly"):
        assert f">{option}</option>" in page
    for label in ("Repeat every", "On the last day of the month", "End after (times)", "End on"):
        assert f">{label}</label>" in page
    assert "<legend>On weekdays</legend>" in page


def test_setting_a_rule_in_the_form_stores_its_rrule(owner_client, inbox, make_task, today):
    task = make_task(inbox)
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]),
        {
            **_form_of(task),
            "due_date": today.isoformat(),
            "repeat": "WEEKLY",
            "repeat_interval": "2",
            "repeat_weekdays": ["MO", "TH"],
            "repeat_last_day": "on",  # monthly only: left out of a weekly rule
            "repeat_count": "5",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.repeat_rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5"
    page = owner_client.get(reverse("todos:edit", args=[task.pk])).content.decode()
    assert 'value="WEEKLY" selected' in page
    assert 'value="TH" id="id_repeat_weekdays_3" checked' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"repeat": "DAILY"}, "Give a repeating task a due date."),
        (
            {"repeat": "DAILY", "due_date": "2027-01-01", "repeat_count": "2"}
            | {"repeat_until": "2027-02-01"},
            "End after a number of times or on a date, not both.",
        ),
        (
            {"repeat": "MONTHLY", "due_date": "2027-01-31", "repeat_last_day": "on"}
            | {"repeat_from_completion": "on"},
            "Weekdays and the last day of the month count from the due date.",
        ),
        ({"repeat": "DAILY", "due_date": "2027-01-01", "repeat_interval": "0"}, "greater than"),
    ],
)
def test_bad_rules_show_an_error_and_save_nothing(owner_client, inbox, make_task, fields, message):
    task = make_task(inbox)
    response = owner_client.post(reverse("todos:edit", args=[task.pk]), _form_of(task) | fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    task.refresh_from_db()
    assert (task.repeat_rule, task.due_date) == ("", None)


def test_choosing_does_not_repeat_ends_the_series(owner_client, inbox, make_task, today):
    task = make_task(inbox, due_date=today, repeat_rule="FREQ=DAILY", repeat_from_completion=True)
    response = owner_client.post(reverse("todos:edit", args=[task.pk]), _form_of(task))
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.repeat_rule, task.repeat_from_completion) == ("", False)


def test_the_row_says_it_repeats_and_a_tick_sends_the_due_date_it_shows(
    owner_client, inbox, make_task, today
):
    task = make_task(inbox, "Water plants", due_date=today, repeat_rule="FREQ=DAILY")
    page = owner_client.get(inbox.get_absolute_url()).content.decode()
    assert "Repeats daily" in page
    toggle = f"{reverse('todos:toggle', args=[task.pk])}?due={today.isoformat()}"
    assert f'formaction="{toggle}"' in page

    owner_client.post(toggle, {"next": inbox.get_absolute_url()})
    owner_client.post(toggle, {"next": inbox.get_absolute_url()})  # the same tick, sent again

    task.refresh_from_db()
    tomorrow = today + dt.timedelta(days=1)
    assert (task.done, task.due_date) == (False, tomorrow)
    page = owner_client.get(inbox.get_absolute_url()).content.decode()
    assert f'<time datetime="{tomorrow.isoformat()}" class="due">' in page


# --- export, import, admin, demo data -------------------------------------------------------------


@pytest.mark.parametrize("dump", [transfer.dump_json, transfer.dump_csv])
def test_export_and_import_carry_the_rule(owner, other_user, inbox, make_task, today, dump):
    make_task(
        inbox,
        "Series",
        due_date=today,
        repeat_rule="FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
        repeat_from_completion=False,
    )
    make_task(inbox, "Later", due_date=today, repeat_rule="FREQ=DAILY", repeat_from_completion=True)
    text = dump(transfer.export_data(owner))
    assert transfer.import_data(other_user, transfer.parse(text)) == 2
    imported = Task.objects.owned_by(other_user).order_by("title")
    assert [(t.title, t.repeat_rule, t.repeat_from_completion) for t in imported] == [
        ("Later", "FREQ=DAILY", True),
        ("Series", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", False),
    ]


def test_an_import_with_a_rule_it_cannot_follow_is_refused(other_user):
    record = {"title": "x", "due_date": "2027-01-01", "repeat_rule": "FREQ=HOURLY"}
    with pytest.raises(ValidationError, match="not a repeat rule"):
        transfer.import_data(other_user, [{"name": "Inbox", "tasks": [record]}])
    assert not Task.objects.owned_by(other_user).exists()


def test_the_admin_shows_and_edits_the_rule(admin_client, inbox, make_task, today):
    task = make_task(inbox, "Series", due_date=today, repeat_rule="FREQ=DAILY")
    listing = admin_client.get(reverse("admin:todos_task_changelist")).content.decode()
    assert "Repeats daily" in listing
    page = admin_client.get(reverse("admin:todos_task_change", args=[task.pk])).content.decode()
    assert 'name="repeat_rule"' in page
    assert 'value="FREQ=DAILY"' in page


def test_seed_demo_makes_some_repeating_tasks(db):
    call_command("seed_demo", user="demo", tasks=40, seed=1)
    repeating = Task.objects.filter(list__owner__username="demo").repeating()
    assert repeating.exists()
    for task in repeating:
        Rule.parse(task.repeat_rule)
        assert task.due_date is not None
        assert task.repeat_text.startswith("Repeats ")


def test_a_rule_saved_over_a_newer_version_is_a_conflict_naming_repeat(
    owner, owner_client, inbox, make_task, today
):
    task = make_task(inbox, due_date=today)
    opened_at = task.version
    services.edit_task(task=task, changes={"title": "Renamed"}, by=owner)
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]),
        {**_form_of(task), "repeat": "DAILY", "version": str(opened_at)},
    )
    assert response.status_code == 409
    assert "<li>Repeat: “FREQ=DAILY”" in response.content.decode()
    task.refresh_from_db()
    assert task.repeat_rule == ""
