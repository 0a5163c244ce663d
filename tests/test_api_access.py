"""Who may use which API operation: the access matrix, generated from the API's own routes.

Every operation of the OpenAPI document is classified in ``OPERATIONS``;
``test_every_operation_is_classified`` fails as soon as one is added, renamed or removed without
updating the table. From the table, for every operation of a list or task, each caller (the
list's owner, editor and viewer, and a stranger) with each way in (the browser's session, a
read-only token, a read-and-write token):

* a read-only token that writes gets 403 (``read_only_token``), whoever it belongs to;
* otherwise a stranger gets 404, whatever the operation;
* a role the operation's ``need`` does not allow gets 403 (``forbidden``);
* anyone else gets their 2xx;

and every refused call changes nothing stored. Anonymous calls get 401 everywhere; ids that do
not exist (or overflow the column) are 404 for the owner too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from api import services
from api.models import Scope
from api.views import api
from tests.support.db import stored_rows
from tests.test_access import ALLOWED_ROLES, EDIT, LEAVE, OWN, VIEW
from todos.models import Membership, Role

ROOT = "/api/v1"

# (method, path) -> the role it needs in the path's list or task (None: any logged-in caller)
OPERATIONS: dict[tuple[str, str], str | None] = {
    ("GET", "/lists"): None,
    ("POST", "/lists"): None,
    ("GET", "/assigned"): None,
    ("GET", "/today"): None,
    ("GET", "/upcoming"): None,
    ("GET", "/lists/{list_id}"): VIEW,
    ("PATCH", "/lists/{list_id}"): OWN,
    ("DELETE", "/lists/{list_id}"): OWN,
    ("GET", "/lists/{list_id}/tasks"): VIEW,
    ("POST", "/lists/{list_id}/tasks"): EDIT,
    ("GET", "/lists/{list_id}/activity"): VIEW,
    ("GET", "/lists/{list_id}/members"): VIEW,
    ("POST", "/lists/{list_id}/members"): OWN,
    ("PATCH", "/lists/{list_id}/members/{username}"): OWN,
    ("DELETE", "/lists/{list_id}/members/{username}"): OWN,
    ("POST", "/lists/{list_id}/leave"): LEAVE,
    ("GET", "/tasks/{task_id}"): VIEW,
    ("PATCH", "/tasks/{task_id}"): EDIT,
    ("DELETE", "/tasks/{task_id}"): EDIT,
    ("POST", "/tasks/{task_id}/complete"): EDIT,
    ("POST", "/tasks/{task_id}/reopen"): EDIT,
    # The caller's own reminder: set where the task may be edited, as on its edit page.
    ("GET", "/tasks/{task_id}/reminder"): EDIT,
    ("PUT", "/tasks/{task_id}/reminder"): EDIT,
    ("DELETE", "/tasks/{task_id}/reminder"): EDIT,
}
# What a caller sends: data that would change the object if the API let them in.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/lists"): {"name": "Planted"},
    ("PATCH", "/lists/{list_id}"): {"name": "Taken over"},
    ("POST", "/lists/{list_id}/tasks"): {"title": "Planted task"},
    ("POST", "/lists/{list_id}/members"): {"username": "mallory", "role": "editor"},
    ("PATCH", "/lists/{list_id}/members/{username}"): {"role": "editor"},
    ("PATCH", "/tasks/{task_id}"): {"title": "Taken over", "priority": "low"},
    ("PUT", "/tasks/{task_id}/reminder"): {"remind_at": "2099-01-01T09:00:00+00:00"},
}
CALLERS = ["owner", "editor", "viewer", "stranger"]
WAYS_IN = ["session", "read token", "read-write token"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _schema_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path.removeprefix(ROOT)) for path, item in paths.items() for method in item
    }


OBJECT_OPERATIONS = [operation for operation, need in OPERATIONS.items() if need]


@pytest.fixture
def team(world: dict[str, Any], owner: User, other_user: User) -> dict[str, Any]:
    """``world`` with the owner's Inbox shared with an editor and a viewer."""
    users = {"owner": owner, "stranger": other_user}
    for role in (Role.EDITOR, Role.VIEWER):
        users[role.value] = User.objects.create_user(f"{role.value}-member")
        Membership.objects.create(task_list=world["list"], user=users[role.value], role=role)
    return {**world, "users": users}


