"""Password reset and e-mail verification: what the pages say, what is mailed, what expires."""

from __future__ import annotations

import datetime as dt
import io
import re
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import OutgoingMail, Session
from tests.support.live import free_port
from tests.support.smtp import SmtpSink, the_link

RESET = reverse("account_reset_password")
LOGIN = reverse("account_login")
NEW_PASSWORD = "a-brand-new-passphrase-7"
LINK = re.compile(r"http://testserver(/\S+)")


@pytest.fixture
def owner_address(owner: User) -> EmailAddress:
    return EmailAddress.objects.create(
        user=owner, email="olivia@example.com", verified=True, primary=True
    )


def _link(mail: Any) -> str:
    (path,) = LINK.findall(mail.body)
    return str(path)


def test_the_reset_page_never_tells_whether_an_account_exists(client, owner_address, mailoutbox):
    page = client.get(RESET).content.decode()
    assert ">Email</label>" in page and ">Send reset link</button>" in page
    known = client.post(RESET, {"email": "OLIVIA@example.com"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.com"}, follow=True)
    assert (
        known.redirect_chain
        == unknown.redirect_chain
        == [(reverse("account_reset_password_done"), 302)]
    )
    assert known.content == unknown.content
    assert "If the address belongs to an account" in known.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["olivia@example.com"]
    assert mail.alternatives[0][1] == "text/html"


def test_a_reset_sets_the_password_and_ends_every_session_of_that_account(
    client, owner, owner_address, client_for, other_user, mailoutbox
):
    browsers = [client_for(owner), client_for(owner)]
    bystander = client_for(other_user)
    client.post(RESET, {"email": "olivia@example.com"})
    form = client.get(_link(mailoutbox[0]), follow=True)
    page = form.content.decode()
    for label in ("New password", "New password confirmation"):
        assert f">{label}</label>" in page
    assert ">Set password</button>" in page
    done = client.post(
        form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not Session.objects.filter(user=owner).exists()
    for browser in browsers:
        assert browser.get("/").status_code == 302
    assert bystander.get("/").status_code == 200


def test_reset_links_expire(settings, client, owner_address, mailoutbox):
    client.post(RESET, {"email": "olivia@example.com"})
    # The generator's clock (naive local time, as Django keeps it), past the timeout.
    later = PasswordResetTokenGenerator()._now() + dt.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 1
    )
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        page = client.get(_link(mailoutbox[0]), follow=True).content.decode()
    assert "<h1>Link expired</h1>" in page
    assert "New password" not in page


def test_reset_requests_are_limited_per_address(settings, owner_address, mailoutbox):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 2
    for email in ("olivia@example.com", "nobody@example.com"):
        assert Client().post(RESET, {"email": email}).status_code == 302
    refused = Client().post(RESET, {"email": "somebody@example.com"})
    assert refused.status_code == 429
    assert "Too many password reset requests from your address." in refused.content.decode()
    assert len(mailoutbox) == 1


def test_a_reset_mail_is_sent_once_per_cooldown(owner_address, mailoutbox):
    for email in ("olivia@example.com", "nobody@example.com"):
        assert Client().post(RESET, {"email": email}).status_code == 302
        # The same answer whether or not the address belongs to an account.
        assert Client().post(RESET, {"email": email.upper()}).status_code == 429
    assert len(mailoutbox) == 1


def test_mandatory_verification_holds_the_login_until_the_address_is_confirmed(
    settings, client, db, mailoutbox
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    password = "a-long-passphrase-42"
    fields = {"username": "newbie", "email": "newbie@example.com"}
    signup = client.post(
        reverse("account_signup"), {**fields, "password1": password, "password2": password}
    )
    assert signup["Location"] == reverse("account_email_verification_sent")
    assert client.get("/").status_code == 302  # not logged in
    held = Client().post(LOGIN, {"login": "newbie", "password": password})
    assert held["Location"] == reverse("account_email_verification_sent")
    confirm = _link(mailoutbox[-1])
    assert ">Confirm</button>" in client.get(confirm).content.decode()
    client.post(confirm)
    assert EmailAddress.objects.get(email="newbie@example.com").verified
    assert Client().post(LOGIN, {"login": "newbie", "password": password})["Location"] == "/"


# A borrowed session, and what the account's address is told ------------------------------------

EMAIL = reverse("account_email")
REAUTHENTICATE = reverse("account_reauthenticate")
PASSWORD = "owner-password-123"


def _notices(mailoutbox: list[Any], subject: str) -> list[Any]:
    """The mails to the owner's address with ``subject``, each text plus HTML."""
    notices = [m for m in mailoutbox if m.subject == f"[todo] {subject}"]
    for mail in notices:
        assert mail.to == ["olivia@example.com"]
        assert mail.alternatives[0][1] == "text/html"
    return notices


def test_a_borrowed_session_cannot_take_the_account_over(
    owner, owner_address, client_for, mailoutbox
):
    attacker = client_for(owner)  # the session cookie, not the password
    added = attacker.post(EMAIL, {"action_add": "", "email": "mallory@example.com"})
    assert added["Location"].startswith(REAUTHENTICATE)
    assert attacker.post(REAUTHENTICATE, {"password": "a-guess"}).status_code == 200
    assert not EmailAddress.objects.filter(email="mallory@example.com").exists()
    for action in ("action_primary", "action_remove"):
        asked = attacker.post(EMAIL, {action: "", "email": "olivia@example.com"})
        assert asked["Location"].startswith(REAUTHENTICATE)
    assert EmailAddress.objects.get(user=owner).primary
    # No reset link can reach the attacker, and the password stays the owner's.
    attacker.post(RESET, {"email": "mallory@example.com"})
    assert mailoutbox == []
    changed = attacker.post(
        reverse("account_change_password"),
        {"oldpassword": "a-guess", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_the_address_is_told_of_a_new_address(owner, owner_address, client_for, mailoutbox):
    client = client_for(owner)
    asked = client.post(EMAIL, {"action_add": "", "email": "olivia@work.example.com"})
    # The password again, then the suspended request goes through.
    client.post(asked["Location"], {"password": PASSWORD})
    assert EmailAddress.objects.filter(email="olivia@work.example.com", user=owner).exists()
    (notice,) = _notices(mailoutbox, "New email address")
    assert "olivia@work.example.com has been added to your account" in notice.body
    assert "127.0.0.1" in notice.body  # where the change came from
    assert [m.to for m in mailoutbox if m is not notice] == [["olivia@work.example.com"]]


def test_the_address_is_told_of_a_changed_and_of_a_reset_password(
    owner, owner_address, client_for, mailoutbox
):
    changed = client_for(owner).post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    (notice,) = _notices(mailoutbox, "Password Changed")
    assert "Your password has been changed." in notice.body
    client = Client()
    client.post(RESET, {"email": "olivia@example.com"})
    form = client.get(_link(mailoutbox[-1]), follow=True)
    client.post(form.redirect_chain[-1][0], {"password1": PASSWORD, "password2": PASSWORD})
    (notice,) = _notices(mailoutbox, "Password Reset")
    assert "Your password has been reset." in notice.body


# How much mail one user or one client address can make us send ---------------------------------


def _resend(client: Client, email: str) -> Any:
    return client.post(EMAIL, {"action_send": "", "email": email})


def test_a_verification_mail_is_resent_once_per_cooldown(
    owner, owner_address, client_for, mailoutbox
):
    EmailAddress.objects.create(user=owner, email="olivia@work.example.com")
    EmailAddress.objects.create(user=owner, email="olivia@home.example.com")
    client = client_for(owner)
    for _ in range(3):
        assert _resend(client, "olivia@work.example.com").status_code == 302
    assert _resend(client, "olivia@home.example.com").status_code == 302
    assert [m.to for m in mailoutbox] == [["olivia@work.example.com"], ["olivia@home.example.com"]]


def test_the_email_page_is_capped_per_user(owner, owner_address, client_for, other_user):
    client = client_for(owner)
    for _ in range(10):  # ACCOUNT_RATE_LIMITS["manage_email"]: 10 a minute
        assert _resend(client, "olivia@example.com").status_code == 302
    refused = _resend(client, "olivia@example.com")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert "Content-Security-Policy" in refused
    assert _resend(client_for(other_user), "mallory@example.com").status_code == 302


def test_verification_mails_are_capped_per_client_address(
    behind_tls_proxy, settings, db, mailoutbox
):
    def resend_from(client_address: str, number: int) -> None:
        user = User.objects.create_user(f"user{number}")
        email = f"user{number}@example.com"
        EmailAddress.objects.create(user=user, email=email, primary=True)
        client = Client()
        client.force_login(user)
        client.post(
            EMAIL,
            {"action_send": "", "email": email},
            secure=True,
            HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_address}",  # the right-most is the proxy's
        )

    cap = 2 * settings.SIGNUP_ADDRESS_LIMIT
    for number in range(cap + 1):
        resend_from("198.51.100.7", number)
    assert len(mailoutbox) == cap
    resend_from("203.0.113.9", cap + 1)
    assert len(mailoutbox) == cap + 1


@pytest.fixture(params=["refusing", "down", "silent"])
def failing_relay(request: Any, settings: Any, relay: SmtpSink) -> Iterator[SmtpSink]:
    """A relay that answers every message with a temporary refusal, one nobody listens on, or one
    that takes the connection and never says a word (the send gives up after EMAIL_TIMEOUT)."""
    if request.param == "refusing":
        relay.refusal = "451 4.3.0 Try again later"
        yield relay
    elif request.param == "down":
        settings.EMAIL_PORT = free_port()
        yield relay
    else:
        with socket.create_server(("127.0.0.1", 0)) as silent:
            settings.EMAIL_PORT = silent.getsockname()[1]
            settings.EMAIL_TIMEOUT = 1
            yield relay


def _queued_to(address: str) -> list[OutgoingMail]:
    return [queued for queued in OutgoingMail.objects.all() if address in queued.message["to"]]


def test_a_failing_relay_changes_nothing_the_reset_page_says(failing_relay, owner_address, caplog):
    known = Client().post(RESET, {"email": "olivia@example.com"}, follow=True)
    unknown = Client().post(RESET, {"email": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    assert "If the address belongs to an account" in known.content.decode()
    (queued,) = OutgoingMail.objects.all()
    assert queued.message["to"] == ["olivia@example.com"]
    assert "/accounts/password/reset/key/" in queued.message["body"]
    (logged,) = [record for record in caplog.records if record.levelname == "ERROR"]
    assert "olivia@example.com" in logged.getMessage()
    assert "queued" in logged.getMessage()


def test_a_sign_up_lands_where_it_always_does_when_the_relay_fails(client, failing_relay, db):
    password = "a-long-passphrase-42"
    fields = {"username": "newbie", "email": "newbie@example.com"}
    signup = client.post(
        reverse("account_signup"), {**fields, "password1": password, "password2": password}
    )
    assert signup.status_code == 302
    assert signup["Location"] == reverse("todos:index")
    assert client.get(signup["Location"]).status_code == 200  # logged in, with an Inbox
    (queued,) = _queued_to("newbie@example.com")
    assert "/accounts/confirm-email/" in queued.message["body"]


def test_queued_mail_goes_out_once_the_relay_takes_it(relay, owner_address):
    relay.refusal = "451 4.3.0 Try again later"
    Client().post(RESET, {"email": "olivia@example.com"})
    with pytest.raises(CommandError, match="1 message"):
        call_command("send_queued_mail", stdout=io.StringIO())
    (queued,) = OutgoingMail.objects.all()
    assert queued.attempts == 2
    assert "451" in queued.last_error
    assert relay.sent_to("olivia@example.com") == []

    relay.refusal = None
    out = io.StringIO()
    call_command("send_queued_mail", stdout=out)
    assert "Sent 1 queued message(s); 0 still queued." in out.getvalue()
    link = the_link(relay.wait_for(to="olivia@example.com"), "/accounts/password/reset/key/")
    assert ">Set password</button>" in Client().get(link, follow=True).content.decode()
    assert not OutgoingMail.objects.exists()


def test_the_admin_lists_queued_mail_without_its_links(failing_relay, owner_address, admin_client):
    Client().post(RESET, {"email": "olivia@example.com"})
    queued = OutgoingMail.objects.get()
    changelist = admin_client.get(reverse("admin:accounts_outgoingmail_changelist"))
    assert "olivia@example.com" in changelist.content.decode()
    detail = admin_client.get(reverse("admin:accounts_outgoingmail_change", args=[queued.pk]))
    assert detail.status_code == 200
    assert "/accounts/password/reset/key/" not in detail.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_queued_message_once(relay):
    addresses = [f"person{n}@example.com" for n in range(20)]
    relay.refusal = "451 4.3.0 Try again later"
    for address in addresses:
        account_services.send_mail(message=EmailMessage("Hello", "Hi.", None, [address]))
    assert OutgoingMail.objects.count() == len(addresses)
    relay.refusal = None
    barrier = threading.Barrier(2)

    def run() -> tuple[int, int]:
        barrier.wait(timeout=10)
        try:
            return account_services.send_queued_mail()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run(), range(2)))
    assert sum(sent for sent, _failed in results) == len(addresses)
    assert [len(relay.sent_to(address)) for address in addresses] == [1] * len(addresses)
    assert not OutgoingMail.objects.exists()
