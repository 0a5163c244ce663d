from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "todos"
    verbose_name = "To-dos"
