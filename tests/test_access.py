"""Who may use which route: the access-control matrix, generated from the URL conf.

Every route of the site is classified in ``ROUTES`` below; ``test_every_route_is_classified``
fails as soon as a route is added, renamed or removed without updating the table, so a new action
cannot ship without its access checks. From the table:

* every task or list route, with every method: a stranger (not in the list) gets 404 and nothing
  stored changes; an anonymous visitor is sent to the login page and nothing changes;
* the same routes for each role in a shared list (owner, editor, viewer): a role the route's
  ``need`` allows gets exactly the methods in the table (anything else is 405); any other role
  gets a 403 page for every method, and nothing stored changes;
* ids that do not exist (or overflow the id column) are a 404 for the owner too;
* the methods in the table are exactly those the view allows (anything else is 405, and
  changes nothing);
* every admin route (generated from the admin site, so newly registered models are covered) sends
  non-staff users and anonymous visitors to the admin login; a non-staff user cannot log in there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.support.db import stored_rows
from todos.models import Membership, Role

GET, POST = "GET", "POST"
EVERY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]

# Who may use a list or task route, by their role in the list.
VIEW, EDIT, OWN, LEAVE = "view", "edit", "own", "leave"
ALLOWED_ROLES = {
    VIEW: {"owner", "editor", "viewer"},
    EDIT: {"owner", "editor"},
    OWN: {"owner"},
    LEAVE: {"editor", "viewer"},
}
ROLES = ["owner", "editor", "viewer"]

# name -> (who may use it, the HTTP methods it allows, the role it needs)
#   public: anyone; login: a logged-in user, no object in the URL;
#   list / task: a logged-in user in that list (list_id / task_id), with a role the need allows.
ROUTES: dict[str, tuple[str, set[str], str | None]] = {
    # django-allauth: entrance pages (and the steps of a login or sign-up in progress)...
    "account_signup": ("public", {GET, POST}, None),
    "account_login": ("public", {GET, POST}, None),
    "account_logout": ("public", {GET, POST}, None),
    "account_inactive": ("public", {GET}, None),
    "account_email_verification_sent": ("public", {GET}, None),
    "account_confirm_email": ("public", {GET, POST}, None),
    "account_confirm_login_code": ("public", {GET, POST}, None),
    "account_reset_password": ("public", {GET, POST}, None),
    "account_reset_password_done": ("public", {GET}, None),
    "account_reset_password_from_key": ("public", {GET, POST}, None),
    "account_reset_password_from_key_done": ("public", {GET}, None),
    "mfa_authenticate": ("public", {GET, POST}, None),
    "socialaccount_login_cancelled": ("public", {GET}, None),
    "socialaccount_login_error": ("public", {GET}, None),
    "socialaccount_signup": ("public", {GET, POST}, None),
    "openid_connect_login": ("public", {GET, POST}, None),
    "openid_connect_callback": ("public", {GET, POST}, None),
    # ...allauth's redirects from older addresses...
    "<unnamed accounts/password_change/>": ("public", {GET}, None),
    "<unnamed accounts/social/login/cancelled/>": ("public", {GET}, None),
    "<unnamed accounts/social/login/error/>": ("public", {GET}, None),
    "<unnamed accounts/social/signup/>": ("public", {GET}, None),
    "<unnamed accounts/social/connections/>": ("public", {GET}, None),
    # The calendar feed: the secret token in its address is its credential (a 404 for any
    # other; tests/test_calendar_feed.py).
    "calendars:feed": ("public", {GET}, None),
    # ...and the account's own pages.
    "account": ("login", {GET}, None),
    "account_end_other_sessions": ("login", {POST}, None),
    "account_time_zone": ("login", {POST}, None),
    "account_digest": ("login", {POST}, None),
    "account_reset_calendar_feed": ("login", {POST}, None),
    "account_delete": ("login", {GET, POST}, None),
    "account_create_token": ("login", {POST}, None),
    "account_revoke_token": ("login", {POST}, None),
    "account_reauthenticate": ("login", {GET, POST}, None),
    "account_request_reauthentication_code": ("login", {GET, POST}, None),
    "account_confirm_reauthentication_code": ("login", {GET, POST}, None),
    "account_email": ("login", {GET, POST}, None),
    "account_change_password": ("login", {GET, POST}, None),
    "account_set_password": ("login", {GET, POST}, None),
    "mfa_index": ("login", {GET}, None),
    "mfa_reauthenticate": ("login", {GET, POST}, None),
    "mfa_activate_totp": ("login", {GET, POST}, None),
    "mfa_deactivate_totp": ("login", {GET, POST}, None),
    "mfa_view_recovery_codes": ("login", {GET}, None),
    "mfa_generate_recovery_codes": ("login", {GET, POST}, None),
    "mfa_download_recovery_codes": ("login", {GET}, None),
    "socialaccount_connections": ("login", {GET, POST}, None),
    "todos:index": ("login", {GET}, None),
    "todos:assigned": ("login", {GET}, None),
    "todos:today": ("login", {GET}, None),
    "todos:upcoming": ("login", {GET}, None),
    "todos:list-create": ("login", {POST}, None),
    "todos:list": ("list", {GET}, VIEW),
    "todos:list-edit": ("list", {GET, POST}, OWN),
    "todos:list-delete": ("list", {POST}, OWN),
    "todos:create": ("list", {POST}, EDIT),
    "todos:toggle-all": ("list", {POST}, EDIT),
    "todos:clear-completed": ("list", {POST}, EDIT),
    "todos:activity": ("list", {GET}, VIEW),
    "todos:share": ("list", {GET, POST}, OWN),
    "todos:member-role": ("list", {POST}, OWN),
    "todos:member-remove": ("list", {POST}, OWN),
    "todos:transfer": ("list", {GET, POST}, OWN),
    "todos:leave": ("list", {POST}, LEAVE),
    "todos:edit": ("task", {GET, POST}, EDIT),
    "todos:toggle": ("task", {POST}, EDIT),
    "todos:delete": ("task", {POST}, EDIT),
}
OBJECT_KWARG = {"list": "list_id", "task": "task_id"}
# The ids of routes of one's own account (a 404 for anyone else's, tested with their feature).
ACCOUNT_KWARGS = {"account_revoke_token": {"token_id": 1}}

# What another user posts: data that would change the object if the view let them in.
HOSTILE_DATA = {
    "todos:list-edit": {"name": "Taken over"},
    "todos:create": {"title": "Planted task"},
    "todos:edit": {"title": "Taken over", "notes": "x", "priority": "high"},
    "todos:share": {"username": "mallory", "role": "editor"},
}


def _walk(
    patterns: list[Any], namespace: str | None = None, prefix: str = ""
) -> Iterator[tuple[str | None, str, set[str]]]:
    """(namespaced name or None, route, kwarg names) for every pattern, includes flattened."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, route, set(getattr(pattern.pattern, "converters", {}))


