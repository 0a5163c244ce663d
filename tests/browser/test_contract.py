"""The UI contract, driven as a screen-reader user would: by role and accessible name.

Every test runs twice, with JavaScript off and on (the ``js_enabled`` fixture). Assertions use
``expect``, which waits, so they hold whether an action reloads the page or swaps a fragment in.
With JavaScript on, ``same_document()`` also asserts that the task actions (add, toggle, toggle-all,
clear completed, delete, edit, filter, search) did not reload the page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .helpers import (
    add_task,
    log_in,
    log_out,
    new_credentials,
    sign_up,
    task_checkbox,
    task_item,
    tasks,
)

pytestmark = pytest.mark.browser


def counter(page: Page):
    return page.get_by_text(re.compile(r"^\s*\d+ items? left\s*$"))


def edit_control(page: Page, title: str):
    name = f"Edit {title}"
    return page.get_by_role("link", name=name, exact=True).or_(
        page.get_by_role("button", name=name, exact=True)
    )


def expect_titles(page: Page, *titles: str) -> None:
    """The Tasks list shows exactly these tasks (by their checkboxes), in any order."""
    expect(tasks(page).get_by_role("checkbox")).to_have_count(len(titles))
    for title in titles:
        expect(task_checkbox(page, title)).to_be_visible()


# --- accounts ---------------------------------------------------------------------------------
def test_sign_up_logs_the_user_in_and_lands_on_the_tasks_page(page: Page, app_url: str):
    creds = new_credentials()
    sign_up(page, creds)

    expect(page).to_have_url(f"{app_url}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("textbox", name="New task")).to_be_visible()
    expect(tasks(page)).to_be_attached()


def test_sign_up_with_mismatched_passwords_shows_an_error(page: Page, app_url: str):
    creds = new_credentials()
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(creds.username)
    page.get_by_label("Password", exact=True).fill(creds.password)
    page.get_by_label("Password confirmation", exact=True).fill(creds.password + "x")
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.get_by_text(re.compile("password", re.I)).first).to_be_visible()


@pytest.mark.parametrize("js_enabled", [False], ids=["nojs"])
@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/accounts/login/", ["Username", "Password"]),
        ("/accounts/signup/", ["Username", "Password", "Password confirmation"]),
    ],
    ids=["login", "signup"],
)
def test_form_fields_have_exactly_the_contract_names(page: Page, app_url: str, path, names):
    page.goto(path)
    for name in names:
        # exact: what a screen reader announces, and get_by_label("Password") alone would be
        # ambiguous on the sign-up page ("Password" is part of "Password confirmation").
        expect(page.get_by_label(name, exact=True)).to_be_visible()


def test_anonymous_visitor_is_sent_to_the_login_page(page: Page, app_url: str):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def test_log_out_then_log_in_again(user_page: Page, credentials, app_url: str):
    page = user_page
    add_task(page, "Survives a session")
    expect(task_checkbox(page, "Survives a session")).to_be_visible()

    log_out(page)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    log_in(page, credentials)
    expect(page).to_have_url(f"{app_url}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect_titles(page, "Survives a session")


def test_log_in_with_a_wrong_password_is_refused(user_page: Page, credentials, app_url: str):
    log_out(user_page)
    page = user_page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(credentials.username)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_log_out_button_is_on_every_page_of_a_logged_in_user(user_page: Page):
    page = user_page
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    add_task(page, "Something to edit")
    edit_control(page, "Something to edit").click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


# --- adding -----------------------------------------------------------------------------------
def test_add_with_the_button_and_with_enter(user_page: Page, same_document):
    page = user_page
    expect(counter(page)).to_have_text("0 items left")

    with same_document():
        add_task(page, "Buy milk")
        expect_titles(page, "Buy milk")
    expect(page.get_by_role("textbox", name="New task")).to_have_value("")
    expect(counter(page)).to_have_text("1 item left")

    with same_document():
        add_task(page, "Walk the dog", press_enter=True)
        expect_titles(page, "Buy milk", "Walk the dog")
    expect(counter(page)).to_have_text("2 items left")
    expect(task_checkbox(page, "Buy milk")).not_to_be_checked()
    expect(page.get_by_role("button", name="Delete Walk the dog", exact=True)).to_be_visible()
    expect(edit_control(page, "Walk the dog")).to_be_visible()


def test_the_title_is_trimmed(user_page: Page):
    page = user_page
    add_task(page, "   Padded title   ")
    expect(edit_control(page, "Padded title")).to_be_visible()
    expect(page.get_by_role("button", name="Delete Padded title", exact=True)).to_be_visible()


@pytest.mark.parametrize("blank", ["", "    "], ids=["empty", "whitespace"])
def test_an_empty_title_is_rejected_with_a_visible_error(
    user_page: Page, blank: str, same_document
):
    page = user_page
    add_task(page, "Already here")
    expect_titles(page, "Already here")

    box = page.get_by_role("textbox", name="New task")
    with same_document():
        box.fill(blank)
        page.get_by_role("button", name="Add", exact=True).click()
        native_message = box.evaluate("el => el.validationMessage")
        if not native_message:  # no `required` attribute: the server must answer with an error
            alert = page.get_by_role("alert")
            expect(alert).to_be_visible()
            expect(alert).to_contain_text(re.compile(r"\w"))
    expect_titles(page, "Already here")
    expect(counter(page)).to_have_text("1 item left")


def test_a_title_longer_than_200_characters_is_not_stored(user_page: Page):
    page = user_page
    page.get_by_role("textbox", name="New task").fill("x" * 201)
    page.get_by_role("button", name="Add", exact=True).click()

    # Either the box stops at 200 characters (maxlength) or the server refuses the title.
    checkboxes = tasks(page).get_by_role("checkbox")
    expect(checkboxes.or_(page.get_by_role("alert")).first).to_be_visible()
    for i in range(checkboxes.count()):
        assert len(checkboxes.nth(i).inner_text().strip()) <= 200


# --- toggling ---------------------------------------------------------------------------------
def test_toggle_marks_a_task_done_and_open_again(user_page: Page, same_document):
    page = user_page
    add_task(page, "Water plants")
    add_task(page, "Pay rent")
    expect(counter(page)).to_have_text("2 items left")

    with same_document():
        task_checkbox(page, "Water plants").click()
        expect(task_checkbox(page, "Water plants")).to_be_checked()
        expect(counter(page)).to_have_text("1 item left")
    expect(task_checkbox(page, "Pay rent")).not_to_be_checked()

    page.reload()
    expect(task_checkbox(page, "Water plants")).to_be_checked()

    task_checkbox(page, "Water plants").click()
    expect(task_checkbox(page, "Water plants")).not_to_be_checked()
    expect(counter(page)).to_have_text("2 items left")


def test_mark_all_as_complete_completes_all_then_reopens_all(user_page: Page, same_document):
    page = user_page
    for title in ("One", "Two", "Three"):
        add_task(page, title)
    task_checkbox(page, "Two").click()
    expect(counter(page)).to_have_text("2 items left")

    mark_all = page.get_by_role("checkbox", name="Mark all as complete").or_(
        page.get_by_role("button", name="Mark all as complete")
    )
    with same_document():
        mark_all.click()
        expect(counter(page)).to_have_text("0 items left")
    for title in ("One", "Two", "Three"):
        expect(task_checkbox(page, title)).to_be_checked()
    expect(mark_all).to_have_attribute("aria-checked", "true")

    mark_all.click()
    for title in ("One", "Two", "Three"):
        expect(task_checkbox(page, title)).not_to_be_checked()
    expect(counter(page)).to_have_text("3 items left")


def test_clear_completed_removes_only_done_tasks(user_page: Page, same_document):
    page = user_page
    add_task(page, "Keep me")
    add_task(page, "Finished job")
    clear = page.get_by_role("button", name="Clear completed")
    expect(clear).to_have_count(0)  # shown only when some task is done

    task_checkbox(page, "Finished job").click()
    expect(clear).to_be_visible()
    with same_document():
        clear.click()
        expect_titles(page, "Keep me")
    expect(clear).to_have_count(0)
    expect(counter(page)).to_have_text("1 item left")


def test_delete_removes_the_task(user_page: Page, same_document):
    page = user_page
    add_task(page, "Delete this one")
    add_task(page, "Not this one")

    with same_document():
        page.get_by_role("button", name="Delete Delete this one", exact=True).click()
        expect_titles(page, "Not this one")
    expect(counter(page)).to_have_text("1 item left")
    page.reload()
    expect_titles(page, "Not this one")


# --- editing ----------------------------------------------------------------------------------
def test_edit_changes_title_notes_due_date_and_priority(
    user_page: Page, app_url: str, same_document
):
    page = user_page
    add_task(page, "Draft title")
    with same_document():
        edit_control(page, "Draft title").click()
        # With JS on the form opens inside the task's row, among checkboxes named by their titles:
        # exact names keep "Title" from also matching a task called "Draft title".
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        page.get_by_label("Title", exact=True).fill("Final title")
        page.get_by_label("Notes", exact=True).fill("Line one\nLine two")
        page.get_by_label("Due date", exact=True).fill("2031-02-03")
        page.get_by_label("Priority", exact=True).select_option(label="High")
        page.get_by_role("button", name="Save").click()
        expect_titles(page, "Final title")

    expect(page).not_to_have_url(re.compile(r"/edit/?$"))
    expect(edit_control(page, "Draft title")).to_have_count(0)

    edit_control(page, "Final title").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Final title")
    expect(page.get_by_label("Notes", exact=True)).to_have_value("Line one\nLine two")
    expect(page.get_by_label("Due date", exact=True)).to_have_value("2031-02-03")
    expect(page.get_by_label("Priority", exact=True).locator("option:checked")).to_have_text("High")


def test_edit_rejects_an_empty_title(user_page: Page):
    page = user_page
    add_task(page, "Keep my name")
    edit_control(page, "Keep my name").click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    page.get_by_label("Title", exact=True).fill("   ")
    page.once("dialog", lambda dialog: dialog.dismiss())  # JS asks "Delete this task?": keep it
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("button", name="Save")).to_be_visible()  # still on the form
    page.goto("/")
    expect_titles(page, "Keep my name")


def test_completing_a_task_repeating_daily_due_today_moves_it_to_tomorrow(
    user_page: Page, same_document
):
    page = user_page
    today = timezone.localdate()  # the app's zone: the same settings
    tomorrow = today + dt.timedelta(days=1)
    add_task(page, "Water plants")
    with same_document():
        edit_control(page, "Water plants").click()
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        page.get_by_label("Due date", exact=True).fill(today.isoformat())
        repeat = page.get_by_label("Repeat", exact=True)
        for option in ("Does not repeat", "Daily", "Weekly", "Monthly", "Yearly"):
            expect(repeat.get_by_role("option", name=option, exact=True)).to_be_attached()
        repeat.select_option(label="Daily")
        page.get_by_role("button", name="Save").click()
        expect(task_item(page, "Water plants")).to_contain_text("Repeats daily")

        task_checkbox(page, "Water plants").click()

        row = task_item(page, "Water plants")
        expect(row.locator(f'time[datetime="{tomorrow.isoformat()}"]')).to_have_text(
            f"Due {tomorrow:%b} {tomorrow.day}"
        )
        expect(task_checkbox(page, "Water plants")).not_to_be_checked()
        expect_titles(page, "Water plants")
    page.reload()
    expect(task_checkbox(page, "Water plants")).not_to_be_checked()
    expect(task_item(page, "Water plants")).to_contain_text(f"Due {tomorrow:%b} {tomorrow.day}")


# --- filtering, counting, searching -------------------------------------------------------------
def test_filters_are_in_the_url_and_survive_a_reload(user_page: Page, same_document):
    page = user_page
    add_task(page, "Open task")
    add_task(page, "Closed task")
    task_checkbox(page, "Closed task").click()
    expect(task_checkbox(page, "Closed task")).to_be_checked()
    expect(counter(page)).to_have_text("1 item left")  # the server's answer, not just the script's

    with same_document():
        page.get_by_role("link", name="Active", exact=True).click()
        expect_titles(page, "Open task")
    active_url = page.url
    page.reload()
    expect(page).to_have_url(active_url)
    expect_titles(page, "Open task")

    with same_document():
        page.get_by_role("link", name="Completed", exact=True).click()
        expect_titles(page, "Closed task")
    assert page.url != active_url
    page.reload()
    expect_titles(page, "Closed task")

    page.get_by_role("link", name="All", exact=True).click()
    expect_titles(page, "Open task", "Closed task")
    page.reload()
    expect_titles(page, "Open task", "Closed task")


def test_the_counter_counts_open_tasks_in_the_current_list(user_page: Page):
    page = user_page
    expect(counter(page)).to_have_text("0 items left")
    add_task(page, "First")
    expect(counter(page)).to_have_text("1 item left")
    add_task(page, "Second")
    add_task(page, "Third")
    expect(counter(page)).to_have_text("3 items left")
    task_checkbox(page, "Second").click()
    expect(counter(page)).to_have_text("2 items left")
    # Still counted under a filter that hides open tasks.
    page.get_by_role("link", name="Completed", exact=True).click()
    expect(counter(page)).to_have_text("2 items left")


def test_search_filters_by_title(user_page: Page, same_document):
    page = user_page
    for title in ("Buy bread", "Buy cheese", "Call grandma"):
        add_task(page, title)

    search = page.get_by_role("searchbox", name="Search tasks").or_(
        page.get_by_role("textbox", name="Search tasks")
    )
    with same_document():
        search.fill("buy")
        search.press("Enter")
        expect_titles(page, "Buy bread", "Buy cheese")
    expect(page).to_have_url(re.compile(r"[?&]q=buy"))
    page.reload()
    expect_titles(page, "Buy bread", "Buy cheese")

    search.fill("grandma")
    search.press("Enter")
    expect_titles(page, "Call grandma")

    search.fill("")
    search.press("Enter")
    expect_titles(page, "Buy bread", "Buy cheese", "Call grandma")


# --- other users --------------------------------------------------------------------------------
def test_another_users_task_is_invisible_and_answers_404(user_page: Page, app_url: str):
    page = user_page
    add_task(page, "Alice private plan")
    edit_href = edit_control(page, "Alice private plan").get_attribute("href")
    log_out(page)

    sign_up(page, new_credentials("bob"))
    expect(page).to_have_url(f"{app_url}/")
    expect(task_checkbox(page, "Alice private plan")).to_have_count(0)
    expect(page.get_by_text("Alice private plan")).to_have_count(0)

    search = page.get_by_role("searchbox", name="Search tasks").or_(
        page.get_by_role("textbox", name="Search tasks")
    )
    search.fill("Alice")
    search.press("Enter")
    expect(tasks(page).get_by_role("checkbox")).to_have_count(0)

    if edit_href:  # a link (not a JS-only button): the URL must answer 404 to someone else
        response = page.goto(edit_href)
        assert response is not None
        assert response.status == 404


@pytest.mark.parametrize("js_enabled", [True], ids=["js"])
def test_playwright_check_and_uncheck_work_on_a_task_with_javascript(user_page: Page):
    """With JS on, the script flips aria-checked at once, so Playwright's check()/uncheck() (which
    verify the state changed on the clicked element) work. With JS off they cannot: the click
    submits the form and the new state only exists in the next document."""
    page = user_page
    add_task(page, "Checked by API")
    task_checkbox(page, "Checked by API").check()
    expect(counter(page)).to_have_text("0 items left")
    task_checkbox(page, "Checked by API").uncheck()
    expect(counter(page)).to_have_text("1 item left")
