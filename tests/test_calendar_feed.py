"""Each user's calendar feed, /calendar/<token>.ics: their open dated tasks from every list they
can see, as all-day events read back with icalendar and repeats expanded with
recurring-ical-events, as a calendar app would; the secret address, its reset, and conditional
GETs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import recurring_ical_events
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from icalendar import Calendar

from accounts import services as account_services
from calendars import services as calendar_services
from calendars.models import Feed
from todos import services
from todos.models import Role, Task, TaskList

ACCOUNT = reverse("account")
NEW_YEAR = dt.date(2030, 1, 1)


def feed_url(user: User) -> str:
    return reverse("calendars:feed", kwargs={"token": calendar_services.feed_of(user=user).token})


def fetch(user: User, **headers: str) -> Any:
    """The feed as a calendar app fetches it: no session, no cookies."""
    return Client().get(feed_url(user), headers=headers)


def calendar_of(user: User) -> Calendar:
    response = fetch(user)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def summaries(user: User) -> list[str]:
    return [str(event["SUMMARY"]) for event in calendar_of(user).walk("VEVENT")]


def dated(make_task: Callable[..., Task], task_list: TaskList, title: str, **fields: Any) -> Task:
    return make_task(task_list, title, due_date=fields.pop("due_date", NEW_YEAR), **fields)


def test_it_shows_an_open_dated_task_as_an_all_day_event(owner, inbox, make_task):
    task = dated(make_task, inbox, "Pay rent", notes="Transfer, not cash")
    account_services.set_time_zone(user=owner, time_zone="Pacific/Auckland")
    calendar = calendar_of(owner)

    assert str(calendar["X-WR-CALNAME"]) == "Tasks of olivia"
    assert str(calendar["X-WR-TIMEZONE"]) == "Pacific/Auckland"
    (event,) = calendar.walk("VEVENT")
    assert event["SUMMARY"] == "Pay rent"
    assert event.decoded("DTSTART") == NEW_YEAR  # a date, not a date-time: all day
    assert "DTEND" not in event  # one day, from a DATE start
    assert event["DESCRIPTION"] == "Transfer, not cash\n\nList: Inbox"
    assert event["URL"] == f"http://testserver/lists/{inbox.pk}/"
    assert event["UID"] == f"task-{task.pk}@testserver"
    assert "RRULE" not in event
    # Stable: the same UID on the next fetch, and after an edit.
    services.edit_task(task=task, changes={"title": "Pay the rent"}, by=owner)
    (again,) = calendar_of(owner).walk("VEVENT")
    assert again["UID"] == event["UID"]
    assert again["SUMMARY"] == "Pay the rent"


def test_it_needs_no_session_and_is_kept_by_the_users_client_only(owner, inbox, make_task):
    dated(make_task, inbox, "Pay rent")
    response = fetch(owner)
    assert response.status_code == 200
    # Kept by the user's calendar app only, which asks again each time (a 304 is cheap).
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_it_leaves_out_done_and_undated_tasks(owner, inbox, make_task):
    dated(make_task, inbox, "Dated and open")
    dated(make_task, inbox, "Dated and done", done=True)
    make_task(inbox, "Undated")
    assert summaries(owner) == ["Dated and open"]


def test_it_leaves_out_a_task_once_it_is_completed(owner, inbox, make_task):
    task = dated(make_task, inbox, "Pay rent")
    services.toggle_task(task=task, by=owner)
    assert summaries(owner) == []


def test_it_expands_a_daily_task_to_consecutive_days(owner, inbox, make_task):
    dated(make_task, inbox, "Water the plants", repeat_rule="FREQ=DAILY")
    (event,) = calendar_of(owner).walk("VEVENT")
    assert event["RRULE"].to_ical() == b"FREQ=DAILY"

    days = recurring_ical_events.of(calendar_of(owner)).between(NEW_YEAR, dt.date(2030, 1, 5))
    assert [occurrence.decoded("DTSTART") for occurrence in days] == [
        dt.date(2030, 1, day) for day in (1, 2, 3, 4)
    ]
    assert {str(occurrence["SUMMARY"]) for occurrence in days} == {"Water the plants"}


@pytest.mark.parametrize(
    "rule", ["FREQ=WEEKLY;COUNT=3", "FREQ=WEEKLY;UNTIL=20300115"], ids=["count", "until"]
)
def test_it_ends_a_series_with_its_count_or_until(owner, inbox, make_task, rule):
    dated(make_task, inbox, "Team lunch", repeat_rule=rule)
    year = recurring_ical_events.of(calendar_of(owner)).between(NEW_YEAR, dt.date(2031, 1, 1))
    assert [occurrence.decoded("DTSTART") for occurrence in year] == [
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 8),
        dt.date(2030, 1, 15),
    ]


def test_it_never_shows_a_strangers_tasks(owner, inbox, other_user, other_inbox, make_task):
    dated(make_task, inbox, "Owner's task")
    dated(make_task, other_inbox, "Stranger's task")
    assert summaries(owner) == ["Owner's task"]
    assert summaries(other_user) == ["Stranger's task"]


def test_it_shows_shared_lists_until_the_member_is_removed(owner, editor, shared, make_task):
    work = services.create_list(owner=editor, name="Work")
    dated(make_task, shared, "Shared task")
    dated(make_task, work, "Editor's own task", due_date=dt.date(2030, 1, 2))
    calendar = calendar_of(editor)
    assert [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")] == [
        "Shared task",
        "Editor's own task",
    ]
    assert str(calendar.walk("VEVENT")[0]["DESCRIPTION"]) == "List: Inbox"

    services.remove_member(task_list=shared, member=editor, by=owner)
    assert summaries(editor) == ["Editor's own task"]


def test_it_answers_404_to_an_unknown_token(owner, inbox):
    calendar_services.feed_of(user=owner)
    missing = reverse("calendars:feed", kwargs={"token": "0" * 64})
    assert Client().get(missing).status_code == 404


def test_it_answers_404_to_the_old_address_after_a_reset(owner, inbox, make_task):
    dated(make_task, inbox, "Pay rent")
    old = feed_url(owner)
    assert Client().get(old).status_code == 200
    calendar_services.reset_feed(user=owner)
    assert Client().get(old).status_code == 404
    assert feed_url(owner) != old
    assert summaries(owner) == ["Pay rent"]


def test_it_answers_404_for_an_inactive_account(owner, inbox):
    url = feed_url(owner)
    owner.is_active = False
    owner.save()
    assert Client().get(url).status_code == 404


def test_it_stores_a_digest_of_the_token_not_the_token(owner):
    feed = calendar_services.feed_of(user=owner)
    stored = Feed.objects.filter(pk=feed.pk).values().get()
    assert feed.token not in stored.values()
    assert len(feed.token) == 64


def test_it_loads_the_feed_in_two_queries_however_many_tasks_and_lists(
    owner, editor, shared, make_task, django_assert_num_queries
):
    dated(make_task, shared, "Shared task")
    url = feed_url(editor)
    # The feed and its user with their time zone; the tasks with their lists; and, as what the
    # feed shows has changed since it was last served, its ETag and Last-Modified stored.
    with django_assert_num_queries(3):
        assert Client().get(url).status_code == 200
    for number in range(5):
        task_list = services.create_list(owner=owner, name=f"List {number}")
        services.share_list(task_list=task_list, username="erin", role=Role.VIEWER, by=None)
        for day in range(1, 4):
            dated(make_task, task_list, f"Task {day}", due_date=dt.date(2030, 1, day))
    with django_assert_num_queries(3):
        response = Client().get(url)
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 16
    # Unchanged since: the feed, then its tasks.
    with django_assert_num_queries(2):
        assert Client().get(url).status_code == 200


def test_it_answers_304_to_a_request_with_the_current_etag(owner, inbox, make_task):
    task = dated(make_task, inbox, "Pay rent")
    first = fetch(owner)
    etag = first["ETag"]
    assert etag.startswith('"')

    unchanged = fetch(owner, if_none_match=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert "private" in unchanged["Cache-Control"]

    services.edit_task(task=task, changes={"notes": "By transfer"}, by=owner)
    changed = fetch(owner, if_none_match=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.parametrize(
    "change",
    [
        lambda user, task_list: services.rename_list(task_list=task_list, name="Home", by=user),
        lambda user, task_list: account_services.set_time_zone(user=user, time_zone="Asia/Tokyo"),
    ],
    ids=["list renamed", "time zone"],
)
def test_it_has_a_new_etag_when_what_else_it_shows_changes(owner, inbox, make_task, change):
    dated(make_task, inbox, "Pay rent")
    etag = fetch(owner)["ETag"]
    change(owner, inbox)
    assert fetch(owner, if_none_match=etag).status_code == 200


def test_it_answers_304_to_a_request_modified_since_its_last_modified(
    owner, inbox, make_task, monkeypatch
):
    moment = dt.datetime(2029, 12, 1, 12, 0, 0, 500_000, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    task = dated(make_task, inbox, "Pay rent")
    first = fetch(owner)
    last_modified = first["Last-Modified"]
    assert last_modified == "Sat, 01 Dec 2029 12:00:00 GMT"

    unchanged = fetch(owner, if_modified_since=last_modified)
    assert unchanged.status_code == 304
    assert unchanged["Last-Modified"] == last_modified

    # Changed within the same second it was last served: dated a second on all the same.
    services.toggle_task(task=task, by=owner)
    changed = fetch(owner, if_modified_since=last_modified)
    assert changed.status_code == 200
    assert Calendar.from_ical(changed.content).walk("VEVENT") == []
    assert changed["Last-Modified"] == "Sat, 01 Dec 2029 12:00:01 GMT"
    stored = Feed.objects.get(user=owner).modified_at
    assert stored is not None
    assert changed["Last-Modified"] == http_date(stored.timestamp())
    assert fetch(owner, if_modified_since=changed["Last-Modified"]).status_code == 304


def test_the_account_page_shows_the_feed_address(owner_client, owner, inbox, make_task):
    dated(make_task, inbox, "Pay rent")
    page = owner_client.get(ACCOUNT)
    url = f"http://testserver{feed_url(owner)}"
    html = page.content.decode()
    assert '<label for="calendar-feed">Calendar feed</label>' in html
    assert f'value="{url}"' in html
    assert "no-store" in page["Cache-Control"]
    assert Client().get(url).status_code == 200


def test_resetting_the_link_gives_a_new_address_and_the_old_one_404s(
    owner_client, owner, inbox, make_task
):
    dated(make_task, inbox, "Pay rent")
    old = feed_url(owner)
    response = owner_client.post(reverse("account_reset_calendar_feed"), follow=True)
    assert response.redirect_chain == [(ACCOUNT, 302)]
    new = feed_url(owner)
    assert new != old
    assert f'value="http://testserver{new}"' in response.content.decode()
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_resetting_the_link_needs_the_csrf_token(owner):
    old = feed_url(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("account_reset_calendar_feed")).status_code == 403
    assert feed_url(owner) == old