URLCONF = list(_walk(get_resolver().url_patterns))
# The API has its own matrix, generated from its own routes (tests/test_api_access.py).
SITE_ROUTES = [entry for entry in URLCONF if not entry[1].startswith(("admin/", "api/"))]
ADMIN_ROUTES = [entry for entry in URLCONF if entry[1].startswith("admin/")]


def _object_cases(*, every_method: bool = False) -> Iterator[Any]:
    for name, (kind, methods, _need) in ROUTES.items():
        if kind in OBJECT_KWARG:
            for method in EVERY_METHOD if every_method else sorted(methods):
                yield pytest.param(name, method, id=f"{name}-{method}")


def _login_cases() -> Iterator[Any]:
    for name, (kind, methods, _need) in ROUTES.items():
        if kind != "public":
            for method in sorted(methods):
                yield pytest.param(name, method, id=f"{name}-{method}")


def _role_cases() -> Iterator[Any]:
    for name, (kind, _methods, _need) in ROUTES.items():
        if kind in OBJECT_KWARG:
            for role in ROLES:
                yield pytest.param(name, role, id=f"{name}-{role}")


OBJECT_CASES = list(_object_cases())
STRANGER_CASES = list(_object_cases(every_method=True))
LOGIN_CASES = list(_login_cases())
ROLE_CASES = list(_role_cases())


