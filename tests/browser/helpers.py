"""UI helpers shared by the browser tests: they drive the app by the contract's names."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def new_credentials(prefix: str = "user") -> Credentials:
    return Credentials(f"{prefix}_{secrets.token_hex(4)}", f"Corr3ct-horse-{secrets.token_hex(6)}")


def sign_up(page: Any, creds: Credentials) -> None:
    """Sign up through the UI (the contract: the user is then logged in and lands on /)."""
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(creds.username)
    page.get_by_label("Password", exact=True).fill(creds.password)
    page.get_by_label("Password confirmation", exact=True).fill(creds.password)
    page.get_by_role("button", name="Sign up").click()


def log_in(page: Any, creds: Credentials) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(creds.username)
    page.get_by_label("Password", exact=True).fill(creds.password)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    # Let the logout land before anything else happens on (or to) the page.
    page.wait_for_url("**/accounts/login/")


def tasks(page: Any) -> Any:
    """The list named "Tasks"."""
    return page.get_by_role("list", name="Tasks")


def task_item(page: Any, title: str) -> Any:
    """The list item of the task called ``title`` ("Milk" does not match "Milkshake")."""
    return (
        tasks(page)
        .get_by_role("listitem")
        .filter(
            has=page.get_by_role("checkbox", name=re.compile(rf"(^|\W){re.escape(title)}($|\W)"))
        )
    )


def task_checkbox(page: Any, title: str) -> Any:
    return tasks(page).get_by_role("checkbox", name=re.compile(rf"(^|\W){re.escape(title)}($|\W)"))


def add_task(page: Any, title: str, *, press_enter: bool = False, wait: bool = True) -> None:
    """Type ``title`` into "New task" and submit it with "Add" (or Enter).

    With ``wait`` (the default) it returns once the task is in the list: with JavaScript on the
    request is asynchronous, and the response replaces the form, so typing the next title before
    it lands would be lost (see the report on the fragment swap).
    """
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name="New task")
    box.fill(title)
    if press_enter:
        box.press("Enter")
    else:
        page.get_by_role("button", name="Add", exact=True).click()
    if wait:
        expect(task_checkbox(page, title.strip()).first).to_be_attached()


def seed_tasks(username: str) -> dict[str, int]:
    """Realistic tasks for screenshots and audits, written with the ORM (committed: the browser
    tests run with ``transactional_db``, so gunicorn sees them). Returns title -> pk."""
    import datetime as dt

    from django.utils import timezone

    from todos import services
    from todos.models import Priority, Task, TaskList

    task_list = TaskList.objects.filter(owner__username=username).order_by("id").first()
    assert task_list is not None, f"{username} has no list (sign-up should create the Inbox)"
    today = timezone.localdate()
    rows = [
        (
            "Renew passport",
            Priority.HIGH,
            today - dt.timedelta(days=3),
            False,
            "Photo booth first.",
        ),
        ("Buy oat milk", Priority.NORMAL, None, False, ""),
        ("Book dentist appointment", Priority.LOW, today + dt.timedelta(days=5), False, ""),
        ("Reply to Sam's email about the quarterly report", Priority.NORMAL, today, False, ""),
        ("Water the plants", Priority.NORMAL, None, True, ""),
        (
            "Plan the weekend trip to the coast with friends, including trains, a place to stay "
            "and a rough budget",
            Priority.HIGH,
            today + dt.timedelta(days=12),
            False,
            "",
        ),
        ("File expenses", Priority.LOW, today - dt.timedelta(days=10), True, ""),
    ]
    now = timezone.now()
    created = {}
    for position, (title, priority, due, done, notes) in enumerate(rows):
        task = Task.objects.create(
            list=task_list,
            title=title,
            priority=priority,
            due_date=due,
            done=done,
            completed_at=now if done else None,
            notes=notes,
            position=position,
        )
        created[title] = task.pk
    services.recount_lists(list_ids=[task_list.pk])
    return created


class SameDocument:
    """``with same_document():`` around an action asserts that, with JavaScript on, it did not load
    a new document (the task actions never reload the page). A marker set on ``window`` before the
    action survives fragment swaps and ``history.pushState`` but not a navigation. With JavaScript
    off it checks nothing: plain form posts and redirects are the point there.

    Put the ``expect`` that waits for the action's result inside the block, so the check runs after
    the action has finished.
    """

    def __init__(self, page: Any, js_enabled: bool) -> None:
        self.page = page
        self.js_enabled = js_enabled

    def __call__(self) -> SameDocument:
        return self

    def __enter__(self) -> SameDocument:
        if self.js_enabled:
            self.page.evaluate("() => { window.__sameDocumentMarker = true; }")
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None and self.js_enabled:
            kept = self.page.evaluate("() => window.__sameDocumentMarker === true")
            assert kept, f"the page was reloaded (now at {self.page.url}); expected a fragment swap"
