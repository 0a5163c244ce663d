"""The calendar feed on the account page, in Chromium with JavaScript off and on: the text box
"Calendar feed" holds the feed's full address, which a calendar app (no cookies) reads; "Reset
calendar link" shows a new address, and the old one answers 404."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from typing import Any

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from .helpers import Credentials

pytestmark = pytest.mark.browser


def _status_and_body(url: str) -> tuple[int, bytes]:
    """What a calendar app gets: a plain GET, with no session."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's app
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_the_account_page_shows_the_feed_and_resets_its_link(
    user_page: Page, credentials: Credentials, app_url: str, axe_audit: Any, js_enabled: bool
):
    from django.contrib.auth.models import User

    from todos import services

    user = User.objects.get(username=credentials.username)
    task = services.add_task(task_list=user.task_lists.get(), title="Pay rent", by=user).task
    services.edit_task(task=task, changes={"due_date": dt.date(2030, 1, 1)}, by=user)

    page = user_page
    page.get_by_role("link", name="Account", exact=True).click()
    feed = page.get_by_role("textbox", name="Calendar feed")
    expect(feed).to_have_attribute("readonly", "")
    old = feed.input_value()
    assert old.startswith(f"{app_url}/calendar/") and old.endswith(".ics"), old
    status, body = _status_and_body(old)
    assert status == 200
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert event["SUMMARY"] == "Pay rent"
    if js_enabled:  # axe runs in the page's scripts
        assert axe_audit(page, "account with calendar feed") == []

    page.get_by_role("button", name="Reset calendar link").click()
    expect(page.get_by_text("Your calendar feed has a new address")).to_be_visible()
    new = page.get_by_role("textbox", name="Calendar feed").input_value()
    assert new != old
    assert new.startswith(f"{app_url}/calendar/"), new
    assert _status_and_body(old)[0] == 404
    assert _status_and_body(new)[0] == 200
