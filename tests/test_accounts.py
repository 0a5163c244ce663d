from django.contrib.auth.models import User
from django.urls import reverse

from todos.models import TaskList

SIGNUP = reverse("signup")


def test_signup_creates_the_user_with_an_inbox_and_logs_them_in(client, db):
    page = client.get(SIGNUP).content.decode()
    for label in ("Username", "Password", "Password confirmation"):
        assert f">{label}</label>" in page
    assert ">Sign up</button>" in page
    response = client.post(
        SIGNUP,
        {
            "username": "newbie",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert [tl.name for tl in TaskList.objects.for_user(user)] == ["Inbox"]
    assert client.get("/").status_code == 200


def test_signup_rejects_weak_and_mismatched_passwords(client, db):
    weak = client.post(SIGNUP, {"username": "u1", "password1": "password", "password2": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    mismatch = client.post(
        SIGNUP, {"username": "u2", "password1": "a-long-passphrase-42", "password2": "other-42-xyz"}
    )
    assert "The two password fields didn" in mismatch.content.decode()
    assert not User.objects.exists()


def test_signup_refuses_a_taken_username(client, owner):
    response = client.post(
        SIGNUP,
        {
            "username": owner.username,
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert "A user with that username already exists." in response.content.decode()


def test_login_page_and_login(client, owner):
    page = client.get(reverse("login")).content.decode()
    assert ">Username</label>" in page and ">Password</label>" in page
    assert ">Log in</button>" in page
    response = client.post(
        reverse("login"), {"username": "olivia", "password": "owner-password-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused(client, owner):
    response = client.post(reverse("login"), {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_every_page_of_a_logged_in_user_has_a_log_out_button(owner_client, inbox, make_task):
    task = make_task(inbox)
    for url in ("/", reverse("todos:edit", args=[task.pk]), reverse("password_change")):
        assert ">Log out</button>" in owner_client.get(url).content.decode()


def test_logout_by_post_ends_the_session(owner_client):
    response = owner_client.post(reverse("logout"))
    assert response.status_code == 302
    assert owner_client.get("/").status_code == 302


def test_password_change(owner_client, owner):
    response = owner_client.post(
        reverse("password_change"),
        {
            "old_password": "owner-password-123",
            "new_password1": "a-brand-new-passphrase-7",
            "new_password2": "a-brand-new-passphrase-7",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-passphrase-7")


def test_logged_in_users_visiting_signup_go_to_their_tasks(owner_client):
    assert owner_client.get(SIGNUP)["Location"] == "/"