@pytest.fixture
def team_world(world: dict[str, Any], owner: User, django_user_model: Any) -> dict[str, Any]:
    """``world`` with the owner's Inbox shared with an editor and a viewer."""
    members = {}
    for role in (Role.EDITOR, Role.VIEWER):
        members[role.value] = django_user_model.objects.create_user(f"{role.value}-member")
        Membership.objects.create(task_list=world["list"], user=members[role.value], role=role)
    return {**world, "users": {"owner": owner, **members}}


def _url(name: str, world: dict[str, Any], pk: int | None = None) -> str:
    kind = ROUTES[name][0]
    if kind not in OBJECT_KWARG:
        return reverse(name, kwargs=ACCOUNT_KWARGS.get(name))
    return reverse(name, kwargs={OBJECT_KWARG[kind]: world[kind].pk if pk is None else pk})


def _send(client: Client, method: str, url: str, data: dict[str, str] | None = None) -> Any:
    if method == GET:
        return client.get(url)
    if method == POST:
        return client.post(url, data or {})
    return client.generic(method, url)


# The table matches the URL conf -------------------------------------------------------------


def test_every_route_is_classified():
    found = {name or f"<unnamed {route}>" for name, route, _kwargs in SITE_ROUTES}
    assert found == set(ROUTES), (
        f"classify new routes in ROUTES: {sorted(found - set(ROUTES))}; "
        f"remove gone ones: {sorted(set(ROUTES) - found)}"
    )


def test_object_routes_are_exactly_those_with_a_list_or_task_id():
    for name, route, kwargs in SITE_ROUTES:
        kind = ROUTES.get(name or "", ("unclassified", set(), None))[0]
        expected = {OBJECT_KWARG[kind]} if kind in OBJECT_KWARG else set()
        takes = kwargs & set(OBJECT_KWARG.values())
        assert takes == expected, f"{name} ({route}) takes {kwargs}, classified {kind!r}"


def test_every_object_route_says_which_role_it_needs():
    for name, (kind, _methods, need) in ROUTES.items():
        assert (need in ALLOWED_ROLES) == (kind in OBJECT_KWARG), name


# Our own views (Django's auth views are class-based and also take PUT as POST; not ours to pin).
@pytest.mark.parametrize("name", [name for name in ROUTES if name.startswith("todos:")])
def test_the_table_lists_exactly_the_methods_each_view_allows(name, team_world, client_for):
    world = team_world
    allowed = ROUTES[name][1]
    user = world["users"]["editor" if ROUTES[name][2] == LEAVE else "owner"]
    # Refused methods first: an allowed POST may delete the object, and then anything is a 404.
    for method in sorted(EVERY_METHOD, key=lambda method: method in allowed):
        client = client_for(user)  # fresh each time: a POST may log out or delete
        before = stored_rows()
        status = _send(client, method, _url(name, world)).status_code
        if method in allowed:
            assert status not in (403, 404, 405), f"{method} {name} should work for {user}"
        else:
            assert status == 405, f"{method} {name} answered {status}, the table says not allowed"
            assert stored_rows() == before, f"a refused {method} {name} changed rows"


# Roles in a shared list: owner, editor, viewer --------------------------------------------------


