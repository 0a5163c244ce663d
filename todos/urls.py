from django.urls import path

from . import views

app_name = "todos"

urlpatterns = [
    path("", views.index, name="index"),
    path("lists/new/", views.list_create, name="list-create"),
    path("lists/<int:list_id>/", views.list_detail, name="list"),
    path("lists/<int:list_id>/edit/", views.list_edit, name="list-edit"),
    path("lists/<int:list_id>/delete/", views.list_delete, name="list-delete"),
    path("lists/<int:list_id>/tasks/", views.task_create, name="create"),
    path("lists/<int:list_id>/toggle-all/", views.toggle_all, name="toggle-all"),
    path("lists/<int:list_id>/clear-completed/", views.clear_completed, name="clear-completed"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/toggle/", views.task_toggle, name="toggle"),
    path("tasks/<int:task_id>/delete/", views.task_delete, name="delete"),
]
