"""Reminders and the daily digest in the browser, by role and accessible name, with JavaScript
off and on: "Remind me" on the edit form, "Daily digest" and "Digest hour" on the account page,
the header's "Today" and "Upcoming" links by their exact names, and axe on both forms."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .helpers import Credentials, add_task, task_item
from .test_contract import edit_control

pytestmark = pytest.mark.browser


def _account(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()


def test_remind_me_is_saved_and_shown_again_on_the_edit_form(
    user_page: Page,
    credentials: Credentials,
    js_enabled: bool,
    axe_audit: Any,
    same_document: Any,
):
    from reminders.models import Reminder

    page = user_page
    add_task(page, "Call the plumber")
    with same_document():
        edit_control(page, "Call the plumber").click()
        # A date-time field: its role is textbox, as a plain text box's.
        remind_me = page.get_by_role("textbox", name="Remind me", exact=True)
        expect(remind_me).to_have_value("")
        expect(remind_me).to_have_attribute("type", "datetime-local")
        if js_enabled:
            assert axe_audit(page, "edit form with Remind me") == []
        remind_me.fill("2031-02-03T09:30")
        page.get_by_role("button", name="Save").click()
        expect(task_item(page, "Call the plumber")).to_be_visible()
    expect(page.get_by_text("Saved “Call the plumber”.")).to_be_visible()

    # The site's zone (UTC) is the new user's until they choose one.
    reminder = Reminder.objects.get(user__username=credentials.username)
    assert reminder.remind_at == dt.datetime(2031, 2, 3, 9, 30, tzinfo=dt.UTC)

    page.reload()
    href = edit_control(page, "Call the plumber").get_attribute("href")
    edit_control(page, "Call the plumber").click()
    expect(page.get_by_label("Remind me", exact=True)).to_have_value("2031-02-03T09:30")
    if js_enabled:
        # The edit page of its own, as it is without JavaScript (the form opened in the row
        # above), with the reminder filled in.
        assert href
        page.goto(href)
        expect(page.get_by_label("Remind me", exact=True)).to_have_value("2031-02-03T09:30")
        assert axe_audit(page, "edit page with Remind me") == []


def test_a_past_reminder_is_refused_with_a_message(user_page: Page, credentials: Credentials):
    from reminders.models import Reminder

    page = user_page
    add_task(page, "Too late")
    edit_control(page, "Too late").click()
    page.get_by_label("Remind me", exact=True).fill("2020-01-01T09:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose a time still to come for the reminder.")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_visible()  # still on the form
    assert not Reminder.objects.filter(user__username=credentials.username).exists()


def test_the_daily_digest_is_turned_on_at_an_hour_and_off_on_the_account_page(
    user_page: Page, credentials: Credentials, js_enabled: bool, axe_audit: Any
):
    from reminders.models import Digest

    page = user_page
    _account(page)
    digest = page.get_by_role("checkbox", name="Daily digest", exact=True)
    hour = page.get_by_role("combobox", name="Digest hour", exact=True)
    expect(digest).not_to_be_checked()
    expect(hour.locator("option:checked")).to_have_text("07:00")
    if js_enabled:
        assert axe_audit(page, "account with the digest") == []

    digest.check()
    hour.select_option(label="06:00")
    page.get_by_role("button", name="Save daily digest").click()
    expect(page.get_by_text("Your daily digest comes at 06:00 each day.")).to_be_visible()
    assert Digest.objects.get(user__username=credentials.username).hour == 6

    page.reload()
    expect(page.get_by_role("checkbox", name="Daily digest", exact=True)).to_be_checked()
    expect(hour.locator("option:checked")).to_have_text("06:00")
    # Still the page's other controls, by their names; each label names one control only.
    expect(page.get_by_role("combobox", name="Time zone", exact=True)).to_be_visible()
    for label in ("Time zone", "Calendar feed", "Daily digest", "Digest hour"):
        expect(page.get_by_label(label)).to_have_count(1)
    expect(page.get_by_role("textbox", name="Calendar feed", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Reset calendar link", exact=True)).to_be_visible()

    page.get_by_role("checkbox", name="Daily digest", exact=True).uncheck()
    page.get_by_role("button", name="Save daily digest").click()
    expect(page.get_by_text("Your daily digest is off.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Daily digest", exact=True)).not_to_be_checked()
    assert not Digest.objects.filter(user__username=credentials.username).exists()


def test_the_header_links_today_and_upcoming_by_their_exact_names(
    user_page: Page, same_document: Any
):
    page = user_page
    today = page.get_by_role("link", name="Today", exact=True)
    expect(today).to_be_visible()
    expect(today).to_have_text("Today")  # nothing due: no count
    add_task(page, "Due today")
    with same_document():
        edit_control(page, "Due today").click()
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        page.get_by_label("Due date", exact=True).fill(timezone.localdate().isoformat())
        page.get_by_role("button", name="Save").click()
        # The count comes with the saved page (with JavaScript, with the fragment's link).
        expect(today).to_have_text(re.compile(r"^Today 1\b"))
    expect(today).to_have_accessible_description("1 due")

    today.click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Today", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    page.get_by_role("link", name="Upcoming", exact=True).click()
    expect(page.get_by_role("heading", name="Upcoming", level=1)).to_be_visible()
