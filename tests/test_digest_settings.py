"""The daily digest on the account page: turned on at an hour of the user's day, off, moved with
their time zone, each user's own; stored through reminders.services.set_digest."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from reminders.models import Digest

ACCOUNT = reverse("account")
DIGEST = reverse("account_digest")
AUCKLAND = "Pacific/Auckland"
HONOLULU = "Pacific/Honolulu"
# 22:00 UTC on the 7th of December: 11:00 on the 8th in Auckland (UTC+13), 12:00 on the 7th in
# Honolulu (UTC-10).
NOW = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now(monkeypatch: Any) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _digest_controls(html: str) -> tuple[bool, str]:
    """Whether the "Daily digest" box is checked, and the hour its select shows."""
    box = re.search(r'<input type="checkbox" name="digest"[^>]*>', html)
    select = re.search(r'<select name="digest_hour"[^>]*>(.*?)</select>', html, re.S)
    assert box and select, html
    chosen = re.findall(r'<option value="\d+"[^>]*selected>([^<]*)</option>', select.group(1))
    assert len(chosen) == 1, chosen
    return " checked" in box.group(0), chosen[0]


def test_the_digest_is_off_and_offered_at_seven_until_chosen(owner_client: Client):
    page = owner_client.get(ACCOUNT).content.decode()
    assert '<label for="id_digest">Daily digest</label>' in page
    assert '<label for="id_digest_hour">Digest hour</label>' in page
    select = re.search(r'<select name="digest_hour".*?</select>', page, re.S)
    assert select
    hours = re.findall(r"<option [^>]*>([^<]*)</option>", select.group(0))
    assert hours == [f"{hour:02d}:00" for hour in range(24)]
    assert _digest_controls(page) == (False, "07:00")
    assert "Off. On a day with nothing due it is not sent." in page


def test_turning_it_on_stores_the_next_such_hour_of_the_users_day(
    owner_client: Client, owner: User
):
    account_services.set_time_zone(user=owner, time_zone=AUCKLAND)
    response = owner_client.post(DIGEST, {"digest": "on", "digest_hour": "7"})
    assert (response.status_code, response["Location"]) == (302, ACCOUNT)
    digest = Digest.objects.get(user=owner)
    # 07:00 on the 8th is over in Auckland (11:00 there): 07:00 on the 9th, NZDT (UTC+13).
    assert digest.hour == 7
    assert digest.next_at == dt.datetime(2026, 12, 8, 18, 0, tzinfo=dt.UTC)
    page = owner_client.get(ACCOUNT).content.decode()
    assert "Your daily digest comes at 07:00 each day." in page
    assert "On: each day at 07:00 your time." in page
    assert _digest_controls(page) == (True, "07:00")


def test_another_hour_replaces_the_first(owner_client: Client, owner: User):
    owner_client.post(DIGEST, {"digest": "on", "digest_hour": "7"})
    owner_client.post(DIGEST, {"digest": "on", "digest_hour": "23"})
    digest = Digest.objects.get(user=owner)  # still one row
    assert (digest.hour, digest.next_at) == (23, dt.datetime(2026, 12, 7, 23, 0, tzinfo=dt.UTC))
    assert _digest_controls(owner_client.get(ACCOUNT).content.decode()) == (True, "23:00")


def test_turning_it_off_deletes_it(owner_client: Client, owner: User):
    owner_client.post(DIGEST, {"digest": "on", "digest_hour": "18"})
    # An unchecked box sends nothing; the hour still comes with the form.
    response = owner_client.post(DIGEST, {"digest_hour": "18"}, follow=True)
    assert not Digest.objects.filter(user=owner).exists()
    page = response.content.decode()
    assert "Your daily digest is off." in page
    assert _digest_controls(page) == (False, "07:00")


def test_changing_the_time_zone_moves_the_next_digest(owner_client: Client, owner: User):
    owner_client.post(DIGEST, {"digest": "on", "digest_hour": "7"})
    # UTC, the site's zone until one is chosen: 07:00 on the 8th.
    assert Digest.objects.get(user=owner).next_at == dt.datetime(2026, 12, 8, 7, 0, tzinfo=dt.UTC)
    owner_client.post(reverse("account_time_zone"), {"time_zone": HONOLULU})
    # 07:00 on the 8th in Honolulu (UTC-10).
    assert Digest.objects.get(user=owner).next_at == dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
    owner_client.post(reverse("account_time_zone"), {"time_zone": AUCKLAND})
    assert Digest.objects.get(user=owner).next_at == dt.datetime(2026, 12, 8, 18, 0, tzinfo=dt.UTC)
    assert Digest.objects.get(user=owner).hour == 7


def test_changing_the_time_zone_without_a_digest_makes_none(owner_client: Client, owner: User):
    owner_client.post(reverse("account_time_zone"), {"time_zone": AUCKLAND})
    assert not Digest.objects.exists()


@pytest.mark.parametrize("hour", ["24", "-1", "7.5", "seven", ""])
def test_an_hour_not_in_the_list_is_refused(owner_client: Client, owner: User, hour: str):
    response = owner_client.post(DIGEST, {"digest": "on", "digest_hour": hour}, follow=True)
    assert "Choose an hour from the list." in response.content.decode()
    assert not Digest.objects.exists()


def test_each_user_sets_only_their_own(
    owner_client: Client, owner: User, other_user: User, client_for: Any
):
    owner_client.post(DIGEST, {"digest": "on", "digest_hour": "7"})
    stranger = client_for(other_user)
    # The form has no say in whose digest it is: a user field is ignored.
    stranger.post(DIGEST, {"digest_hour": "9", "user": str(owner.pk)})
    stranger.post(DIGEST, {"digest": "on", "digest_hour": "9", "user": str(owner.pk)})
    assert Digest.objects.get(user=owner).hour == 7
    assert Digest.objects.get(user=other_user).hour == 9
    assert _digest_controls(stranger.get(ACCOUNT).content.decode()) == (True, "09:00")
    assert _digest_controls(owner_client.get(ACCOUNT).content.decode()) == (True, "07:00")


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client: Client, owner: User):
    response = client.post(DIGEST, {"digest": "on", "digest_hour": "7"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Digest.objects.exists()


@pytest.mark.parametrize("with_digest", [False, True], ids=["off", "on"])
def test_the_account_page_reads_the_digest_in_one_query(
    owner_client: Client, owner: User, with_digest: bool, django_assert_num_queries: Any
):
    if with_digest:
        owner_client.post(DIGEST, {"digest": "on", "digest_hour": "7"})
    owner_client.get(ACCOUNT)  # the first visit makes the calendar feed (three more queries)
    # The session with its user and preferences, then the page's own reads: two-factor, other
    # sessions, the digest's hour (one query, on or off), the calendar feed, e-mail addresses,
    # connected sign-on accounts and API tokens.
    with django_assert_num_queries(8):
        assert owner_client.get(ACCOUNT).status_code == 200
