from typing import Any

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

    # Saves and deletes here bypass todos.services, so the lists' counters are recounted after.
    def save_model(self, request: HttpRequest, obj: Task, form: Any, change: bool) -> None:
        before = form.initial.get("list") if change else None
        super().save_model(request, obj, form, change)
        services.recount_lists(list_ids=[obj.list_id, *([before] if before else [])])

    def delete_model(self, request: HttpRequest, obj: Task) -> None:
        super().delete_model(request, obj)
        services.recount_lists(list_ids=[obj.list_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        list_ids = list(queryset.values_list("list_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        services.recount_lists(list_ids=list_ids)

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
