"""Lists: creating, renaming and deleting them, and hostile names.

Who may open or change a list, route by route, is in test_access.py.
"""

from __future__ import annotations

from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.db import row_changes, stored_rows, unchanged
from tests.support.hostile import (
    PROFILE,
    check_response,
    hostile_next,
    hostile_value,
    maybe,
    rolled_back,
)
from todos.models import Task, TaskList

INDEX = reverse("todos:index")


def test_creating_renaming_and_deleting_lists(owner_client, owner, inbox, make_task):
    response = owner_client.post(reverse("todos:list-create"), {"name": "Work"})
    work = TaskList.objects.get(owner=owner, name="Work")
    assert response["Location"] == work.get_absolute_url()
    make_task(work, "Report")
    page = owner_client.get(work.get_absolute_url()).content.decode()
    assert "Report" in page and 'aria-current="page">Work' in page

    owner_client.post(reverse("todos:list-edit", args=[work.pk]), {"name": "Office"})
    work.refresh_from_db()
    assert work.name == "Office"

    owner_client.post(reverse("todos:list-delete", args=[work.pk]))
    assert list(TaskList.objects.owned_by(owner)) == [inbox]
    assert not Task.objects.filter(title="Report").exists()


def test_duplicate_list_names_are_refused(owner_client, owner, inbox):
    response = owner_client.post(reverse("todos:list-create"), {"name": "Inbox"}, follow=True)
    assert "You already have a list called “Inbox”." in response.content.decode()
    assert TaskList.objects.owned_by(owner).count() == 1


def test_the_last_list_cannot_be_deleted(owner_client, owner, inbox):
    response = owner_client.post(reverse("todos:list-delete", args=[inbox.pk]), follow=True)
    assert "You need at least one list" in response.content.decode()
    assert TaskList.objects.owned_by(owner).count() == 1


def test_a_user_without_lists_is_offered_a_new_list_and_the_get_writes_nothing(
    client_for, django_user_model
):
    user = django_user_model.objects.create_user("newbie", password="x")
    response = client_for(user).get(INDEX)
    assert response.status_code == 200
    assert "No lists yet" in response.content.decode()
    assert 'id="new-list-name"' in response.content.decode()
    assert not TaskList.objects.owned_by(user).exists()


def test_lists_named_by_different_emoji_are_different_lists(owner_client, world):
    # utf8mb4_unicode_ci weighs every emoji the same ("🦄" = "🐍"); our collation does not.
    for name in ("🦄", "🐍"):
        owner_client.post(reverse("todos:list-create"), {"name": name})
    assert set(TaskList.objects.filter(name__in=["🦄", "🐍"]).values_list("name", flat=True)) == {
        "🦄",
        "🐍",
    }


@settings(PROFILE)
@given(name=hostile_value, next_url=maybe(st.none(), hostile_next))
@example(name="\x7f", next_url="a\x00b")
def test_create_list(owner_post, world, name, next_url):
    with rolled_back():
        before = stored_rows()
        response = owner_post(reverse("todos:list-create"), {"name": name, "next": next_url})
        check_response(response)
        assert response.status_code == 302
        changes = row_changes(before, stored_rows())
        added = changes["list"]["added"]
        if added:
            (new_id,) = added
            assert response["Location"] == reverse("todos:list", args=[new_id])
            new = TaskList.objects.get(pk=new_id)
            assert new.name and new.name == new.name.strip() and len(new.name) <= 100
            added.clear()
        assert unchanged(changes), changes


@settings(PROFILE)
@given(name=hostile_value)
@example(name="\u200b")
def test_rename_list(owner_post, world, name):
    work = world["work"]
    with rolled_back():
        before = stored_rows()
        response = owner_post(reverse("todos:list-edit", args=[work.pk]), {"name": name})
        check_response(response)
        changes = row_changes(before, stored_rows())
        if response.status_code == 302:
            changes["list"]["changed"].discard(work.pk)
            work.refresh_from_db()
            assert work.name and "\x00" not in work.name
        else:
            assert response.status_code == 400
        assert unchanged(changes), changes