@pytest.fixture
def caller(team: dict[str, Any], client_for: Callable[[User], Client]) -> Callable[..., Client]:
    def make(who: str, way_in: str) -> Client:
        user = team["users"][who]
        if way_in == "session":
            return client_for(user)
        scope = Scope.READ if way_in == "read token" else Scope.READ_WRITE
        secret = services.create_token(user=user, name="matrix", scope=scope).secret
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


def _url(path: str, team: dict[str, Any], object_id: int | None = None) -> str:
    values = {
        "list_id": team["list"].pk if object_id is None else object_id,
        "task_id": team["task"].pk if object_id is None else object_id,
        "username": team["users"]["viewer"].username,
    }
    return ROOT + path.format(**values)


def _call(client: Client, operation: tuple[str, str], url: str) -> Any:
    method, _path = operation
    body = BODIES.get(operation)
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


def _problem(response: Any) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return str(response.json()["type"]).removeprefix("urn:todo:problem:")


def test_every_operation_is_classified():
    found = _schema_operations()
    assert found == set(OPERATIONS), (
        f"classify new operations: {sorted(found - set(OPERATIONS))}; "
        f"remove gone ones: {sorted(set(OPERATIONS) - found)}"
    )


def _expected(operation: tuple[str, str], who: str, way_in: str) -> str:
    """ "ok", or the problem's code."""
    if operation[0] in WRITES and way_in == "read token":
        return "read_only_token"
    if who == "stranger":
        return "not_found"
    return "ok" if who in ALLOWED_ROLES[str(OPERATIONS[operation])] else "forbidden"


@pytest.mark.parametrize("way_in", WAYS_IN)
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize(
    "operation", OBJECT_OPERATIONS, ids=[f"{method} {path}" for method, path in OBJECT_OPERATIONS]
)
def test_each_caller_gets_what_their_role_and_token_allow(operation, who, way_in, team, caller):
    client = caller(who, way_in)
    before = stored_rows()
    response = _call(client, operation, _url(operation[1], team))
    expected = _expected(operation, who, way_in)
    if expected == "ok":
        assert 200 <= response.status_code < 300, (response.status_code, response.content)
        return
    assert _problem(response) == expected
    assert (
        response.status_code
        == {"read_only_token": 403, "forbidden": 403, "not_found": 404}[expected]
    )
    assert "Owner's secret" not in response.content.decode()
    assert stored_rows() == before


@pytest.mark.parametrize("way_in", WAYS_IN)
@pytest.mark.parametrize("operation", [op for op, need in OPERATIONS.items() if not need])
def test_the_operations_without_an_object_work_for_every_caller(operation, way_in, caller):
    response = _call(caller("stranger", way_in), operation, ROOT + operation[1])
    if operation[0] in WRITES and way_in == "read token":
        assert _problem(response) == "read_only_token"
    else:
        assert 200 <= response.status_code < 300, response.content


@pytest.mark.parametrize("operation", list(OPERATIONS), ids=" ".join)
def test_anonymous_callers_get_401_and_change_nothing(operation, team):
    before = stored_rows()
    response = _call(Client(), operation, _url(operation[1], team))
    assert response.status_code == 401
    assert _problem(response) == "unauthenticated"
    assert stored_rows() == before


@pytest.mark.parametrize("unknown_id", [0, 999_999_999, 2**63, 10**30], ids=str)
@pytest.mark.parametrize(
    "operation", OBJECT_OPERATIONS, ids=[f"{method} {path}" for method, path in OBJECT_OPERATIONS]
)
def test_unknown_or_overflowing_ids_are_404_for_the_owner(operation, unknown_id, team, caller):
    before = stored_rows()
    response = _call(
        caller("owner", "read-write token"), operation, _url(operation[1], team, unknown_id)
    )
    assert response.status_code == 404, response.content
    assert stored_rows() == before
