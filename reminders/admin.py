from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from todos import services as todo_services

from . import services
from .models import Digest, Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Users set their reminders on a task's edit page; here an operator sees what the worker
    sent, missed or skipped, and may move or delete one (through todos.services' lock order)."""

    list_display = ["task", "user", "remind_at", "state", "sent_at", "attempts"]
    list_filter = ["state"]
    list_select_related = ["task", "user"]
    search_fields = ["task__title", "user__username"]
    date_hierarchy = "remind_at"
    fields = ["task", "user", "remind_at", "state", "sent_at", "attempts", "last_error"]
    readonly_fields = ["task", "user", "state", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Reminder, form: ModelForm, change: bool
    ) -> None:
        todo_services.set_reminder(task=obj.task, user=obj.user, at=obj.remind_at)


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    """Users turn their digest on and off on the account page; an operator may change its hour."""

    list_display = ["user", "hour", "next_at", "last_sent_at", "attempts"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "hour", "next_at", "last_sent_at", "attempts", "last_error"]
    readonly_fields = ["user", "next_at", "last_sent_at", "attempts", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Digest, form: ModelForm, change: bool) -> None:
        services.set_digest(user=obj.user, hour=obj.hour)
