from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from todo_site import security  # noqa: F401 - notes failed logins for its limits

        from . import signals  # noqa: F401 - connects the session cache's receivers
