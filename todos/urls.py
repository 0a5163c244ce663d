from django.urls import path

from . import views

app_name = "todos"

urlpatterns = [
    path("", views.index, name="index"),
    path("today/", views.today, name="today"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("assigned/", views.assigned, name="assigned"),
    path("lists/new/", views.list_create, name="list-create"),
    path("lists/<int:list_id>/", views.list_detail, name="list"),
    path("lists/<int:list_id>/edit/", views.list_edit, name="list-edit"),
    path("lists/<int:list_id>/delete/", views.list_delete, name="list-delete"),
    path("lists/<int:list_id>/tasks/", views.task_create, name="create"),
    path("lists/<int:list_id>/toggle-all/", views.toggle_all, name="toggle-all"),
    path("lists/<int:list_id>/clear-completed/", views.clear_completed, name="clear-completed"),
    path("lists/<int:list_id>/activity/", views.list_activity, name="activity"),
    path("lists/<int:list_id>/share/", views.list_share, name="share"),
    path("lists/<int:list_id>/members/role/", views.member_role, name="member-role"),
    path("lists/<int:list_id>/members/remove/", views.member_remove, name="member-remove"),
    path("lists/<int:list_id>/transfer/", views.list_transfer, name="transfer"),
    path("lists/<int:list_id>/leave/", views.list_leave, name="leave"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/toggle/", views.task_toggle, name="toggle"),
    path("tasks/<int:task_id>/delete/", views.task_delete, name="delete"),
]
