from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from .services import username_taken


class SignUpForm(UserCreationForm):
    """Usernames are NFKC-normalised (by the field) and must differ from every existing one as
    the database compares them: case- and accent-insensitively (utf8mb4_unicode_520_ci, see
    todo_site.database), so "José", "jose" and "JOSE" are one name, and so are "Straße" and
    "strasse"."""

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        # `=` under the column's collation, exactly as the unique index compares (Django's check
        # uses iexact, a LIKE, which compares character by character).
        if User.objects.filter(username=username).exists():
            raise username_taken(self.instance)
        return username
