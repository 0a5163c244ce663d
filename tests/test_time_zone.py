"""Each user's time zone: chosen on the account page, stored through accounts.services, loaded
with the session, and what "today" means on their pages."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Preferences, time_zone_of
from tests.conftest import create_user
from todos import services
from todos.models import Role

ACCOUNT = reverse("account")
TODAY = reverse("todos:today")
UPCOMING = reverse("todos:upcoming")
AUCKLAND = "Pacific/Auckland"
HONOLULU = "Pacific/Honolulu"


def _selected_zone(html: str) -> str:
    select = re.search(r'<select name="time_zone"[^>]*>(.*?)</select>', html, re.S)
    assert select, html
    chosen = re.findall(r'<option value="([^"]+)"[^>]*selected', select.group(1))
    assert len(chosen) == 1, chosen
    return chosen[0]


def test_a_new_account_has_the_sites_time_zone(settings, owner):
    settings.TIME_ZONE = "Europe/Berlin"
    assert Preferences.objects.filter(user=owner).exists()  # made with the account
    assert time_zone_of(owner) == "Europe/Berlin"


def test_an_account_without_preferences_has_the_sites_time_zone(settings, owner):
    Preferences.objects.filter(user=owner).delete()
    owner.refresh_from_db()
    settings.TIME_ZONE = "America/Chicago"
    assert time_zone_of(owner) == "America/Chicago"
    account_services.set_time_zone(user=owner, time_zone=AUCKLAND)  # made when first chosen
    assert Preferences.objects.get(user=owner).time_zone == AUCKLAND


def test_the_account_page_chooses_the_time_zone(owner_client, owner):
    page = owner_client.get(ACCOUNT).content.decode()
    assert re.search(r'<label for="id_time_zone">Time zone</label>', page)
    assert _selected_zone(page) == "UTC"
    select = re.search(r'<select name="time_zone".*?</select>', page, re.DOTALL)
    assert select and select[0].count("<option ") == len(zoneinfo.available_timezones())
    response = owner_client.post(reverse("account_time_zone"), {"time_zone": AUCKLAND})
    assert (response.status_code, response["Location"]) == (302, ACCOUNT)
    page = owner_client.get(ACCOUNT).content.decode()
    assert _selected_zone(page) == AUCKLAND
    assert "Your time zone is now Pacific/Auckland." in page
    assert Preferences.objects.get(user=owner).time_zone == AUCKLAND


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "UTC" * 30])
def test_an_unknown_time_zone_is_refused(owner_client, owner, zone):
    response = owner_client.post(reverse("account_time_zone"), {"time_zone": zone}, follow=True)
    assert "Choose a time zone from the list." in response.content.decode()
    assert Preferences.objects.get(user=owner).time_zone == ""  # not chosen: the site's
    with pytest.raises(ValidationError) as refused:
        account_services.set_time_zone(user=owner, time_zone=zone)
    assert refused.value.code == "invalid_time_zone"


@pytest.fixture
def far_apart(monkeypatch: Any, shared, owner, editor) -> dict[str, Any]:
    """Auckland's owner and Honolulu's editor share a list at 22:00 UTC: the 8th of December in
    Auckland (11:00, UTC+13) and still the 7th in Honolulu (12:00, UTC-10)."""
    moment = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    account_services.set_time_zone(user=owner, time_zone=AUCKLAND)
    account_services.set_time_zone(user=editor, time_zone=HONOLULU)
    return {"list": shared, "seventh": dt.date(2026, 12, 7), "eighth": dt.date(2026, 12, 8)}


def test_two_users_far_apart_each_see_today_as_their_own(far_apart, owner, editor, client_for):
    shared = far_apart["list"]
    services.add_task(task_list=shared, title="Due on the 7th", by=owner)
    services.add_task(task_list=shared, title="Due on the 8th", by=owner)
    for title, day in (("Due on the 7th", "seventh"), ("Due on the 8th", "eighth")):
        task = shared.tasks.get(title=title)
        services.edit_task(task=task, changes={"due_date": far_apart[day]}, by=owner)
    auckland, honolulu = client_for(owner), client_for(editor)

    # Auckland's today is the 8th: the 7th's task is overdue there, the 8th's is due today.
    today = auckland.get(TODAY).content.decode()
    assert re.search(r"Due on the 7th.*?Overdue", today, re.S)
    assert "Due on the 8th" in today
    assert "Due on the 8th" not in auckland.get(UPCOMING).content.decode()
    list_page = auckland.get(shared.get_absolute_url()).content.decode()
    assert list_page.count("Overdue") == 1

    # Honolulu's today is the 7th: that task is due today, not overdue; the 8th's is upcoming.
    today = honolulu.get(TODAY).content.decode()
    assert "Due on the 7th" in today
    assert "Overdue" not in today
    assert "Due on the 8th" not in today
    assert "Due on the 8th" in honolulu.get(UPCOMING).content.decode()
    assert "Overdue" not in honolulu.get(shared.get_absolute_url()).content.decode()


def test_a_kept_page_is_kept_per_time_zone(far_apart, owner, editor, client_for):
    """The owner's page, kept while they are in Auckland, is not served once they move to
    Honolulu: the zone and the day are part of its key."""
    shared = far_apart["list"]
    task = services.add_task(task_list=shared, title="Due on the 7th", by=owner).task
    services.edit_task(task=task, changes={"due_date": far_apart["seventh"]}, by=owner)
    client = client_for(owner)
    assert "Overdue" in client.get(shared.get_absolute_url()).content.decode()
    account_services.set_time_zone(user=owner, time_zone=HONOLULU)
    assert "Overdue" not in client.get(shared.get_absolute_url()).content.decode()


def test_a_member_sees_the_shared_list_in_their_own_zone(far_apart, viewer, client_for):
    """A viewer who never chose a zone sees the site's (UTC: the 7th at 22:00)."""
    shared = far_apart["list"]
    task = services.add_task(task_list=shared, title="Due on the 7th", by=shared.owner).task
    services.edit_task(task=task, changes={"due_date": far_apart["seventh"]}, by=shared.owner)
    assert shared.memberships.get(user=viewer).role == Role.VIEWER
    today = client_for(viewer).get(TODAY).content.decode()
    assert "Due on the 7th" in today
    assert "Overdue" not in today


def test_a_user_made_without_create_account_is_served_in_the_sites_zone(client, settings, db):
    user = create_user("nora", "nora-password-123")
    Preferences.objects.filter(user=user).delete()
    client.force_login(user)
    assert client.get(TODAY).status_code == 200


def test_the_time_zone_is_loaded_with_the_session_at_no_query(
    far_apart, owner, client_for, django_assert_num_queries
):
    shared = far_apart["list"]
    task = services.add_task(task_list=shared, title="Due on the 7th", by=owner).task
    services.edit_task(task=task, changes={"due_date": far_apart["seventh"]}, by=owner)
    client = client_for(owner)
    # The session with its user and their preferences (one query), the lists, one page of tasks,
    # the Today count: none for the time zone.
    with django_assert_num_queries(4):
        page = client.get(shared.get_absolute_url()).content.decode()
    assert "Overdue" in page  # in Auckland, where the 7th is over
