"""Today and Upcoming in the browser, by role and accessible name, with JavaScript off and on:
the header links (Today with its count), the list named "Tasks" with the tasks page's controls,
"Overdue", Upcoming's days and "Later", the time zone on the account page, and axe on the pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import Credentials, log_in, new_credentials, task_checkbox, task_item, tasks

pytestmark = pytest.mark.browser


@pytest.fixture
def dated(settings: Any) -> dict[str, Any]:
    """A user with an Inbox and a shared "Work" list holding tasks due at different days (the
    site's time zone, UTC, which is the user's until they choose one)."""
    from django.contrib.auth.models import User

    from tests.conftest import create_user
    from todos import services
    from todos.models import Role

    # Hashed as the server (with the default hashers) can check them, not with the tests' MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    creds: Credentials = new_credentials("days")
    user = create_user(creds.username, creds.password)
    colleague = create_user(new_credentials("boss").username, "boss-password-123")
    work = services.create_list(owner=colleague, name="Work")
    services.share_list(task_list=work, username=user.username, role=Role.EDITOR, by=colleague)
    inbox = user.task_lists.get()
    today = dt.datetime.now(dt.UTC).date()
    due = {
        "Pay rent": (inbox, today - dt.timedelta(days=2)),
        "Water plants": (inbox, today),
        "Send report": (work, today),
        "Book dentist": (inbox, today + dt.timedelta(days=1)),
        "Renew passport": (work, today + dt.timedelta(days=40)),
        "Someday": (inbox, None),
    }
    for title, (task_list, day) in due.items():
        task = services.add_task(task_list=task_list, title=title, by=colleague).task
        if day:
            services.edit_task(task=task, changes={"due_date": day}, by=colleague)
    assert User.objects.filter(username=user.username).exists()
    return {"creds": creds, "tomorrow": today + dt.timedelta(days=1)}


def _titles(page: Page) -> Any:
    return tasks(page).get_by_role("listitem").filter(has=page.get_by_role("checkbox"))


def test_today_lists_what_is_due_or_overdue_and_acts_like_the_tasks_page(
    page: Page, dated: dict[str, Any], js_enabled: bool, axe_audit: Any, same_document: Any
):
    log_in(page, dated["creds"])
    # Named "Today" whatever the count, which is shown in it and read as its description.
    today_link = page.get_by_role("link", name="Today", exact=True)
    expect(today_link).to_have_text(re.compile(r"^Today 3\b"))
    expect(today_link).to_have_accessible_description("3 due")
    today_link.click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(today_link).to_have_accessible_description("3 due")
    expect(today_link).to_have_attribute("aria-current", "page")

    # Overdue first, each marked; nothing open later, done or undated.
    expect(_titles(page)).to_have_count(3)
    expect(_titles(page).first).to_contain_text("Pay rent")
    expect(task_item(page, "Pay rent")).to_contain_text("Overdue")
    expect(task_item(page, "Water plants")).not_to_contain_text("Overdue")
    expect(task_item(page, "Send report")).to_contain_text("Work")
    for title in ("Book dentist", "Renew passport", "Someday"):
        expect(task_item(page, title)).to_have_count(0)
    for title in ("Pay rent", "Water plants", "Send report"):
        expect(tasks(page).get_by_role("link", name=f"Edit {title}")).to_be_visible()
        expect(tasks(page).get_by_role("button", name=f"Delete {title}")).to_be_visible()
    if js_enabled:
        assert axe_audit(page, "today") == []

    # Done: it leaves Today, and the page stays Today (a fragment swap with JavaScript).
    with same_document():
        task_checkbox(page, "Water plants").click()
        expect(task_item(page, "Water plants")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(today_link).to_have_accessible_description("2 due")
    expect(today_link).to_have_text(re.compile(r"^Today 2\b"))

    with same_document():
        tasks(page).get_by_role("button", name="Delete Send report").click()
        expect(task_item(page, "Send report")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/today/$"))

    tasks(page).get_by_role("link", name="Edit Pay rent").click()
    page.get_by_label("Title", exact=True).fill("Pay the rent")
    page.get_by_role("button", name="Save").click()
    expect(task_item(page, "Pay the rent")).to_contain_text("Overdue")
    expect(page).to_have_url(re.compile(r"/today/$"))


def test_upcoming_groups_the_next_days_then_later(
    page: Page, dated: dict[str, Any], js_enabled: bool, axe_audit: Any, same_document: Any
):
    log_in(page, dated["creds"])
    page.get_by_role("link", name="Upcoming").click()
    expect(page.get_by_role("heading", name="Upcoming", level=1)).to_be_visible()
    tomorrow = dated["tomorrow"]
    day = page.get_by_role("heading", name=f"{tomorrow:%A}, {tomorrow:%B} {tomorrow.day}")
    expect(day).to_be_visible()
    expect(page.get_by_role("heading", name="Later")).to_be_visible()
    expect(_titles(page)).to_have_count(2)
    expect(_titles(page).first).to_contain_text("Book dentist")
    expect(_titles(page).last).to_contain_text("Renew passport")
    if js_enabled:
        assert axe_audit(page, "upcoming") == []

    with same_document():
        task_checkbox(page, "Book dentist").click()
        expect(task_item(page, "Book dentist")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/upcoming/$"))
    expect(page.get_by_role("heading", name="Later")).to_be_visible()


def test_the_time_zone_is_chosen_on_the_account_page(page: Page, dated: dict[str, Any]):
    log_in(page, dated["creds"])
    page.get_by_role("link", name="Account", exact=True).click()
    zone = page.get_by_role("combobox", name="Time zone")
    expect(zone.locator("option:checked")).to_have_attribute("value", "UTC")
    zone.select_option("Pacific/Auckland")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Your time zone is now Pacific/Auckland.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value("Pacific/Auckland")