@pytest.mark.parametrize(("name", "role"), ROLE_CASES)
def test_each_role_gets_what_the_route_allows_it_and_a_403_otherwise(
    name, role, team_world, client_for
):
    world = team_world
    _kind, allowed, need = ROUTES[name]
    user = world["users"][role]
    if role in ALLOWED_ROLES[str(need)]:
        # Refused methods first, as above: an allowed POST may take the object away.
        for method in sorted(EVERY_METHOD, key=lambda method: method in allowed):
            status = _send(client_for(user), method, _url(name, world)).status_code
            if method in allowed:
                assert status not in (403, 404, 405), f"{role} {method} {name}: {status}"
            else:
                assert status == 405, f"{role} {method} {name}: {status}"
        return
    client = client_for(user)
    before = stored_rows()
    for method in EVERY_METHOD:
        response = _send(client, method, _url(name, world), HOSTILE_DATA.get(name))
        assert response.status_code == 403, f"{role} {method} {name}: {response.status_code}"
        assert "does not let you do that" in response.content.decode()
    assert stored_rows() == before


# A stranger, anonymous visitors, unknown ids --------------------------------------------------


@pytest.mark.parametrize(("name", "method"), STRANGER_CASES)
def test_another_user_gets_404_and_changes_nothing(
    name, method, team_world, client_for, other_user
):
    world = team_world
    client = client_for(other_user)
    before = stored_rows()
    response = _send(client, method, _url(name, world), HOSTILE_DATA.get(name))
    assert response.status_code == 404
    assert "Owner's secret" not in response.content.decode()
    assert stored_rows() == before


@pytest.mark.parametrize(("name", "method"), LOGIN_CASES)
def test_anonymous_visitors_are_sent_to_login_and_change_nothing(name, method, world):
    url = _url(name, world)
    before = stored_rows()
    response = _send(Client(), method, url, HOSTILE_DATA.get(name))
    assert response.status_code == 302
    # Some of allauth's views quote the slashes in `next` too: compare the parsed address.
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query) == {"next": [url]}
    assert stored_rows() == before


@pytest.mark.parametrize("unknown_id", [0, 999_999_999, 2**63, 10**30], ids=str)
@pytest.mark.parametrize(("name", "method"), OBJECT_CASES)
def test_unknown_or_overflowing_ids_are_404_for_the_owner(
    name, method, unknown_id, world, owner_client
):
    before = stored_rows()
    response = _send(owner_client, method, _url(name, world, unknown_id), HOSTILE_DATA.get(name))
    assert response.status_code == 404
    assert stored_rows() == before


# The admin ------------------------------------------------------------------------------------


def _admin_urls(world: dict[str, Any]) -> list[str]:
    sample = {
        "object_id": str(world["task"].pk),
        "id": str(world["task"].pk),
        "content_type_id": "1",
        "app_label": "todos",
    }
    urls = []
    for name, route, kwargs in ADMIN_ROUTES:
        if name == "admin:login":
            continue
        if name is None:
            continue  # the unnamed ones redirect to a named route or are the catch-all below
        kwargs = kwargs or ({"app_label"} if "app_label" in route else set())
        urls.append(reverse(name, kwargs={key: sample[key] for key in kwargs}))
    return [*urls, "/admin/no-such-page/"]


def test_the_admin_matrix_covers_every_registered_model():
    from django.contrib import admin

    names = {name for name, _route, _kwargs in ADMIN_ROUTES if name}
    for model in admin.site._registry:
        opts = model._meta
        assert f"admin:{opts.app_label}_{opts.model_name}_changelist" in names


@pytest.mark.parametrize("who", ["non-staff", "anonymous"])
def test_non_staff_users_cannot_reach_any_admin_page(who, world, client_for, owner):
    client = client_for(owner) if who == "non-staff" else Client()
    before = stored_rows()
    checked = 0
    for url in _admin_urls(world):
        for method in (GET, POST):
            response = _send(client, method, url)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            # The admin sends a non-staff user who logs out to its index, which asks to log in.
            target = reverse("admin:index") if url == reverse("admin:logout") else None
            assert response["Location"] == target or response["Location"].startswith(
                reverse("admin:login") + "?next="
            ), f"{method} {url} went to {response['Location']}"
            checked += 1
    assert stored_rows() == before
    assert checked >= 2 * 30, "the admin matrix lost its routes"
