"""How django-allauth creates accounts and sends mail here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.forms import BaseForm
from django.http import HttpRequest
from django.template.loader import render_to_string

from todo_site import security

from . import services


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.SIGNUP_OPEN)

    def save_user(
        self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True
    ) -> User:
        """allauth fills in the user (and hashes the password); accounts.services.create_account
        stores it with its Inbox, race-safe."""
        user = super().save_user(request, user, form, commit=False)
        return services.create_account(user=user) if commit else user

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count and notification mails name: the one our
        lockouts and limits count (behind the proxy, the address the proxy saw)."""
        return security.client_ip(request)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """Every message is plain text plus HTML: a message without its own HTML template gets
        its text set in the site's mail layout (account/email/layout.html). It is sent through
        accounts.services.send_mail: a relay that refuses never makes an error page."""
        message = super().render_mail(template_prefix, email, context, headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            html = render_to_string(
                "account/email/layout.html",
                {"subject": message.subject, "text": message.body},
            )
            message.attach_alternative(html, "text/html")
        message.connection = ServicesMailBackend()
        return message


class ServicesMailBackend(BaseEmailBackend):
    """Hands each message to accounts.services.send_mail (sent, or queued when the relay fails)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            services.send_mail(message=message)
        return len(email_messages)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """The identity provider decides who may have an account, also when DJANGO_SIGNUP_OPEN
        closes the site's own sign-up."""
        return True

    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: BaseForm | None = None
    ) -> User:
        """A first single sign-on makes an account: allauth stores the user with its connected
        account, as every account is stored (accounts.services.create_account)."""
        parent = super().save_user
        return services.create_account(
            user=sociallogin.user, save=lambda: parent(request, sociallogin, form)
        )
