"""The API's planning: repeat rules on tasks, Today and Upcoming in the caller's time zone, and
each caller's own reminder of a task."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts import services as account_services
from reminders.models import Reminder
from tests.support.api import Api, problem_type
from todos import services
from todos.models import Role, Task, TaskList

pytestmark = pytest.mark.django_db


def local_today(zone: str) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))


def test_a_rule_is_set_read_and_stopped_through_patch(
    as_owner: Api, inbox: TaskList, make_task: Callable[..., Task]
) -> None:
    task = make_task(inbox, "Bins", due_date=dt.date(2027, 1, 4))

    weekly = as_owner("PATCH", f"/tasks/{task.pk}", {"repeat_rule": "FREQ=WEEKLY;BYDAY=MO,TH"})
    renamed = as_owner("PATCH", f"/tasks/{task.pk}", {"title": "Put the bins out"})
    stopped = as_owner("PATCH", f"/tasks/{task.pk}", {"repeat_rule": ""})

    assert weekly.status_code == 200, weekly.content
    assert weekly.json()["repeat_rule"] == "FREQ=WEEKLY;BYDAY=MO,TH"
    # Changing something else leaves the rule as it is.
    assert renamed.json()["repeat_rule"] == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert stopped.json()["repeat_rule"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repeat_rule": "FREQ=HOURLY"}, "repeat_rule"),
        ({"repeat_rule": "FREQ=DAILY", "due_date": None}, "due_date"),
    ],
)
def test_a_rule_the_edit_page_cannot_hold_is_a_422(
    as_owner: Api, inbox: TaskList, make_task: Callable[..., Task], body: dict[str, Any], field: str
) -> None:
    task = make_task(inbox, "Bins", due_date=dt.date(2027, 1, 4))
    response = as_owner("PATCH", f"/tasks/{task.pk}", body)
    assert response.status_code == 422
    assert problem_type(response) == "invalid"
    assert Task.objects.get(pk=task.pk).repeat_rule == ""


def test_completing_a_daily_task_due_today_moves_it_to_tomorrow(
    owner: User, as_owner: Api, inbox: TaskList, make_task: Callable[..., Task]
) -> None:
    today = timezone.localdate()
    task = make_task(inbox, "Stretch", due_date=today, repeat_rule="FREQ=DAILY")

    done = as_owner("POST", f"/tasks/{task.pk}/complete").json()

    assert (done["done"], done["due_date"]) == (False, (today + dt.timedelta(days=1)).isoformat())


def test_today_and_upcoming_are_the_callers_own_days(
    owner: User, other_user: User, inbox: TaskList, make_task: Callable[..., Task]
) -> None:
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are never on the same date.
    account_services.set_time_zone(user=owner, time_zone="Pacific/Kiritimati")
    account_services.set_time_zone(user=other_user, time_zone="Pacific/Pago_Pago")
    services.share_list(task_list=inbox, username=other_user.username, role=Role.VIEWER, by=None)
    days = sorted({local_today("Pacific/Kiritimati"), local_today("Pacific/Pago_Pago")})
    for day in days:
        make_task(inbox, f"Due {day}", due_date=day)
    make_task(inbox, "Far off", due_date=days[-1] + dt.timedelta(days=40))
    make_task(inbox, "Done", due_date=days[0], done=True)
    make_task(inbox, "Undated")

    for user, zone in [(owner, "Pacific/Kiritimati"), (other_user, "Pacific/Pago_Pago")]:
        api = Api(user)
        today = local_today(zone)
        due = [item["title"] for item in api("GET", "/today").json()["items"]]
        later = [item["title"] for item in api("GET", "/upcoming").json()["items"]]
        assert due == [f"Due {day}" for day in days if day <= today]
        assert later == [f"Due {day}" for day in days if day > today] + ["Far off"]


def test_upcoming_pages_by_cursor_in_due_date_order(
    as_owner: Api, inbox: TaskList, make_task: Callable[..., Task]
) -> None:
    start = timezone.localdate() + dt.timedelta(days=1)
    for number in range(5):
        make_task(inbox, f"Day {4 - number}", due_date=start + dt.timedelta(days=4 - number))

    first = as_owner("GET", "/upcoming", limit=2).json()
    second = as_owner("GET", "/upcoming", limit=2, cursor=first["next_cursor"]).json()
    last = as_owner("GET", "/upcoming", limit=2, cursor=second["next_cursor"]).json()

    titles = [item["title"] for page in (first, second, last) for item in page["items"]]
    assert titles == [f"Day {number}" for number in range(5)]
    assert last["next_cursor"] is None
    assert problem_type(as_owner("GET", "/upcoming", cursor="not-a-cursor")) == "invalid"


def test_each_caller_sets_reads_and_removes_their_own_reminder(
    owner: User,
    editor: User,
    as_owner: Api,
    as_editor: Api,
    shared: TaskList,
    make_task: Callable[..., Task],
) -> None:
    task = make_task(shared, "Call the plumber")
    path = f"/tasks/{task.pk}/reminder"
    at = "2099-01-15T09:00:00+13:00"

    assert as_owner("GET", path).json() == {"remind_at": None, "state": None}
    saved = as_owner("PUT", path, {"remind_at": at})
    assert saved.status_code == 200, saved.content
    assert saved.json()["state"] == "pending"
    assert dt.datetime.fromisoformat(saved.json()["remind_at"]) == dt.datetime.fromisoformat(at)
    assert as_editor("GET", path).json()["remind_at"] is None

    assert as_owner("DELETE", path).status_code == 204
    assert not Reminder.objects.filter(task=task, user=owner).exists()
    assert as_owner("DELETE", path).status_code == 204  # none is not an error


@pytest.mark.parametrize("remind_at", ["2001-01-01T09:00:00+00:00", "2099-01-01T09:00:00"])
def test_a_reminder_in_the_past_or_without_its_offset_is_a_422(
    as_owner: Api, inbox: TaskList, make_task: Callable[..., Task], remind_at: str
) -> None:
    task = make_task(inbox, "Never")
    response = as_owner("PUT", f"/tasks/{task.pk}/reminder", {"remind_at": remind_at})
    assert response.status_code == 422
    assert problem_type(response) == "invalid"
    assert not Reminder.objects.exists()
