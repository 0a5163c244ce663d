import datetime as dt

import pytest
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from todos import services
from todos.models import Task, TaskList, TaskState


def test_str_is_the_title_and_the_name(inbox, make_task):
    assert str(make_task(inbox, "Water plants")) == "Water plants"
    assert str(inbox) == "Inbox"


def test_owned_by_returns_only_the_owners_tasks(inbox, other_inbox, make_task, owner, other_user):
    mine = make_task(inbox, "mine")
    make_task(other_inbox, "theirs")
    assert list(Task.objects.owned_by(owner)) == [mine]
    assert list(TaskList.objects.owned_by(other_user)) == [other_inbox]


def test_open_completed_and_counts(inbox, make_task):
    make_task(inbox, "a")
    make_task(inbox, "b", done=True)
    make_task(inbox, "c")
    tasks = Task.objects.in_list(inbox)
    assert [t.title for t in tasks.open()] == ["a", "c"]
    assert [t.title for t in tasks.completed()] == ["b"]
    assert tasks.counts() == {"open": 2, "done": 1}


def test_in_state_maps_the_page_filters(inbox, make_task):
    make_task(inbox, "open")
    make_task(inbox, "done", done=True)
    tasks = Task.objects.in_list(inbox)
    assert [t.title for t in tasks.in_state(TaskState.ACTIVE)] == ["open"]
    assert [t.title for t in tasks.in_state(TaskState.COMPLETED)] == ["done"]
    assert [t.title for t in tasks.in_state(TaskState.ALL)] == ["open", "done"]


def test_search_matches_title_case_insensitively(inbox, make_task):
    make_task(inbox, "Buy MILK")
    make_task(inbox, "Call mum")
    assert [t.title for t in Task.objects.in_list(inbox).search("milk")] == ["Buy MILK"]
    assert Task.objects.in_list(inbox).search("").count() == 2


def test_overdue_is_open_and_due_before_today(inbox, make_task):
    today = dt.date(2026, 11, 29)
    late = make_task(inbox, "late", due_date=today - dt.timedelta(days=1))
    make_task(inbox, "late but done", due_date=today - dt.timedelta(days=1), done=True)
    make_task(inbox, "due today", due_date=today)
    assert list(Task.objects.in_list(inbox).overdue(today)) == [late]


def test_mark_done_and_mark_open_keep_completed_at_consistent(inbox, make_task):
    make_task(inbox, "a")
    make_task(inbox, "b")
    assert Task.objects.in_list(inbox).mark_done() == 2
    assert not Task.objects.filter(done=True, completed_at__isnull=True).exists()
    assert Task.objects.in_list(inbox).mark_open() == 2
    assert not Task.objects.filter(completed_at__isnull=False).exists()


def test_the_tally_gives_the_next_free_position(inbox, make_task):
    assert Task.objects.in_list(inbox).tally()["next_position"] == 0
    make_task(inbox, "a")
    make_task(inbox, "b", position=7)
    assert Task.objects.in_list(inbox).tally() == {
        "open_count": 2,
        "done_count": 0,
        "next_position": 8,
    }


def test_completed_before(inbox, make_task):
    old = make_task(inbox, "old", done=True, completed_at=timezone.now() - dt.timedelta(days=40))
    make_task(inbox, "new", done=True)
    cutoff = timezone.now() - dt.timedelta(days=30)
    assert list(Task.objects.completed_before(cutoff)) == [old]


def test_list_names_are_unique_per_owner(owner, other_user):
    TaskList.objects.create(owner=other_user, name="Work")
    TaskList.objects.create(owner=owner, name="Work")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskList.objects.create(owner=owner, name="Work")


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"title": "x", "priority": "urgent"},
        {"title": "x", "done": True, "completed_at": None},
        {"title": "x", "done": False, "completed_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
    ],
    ids=["empty-title", "unknown-priority", "done-without-time", "open-with-time"],
)
def test_database_constraints_reject_inconsistent_tasks(inbox, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(list=inbox, **fields)


def test_title_longer_than_200_characters_is_refused_by_strict_mode(inbox):
    with pytest.raises(DataError), transaction.atomic():
        Task.objects.create(list=inbox, title="x" * 201)


def test_create_inbox_creates_an_inbox_once(owner):
    TaskList.objects.owned_by(owner).delete()
    first = services.create_inbox(owner=owner)
    assert first.name == "Inbox"
    assert services.create_inbox(owner=owner) == first
    assert TaskList.objects.owned_by(owner).count() == 1


def test_one_visible_to_answers_as_visible_to_does(shared, owner, editor, viewer, other_user):
    """The API's written-out lookup of one list, against the lists query it stands for."""
    other = services.create_inbox(owner=other_user)
    for user in (owner, editor, viewer, other_user):
        for list_id in (shared.pk, other.pk, 0, 2**70):
            expected = TaskList.objects.visible_to(user).filter(pk=list_id).first()
            found = TaskList.objects.one_visible_to(user, list_id)
            if expected is None:
                assert found is None, (user, list_id)
                continue
            assert found is not None, (user, list_id)
            assert (found.pk, found.name, found.version, found.viewer_role) == (
                expected.pk,
                expected.name,
                expected.version,
                expected.viewer_role,
            )
            assert found.owner.get_username() == expected.owner.get_username()
            assert found.open_count == expected.open_count


def test_one_with_role_answers_as_with_role_does(
    shared, owner, editor, viewer, other_user, make_task
):
    """The API's written-out lookup of one task, against the query it stands for."""
    other = services.create_inbox(owner=other_user)
    mine = make_task(shared, "Mine", assignee=editor)
    plain = make_task(shared, "Plain")
    theirs = make_task(other, "Theirs")
    for user in (owner, editor, viewer, other_user):
        for task_id in (mine.pk, plain.pk, theirs.pk, 0, 2**70):
            tasks = Task.objects.with_role(user).select_related("assignee")
            expected = tasks.filter(pk=task_id).first()
            found = Task.objects.one_with_role(user, task_id)
            if expected is None:
                assert found is None, (user, task_id)
                continue
            assert found is not None, (user, task_id)
            assert (found.pk, found.title, found.version, found.viewer_role) == (
                expected.pk,
                expected.title,
                expected.version,
                expected.viewer_role,
            )
            assert found.updated_at == expected.updated_at
            if expected.assignee is None:
                assert found.assignee is None
            else:
                assert found.assignee is not None
                assert found.assignee.get_username() == expected.assignee.get_username()
