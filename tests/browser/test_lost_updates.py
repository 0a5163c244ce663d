"""Two people editing one task: the second save is refused with the first one's change shown,
with JavaScript off (a page) and on (the in-place form swapped, HTTP 409), and nothing is lost."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import add_task, task_checkbox

pytestmark = pytest.mark.browser


def test_saving_over_someone_elses_change_asks_again_and_overwrites_nothing(
    user_page: Page, same_document: Any
):
    from todos import services
    from todos.models import Task

    page = user_page
    add_task(page, "Buy milk")
    page.get_by_role("link", name="Edit Buy milk").click()
    title = page.get_by_role("textbox", name="Title")
    expect(title).to_have_value("Buy milk")

    # Meanwhile someone else saves the task.
    task = Task.objects.get(title="Buy milk")
    services.edit_task(task=task, changes={"title": "Buy oat milk"}, by=None)

    title.fill("Buy soy milk")
    with same_document():
        page.get_by_role("button", name="Save").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("saved this task while you were editing it")
    expect(alert).to_contain_text("Buy soy milk")  # what this user had typed, to enter again
    expect(page.get_by_role("textbox", name="Title")).to_have_value("Buy oat milk")
    assert Task.objects.get(pk=task.pk).title == "Buy oat milk"

    # Asked again at the saved version, the save goes through.
    page.get_by_role("textbox", name="Title").fill("Buy soy milk")
    page.get_by_role("button", name="Save").click()
    expect(task_checkbox(page, "Buy soy milk")).to_be_visible()
    assert Task.objects.get(pk=task.pk).title == "Buy soy milk"
