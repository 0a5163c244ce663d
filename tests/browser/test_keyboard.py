"""Keyboard use: Enter adds, Escape cancels an edit, focus lands somewhere sensible after
each action, the edit control and a double-click edit in place, a skip link, visible focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import add_task, task_checkbox, task_item

pytestmark = pytest.mark.browser
js_only = pytest.mark.parametrize("js_enabled", [True], ids=["js"])


def _focus_outline(page: Page) -> str:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return `${s.outlineStyle} ${s.outlineWidth}`; }"
    )


def test_skip_link_is_the_first_tab_stop_and_focus_is_visible(user_page: Page):
    page = user_page
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown on focus, even if hidden otherwise
    style, width = _focus_outline(page).split()
    assert style != "none" and width != "0px", "the focused skip link shows no outline"

    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    # ...and stays there: nothing (e.g. a script reacting to the #main hash change) takes it away.
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    focused_style = _focus_outline(page)
    assert not focused_style.startswith("none"), f"no visible focus ring: {focused_style}"


@js_only
def test_enter_adds_and_focus_returns_to_the_new_task_box(user_page: Page, same_document):
    page = user_page
    box = page.get_by_role("textbox", name="New task")
    with same_document():
        box.fill("Typed and entered")
        box.press("Enter")
        expect(task_checkbox(page, "Typed and entered")).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value("")


@js_only
def test_after_a_delete_focus_moves_to_the_next_task(user_page: Page):
    page = user_page
    for title in ("Alpha", "Bravo", "Charlie"):
        add_task(page, title)
    delete = page.get_by_role("button", name="Delete Bravo", exact=True)
    delete.focus()
    page.keyboard.press("Enter")
    expect(task_item(page, "Bravo")).to_have_count(0)
    expect(task_checkbox(page, "Charlie")).to_be_focused()


@js_only
def test_after_a_toggle_focus_stays_on_the_checkbox(user_page: Page):
    page = user_page
    add_task(page, "Space bar task")
    checkbox = task_checkbox(page, "Space bar task")
    checkbox.focus()
    page.keyboard.press("Space")
    expect(page.get_by_text("0 items left")).to_be_visible()
    expect(task_checkbox(page, "Space bar task")).to_be_checked()
    expect(task_checkbox(page, "Space bar task")).to_be_focused()


@js_only
def test_escape_cancels_an_edit_in_place(user_page: Page, same_document):
    page = user_page
    add_task(page, "Stay as I am")
    with same_document():
        page.get_by_role("link", name="Edit Stay as I am", exact=True).click()
        title = page.get_by_label("Title", exact=True)
        expect(title).to_be_focused()
        title.fill("Changed my mind")
        title.press("Escape")
        expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(task_checkbox(page, "Stay as I am")).to_be_visible()
    expect(task_checkbox(page, "Changed my mind")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit Stay as I am", exact=True)).to_be_focused()


@js_only
def test_double_click_edits_the_title_in_place_and_enter_saves(user_page: Page, same_document):
    page = user_page
    add_task(page, "Dbl click me")
    with same_document():
        # The visible title (the other matches are the visually hidden parts of Edit/Delete).
        task_item(page, "Dbl click me").get_by_text("Dbl click me", exact=True).first.dblclick()
        title = page.get_by_label("Title", exact=True)
        expect(title).to_be_focused()
        title.fill("Renamed by keyboard")
        title.press("Enter")
        expect(task_checkbox(page, "Renamed by keyboard")).to_be_visible()
    expect(task_checkbox(page, "Dbl click me")).to_have_count(0)


@js_only
def test_emptying_a_title_asks_and_then_deletes(user_page: Page):
    page = user_page
    add_task(page, "Soon gone")
    add_task(page, "Stays")
    page.get_by_role("link", name="Edit Soon gone", exact=True).click()
    title = page.get_by_label("Title", exact=True)
    title.fill("")
    messages: list[str] = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    title.press("Enter")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(task_checkbox(page, "Stays")).to_be_visible()
    assert messages, "no confirmation was asked before deleting the task"
    assert "delete" in messages[0].lower()
    page.reload()
    expect(task_checkbox(page, "Soon gone")).to_have_count(0)
    expect(task_checkbox(page, "Stays")).to_be_visible()
