from typing import Any

from django.contrib.auth.backends import ModelBackend

from .sessions import loaded_user


class SessionUserBackend(ModelBackend):
    """Django's ModelBackend, which takes the user that the session store loaded with the session
    row (accounts.sessions) instead of querying for it again."""

    def get_user(self, user_id: Any) -> Any:
        user = loaded_user.get()
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)
