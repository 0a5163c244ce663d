"""Shared lists in the browser, by role and accessible name, with JavaScript off and on: the
owner's "Share" page, what an editor and a viewer see, "Leave list", assignees and "Assigned to
me", the list's "Activity", and axe on the new pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    Credentials,
    add_task,
    log_in,
    log_out,
    new_credentials,
    task_checkbox,
    task_item,
)

pytestmark = pytest.mark.browser

LIST_NAME = "Groceries"


def _user(prefix: str) -> Credentials:
    """A stored user (committed: the browser tests run with transactional_db)."""
    from tests.conftest import create_user

    creds = new_credentials(prefix)
    create_user(creds.username, creds.password)
    return creds


@pytest.fixture
def team(settings: Any) -> dict[str, Any]:
    """An owner with a "Groceries" list holding one task, and two users not yet in it."""
    from django.contrib.auth.models import User

    # Hashed as the server (with the default hashers) can check them, not with the tests' MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

    from todos import services

    people = {role: _user(role) for role in ("owner", "editor", "viewer")}
    owner = User.objects.get(username=people["owner"].username)
    groceries = services.create_list(owner=owner, name=LIST_NAME)
    services.add_task(task_list=groceries, title="Oat milk", by=owner)
    return {**people, "list": groceries}


def _share(page: Page, username: str, role: str) -> None:
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("combobox", name="Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Share", exact=True).click()


def _open_list(page: Page) -> None:
    page.get_by_role("navigation", name="Lists").get_by_role(
        "link", name=re.compile(LIST_NAME)
    ).click()
    expect(page.get_by_role("heading", name=LIST_NAME, level=1)).to_be_visible()


def test_the_owner_shares_and_each_role_sees_what_it_may_do(
    page: Page, team: dict[str, Any], js_enabled: bool, axe_audit: Any
):
    log_in(page, team["owner"])
    _open_list(page)
    page.get_by_role("link", name="Share", exact=True).click()
    expect(page).to_have_url(re.compile(r"/share/$"))

    _share(page, "nobody-at-all", "Can view")
    expect(page.get_by_text(re.compile("No user"))).to_be_visible()
    expect(page.get_by_role("list", name="Members")).to_have_count(0)

    editor, viewer = team["editor"].username, team["viewer"].username
    _share(page, editor, "Can edit")
    _share(page, viewer, "Can view")
    members = page.get_by_role("list", name="Members")
    for username, role in ((editor, "Can edit"), (viewer, "Can view")):
        item = members.get_by_role("listitem").filter(has_text=username)
        expect(item.locator(".member-role")).to_have_text(role)
        expect(item.get_by_role("button", name=f"Remove {username}")).to_be_visible()
        expect(item.get_by_role("combobox", name=f"Role for {username}")).to_be_visible()
    if js_enabled:
        assert axe_audit(page, "share") == []
    log_out(page)

    log_in(page, team["viewer"])
    _open_list(page)
    checkbox = task_checkbox(page, "Oat milk")
    expect(checkbox).to_be_disabled()
    expect(page.get_by_role("textbox", name="New task")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete Oat milk")).to_have_count(0)
    expect(page.get_by_role("link", name="Share", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Leave list")).to_be_visible()
    log_out(page)

    log_in(page, team["editor"])
    _open_list(page)
    expect(page.get_by_role("textbox", name="New task")).to_be_visible()
    expect(page.get_by_role("button", name="Delete Oat milk")).to_be_visible()
    expect(task_checkbox(page, "Oat milk")).to_be_enabled()
    expect(page.get_by_role("link", name="Share", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Leave list")).to_be_visible()


def test_the_owner_changes_a_role_and_removes_a_member(page: Page, team: dict[str, Any]):
    from todos import services
    from todos.models import Role

    viewer = team["viewer"].username
    services.share_list(task_list=team["list"], username=viewer, role=Role.VIEWER, by=None)
    log_in(page, team["owner"])
    page.goto(f"/lists/{team['list'].pk}/share/")
    members = page.get_by_role("list", name="Members")
    members.get_by_role("combobox", name=f"Role for {viewer}").select_option(label="Can edit")
    members.get_by_role("button", name=f"Change role for {viewer}").click()
    expect(members.get_by_role("listitem").locator(".member-role")).to_have_text("Can edit")
    members.get_by_role("button", name=f"Remove {viewer}").click()
    expect(page.get_by_role("list", name="Members")).to_have_count(0)


def test_the_owner_hands_the_list_over_only_once_they_confirm(
    page: Page, team: dict[str, Any], js_enabled: bool, axe_audit: Any
):
    from todos import services
    from todos.models import Role, TaskList

    editor = team["editor"].username
    services.share_list(task_list=team["list"], username=editor, role=Role.EDITOR, by=None)

    def owner() -> str:
        return TaskList.objects.get(pk=team["list"].pk).owner.get_username()

    log_in(page, team["owner"])
    page.goto(f"/lists/{team['list'].pk}/share/")
    make_owner = page.get_by_role("list", name="Members").get_by_role(
        "button", name=f"Make {editor} the owner"
    )
    make_owner.click()
    question = f"Make {editor} the owner of “{LIST_NAME}”?"
    expect(page.get_by_role("heading", name=question, level=1)).to_be_visible()
    if js_enabled:
        assert axe_audit(page, "transfer") == []
    assert owner() == team["owner"].username
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name=f"Share “{LIST_NAME}”", level=1)).to_be_visible()
    assert owner() == team["owner"].username

    make_owner.click()
    page.get_by_role("button", name=f"Make {editor} the owner").click()
    done = f"{editor} now owns “{LIST_NAME}”; you can still edit it."
    expect(page.get_by_text(done)).to_be_visible()
    assert owner() == editor


def test_a_member_leaves_the_list(page: Page, team: dict[str, Any]):
    from todos import services
    from todos.models import Role

    services.share_list(
        task_list=team["list"], username=team["viewer"].username, role=Role.VIEWER, by=None
    )
    log_in(page, team["viewer"])
    _open_list(page)
    page.get_by_role("button", name="Leave list").click()
    expect(page.get_by_text(f"You left “{LIST_NAME}”.")).to_be_visible()
    lists = page.get_by_role("navigation", name="Lists")
    expect(lists.get_by_role("link", name=re.compile(LIST_NAME))).to_have_count(0)


def test_the_owner_assigns_a_task_and_the_editor_finds_it_assigned_to_them(
    page: Page, team: dict[str, Any], js_enabled: bool, axe_audit: Any
):
    from todos import services
    from todos.models import Role

    editor = team["editor"].username
    services.share_list(task_list=team["list"], username=editor, role=Role.EDITOR, by=None)
    log_in(page, team["owner"])
    _open_list(page)
    page.get_by_role("link", name="Edit Oat milk").click()
    page.get_by_role("combobox", name="Assignee").select_option(label=editor)
    page.get_by_role("button", name="Save").click()
    expect(task_item(page, "Oat milk")).to_contain_text(editor)
    log_out(page)

    log_in(page, team["editor"])
    page.get_by_role("link", name="Assigned to me").click()
    expect(page.get_by_role("heading", name="Assigned to me")).to_be_visible()
    assigned = page.get_by_role("list", name="Tasks")
    expect(assigned.get_by_role("listitem")).to_have_count(1)
    expect(assigned.get_by_role("listitem")).to_contain_text("Oat milk")
    if js_enabled:
        assert axe_audit(page, "assigned to me") == []
    task_checkbox(page, "Oat milk").click()
    expect(page.get_by_text("Nothing is assigned to you.")).to_be_visible()


def test_the_activity_page_names_who_did_the_latest_action_and_the_task(
    page: Page, team: dict[str, Any], js_enabled: bool, axe_audit: Any
):
    from todos import services
    from todos.models import Role

    services.share_list(
        task_list=team["list"], username=team["editor"].username, role=Role.EDITOR, by=None
    )
    log_in(page, team["editor"])
    _open_list(page)
    add_task(page, "Bread")
    task_checkbox(page, "Oat milk").click()
    expect(task_checkbox(page, "Oat milk")).to_have_attribute("aria-checked", "true")
    page.get_by_role("link", name="Activity").click()
    activity = page.get_by_role("list", name="Activity")
    first = activity.get_by_role("listitem").first
    expect(first).to_contain_text(team["editor"].username)
    expect(first).to_contain_text("Oat milk")
    expect(activity.get_by_role("listitem").nth(1)).to_contain_text("Bread")
    if js_enabled:
        assert axe_audit(page, "activity") == []
