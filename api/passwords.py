"""Every new password revokes the account's API tokens: whoever knew the old one may have made
some. Django tells each of AUTH_PASSWORD_VALIDATORS of a password once it is saved
(``password_changed``, from ``User.save()`` after ``set_password()``), whatever set it: the
account page, a reset, the admin, ``manage.py changepassword`` or a shell. So the revocation is
this one validator, which refuses no password."""

from __future__ import annotations

from typing import Any

from . import services


class RevokeTokensOnChange:
    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            services.revoke_tokens(user=user)

    def get_help_text(self) -> str:
        return "A new password ends every API token of the account."
