"""django-allauth's account forms, with this site's labels and username rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.models import Authenticator
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from api import services as api_services
from api.models import Scope
from reminders.models import Digest
from todo_site import security

from . import services
from .models import time_zone_choices
from .services import username_taken


class LoginForm(allauth_forms.LoginForm):
    """One box for the username or the e-mail address, labelled "Username" as it always was."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username"
        self.fields["login"].widget.attrs.update(autocomplete="username", placeholder="")
        # The page links "Forgot password?" itself.
        self.fields["password"].help_text = ""


class SignUpForm(allauth_forms.SignupForm):
    """Usernames are NFKC-normalised and must differ from every existing one as the database
    compares them: case- and accent-insensitively (utf8mb4_unicode_520_ci, see
    todo_site.database), so "José", "jose" and "JOSE" are one name, and so are "Straße" and
    "strasse"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password2"].label = "Password confirmation"
        email = self.fields["email"]
        email.label = "Email"
        if not email.required:
            email.help_text = "Optional. It lets you reset a forgotten password."
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)

    def clean_username(self) -> str:
        username = User.normalize_username(self.cleaned_data["username"])
        # `=` under the column's collation, exactly as the unique index compares (allauth's
        # check uses iexact, a LIKE, which compares character by character).
        if User.objects.filter(username=username).exists():
            raise username_taken(User())
        self.cleaned_data["username"] = username
        return str(super().clean_username())


class AddEmailForm(allauth_forms.AddEmailForm):
    """A new address for the account (allauth asks for the password again first); the addresses
    it already had are told, as allauth tells them of a changed password or a removed address."""

    def save(self, request: HttpRequest) -> EmailAddress:
        told = list(
            EmailAddress.objects.filter(user=self.user)
            .filter(Q(verified=True) | Q(primary=True))
            .values_list("email", flat=True)
        )
        added: EmailAddress = super().save(request)
        if added.pk:
            for email in told:
                get_adapter(request).send_notification_mail(
                    "account/email/email_added", self.user, {"added_email": added.email}, email
                )
        return added


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    """The current password is checked as a login is (todo_site.security.check_current_password):
    guessing it here counts towards the same lockouts."""

    def clean_oldpassword(self) -> str:
        password: str = self.cleaned_data.get("oldpassword", "")
        if not security.check_current_password(context.request, self.user, password):
            raise get_adapter().validation_error("enter_current_password")
        return password


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email"
        self.fields["email"].widget.attrs.pop("placeholder", None)


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    """The new password from a reset link; setting it logs the account out everywhere, since
    whoever forgot the password may not be the only one who had it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "New password"
        self.fields["password2"].label = "New password confirmation"
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)

    def save(self) -> None:
        super().save()
        services.end_sessions(user=self.user)


class CodeForm(mfa_forms.AuthenticateForm):
    """The second step of a login: a code from the app or a recovery code. django-axes counts
    a wrong code as a failed login of that username from that address, and refuses codes while
    that pair is locked out, as it refuses passwords."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.pop("placeholder", None)

    def _credentials(self) -> dict[str, str]:
        return {"username": self.user.get_username()}

    def clean_code(self) -> str:
        request = context.request
        if AxesProxyHandler.is_locked(request, self._credentials()):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
            raise ValidationError("Too many failed attempts.", code="locked_out")
        return str(super().clean_code())

    def _emit_authentication_failed(self, authenticator: Authenticator) -> None:
        super()._emit_authentication_failed(authenticator)
        user_login_failed.send(
            sender=type(self), credentials=self._credentials(), request=context.request
        )


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own login checks the password only: an account with two-factor
    authentication logs in on the site (which asks for the code), then opens the admin."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if Authenticator.objects.filter(user=user).exists():
            raise ValidationError(
                "This account uses two-factor authentication: log in on the site's login page, "
                "then open the admin.",
                code="two_factor",
            )


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """The admin's "Change password" of a user. A new password revokes the account's API tokens
    as every new password does (api.passwords); so does turning its password login off here,
    which sets no new password."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit)
        if commit and not user.has_usable_password():
            api_services.revoke_tokens(user=user)
        return user


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # Checked as a login is: guessing it here counts towards the same lockouts.
        if not security.check_current_password(self.request, self.user, password):
            raise ValidationError("That is not your password.", code="wrong_password")
        return password


class TokenForm(forms.Form):
    """A new personal access token for the API: a name to tell it by, its access and, if it
    should stop working by itself, the day it expires."""

    name = forms.CharField(label="Token name", max_length=100)
    scope = forms.ChoiceField(label="Access", choices=Scope.choices, initial=Scope.READ)
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Optional. It stops working at the start of that day (UTC).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_expires_on(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("expires_on")
        if day is not None and day <= timezone.now().date():
            raise ValidationError("Choose a day after today.", code="past")
        return day

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class TimeZoneForm(forms.Form):
    """The account page's time zone: one of the zones the system knows."""

    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)


class DigestForm(forms.Form):
    """The account page's daily digest: on or off, and the hour of the user's day it comes at
    (reminders.services.set_digest)."""

    digest = forms.BooleanField(
        label="Daily digest",
        required=False,
        help_text=(
            "Each day, a mail listing your open tasks due that day or overdue, in every list you "
            "are in."
        ),
    )
    digest_hour = forms.TypedChoiceField(
        label="Digest hour",
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        initial=7,
        help_text="In your time zone.",
    )

    @classmethod
    def of(cls, user: User) -> DigestForm:
        """The form showing the user's digest as it is: checked at its hour, or unchecked."""
        hour = Digest.objects.filter(user=user).values_list("hour", flat=True).first()
        return cls(initial={} if hour is None else {"digest": True, "digest_hour": hour})

    def hour_or_none(self) -> int | None:
        """The chosen hour, or None to turn the digest off."""
        return self.cleaned_data["digest_hour"] if self.cleaned_data["digest"] else None
