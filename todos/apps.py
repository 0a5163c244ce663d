from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "todos"
    verbose_name = "To-dos"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers that move list versions on
