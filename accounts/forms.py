"""django-allauth's account forms, with this site's labels and username rule."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from django.contrib.auth.models import User

from . import services
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
