from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import Task, TaskList


@admin.register(TaskList)
class TaskListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "list", "owner", "priority", "due_date", "done", "updated_at"]
    list_filter = ["done", "priority", "due_date", "created_at"]
    search_fields = ["title", "notes", "list__name", "list__owner__username"]
    list_select_related = ["list__owner"]
    raw_id_fields = ["list"]
    date_hierarchy = "created_at"
    readonly_fields = ["completed_at", "created_at", "updated_at"]
    actions = ["mark_done", "mark_open"]

    @admin.display(description="owner", ordering="list__owner__username")
    def owner(self, task: Task) -> str:
        return task.list.owner.get_username()

    @admin.action(description="Mark selected tasks as done")
    def mark_done(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        updated = services.set_done(tasks=queryset, done=True)
        self.message_user(request, f"Marked {updated} task(s) as done.")

    @admin.action(description="Mark selected tasks as not done")
    def mark_open(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        updated = services.set_done(tasks=queryset, done=False)
        self.message_user(request, f"Marked {updated} task(s) as not done.")
