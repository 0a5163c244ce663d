from typing import Any

from allauth.account.auth_backends import AuthenticationBackend

from .sessions import loaded_user


class SessionUserBackend(AuthenticationBackend):
    """allauth's backend (log in by username or e-mail address; a ModelBackend), which takes the
    user that the session store loaded with the session row, or built from its cache entry
    (accounts.sessions), instead of querying for it again."""

    def get_user(self, user_id: Any) -> Any:
        user = loaded_user.get()
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)
