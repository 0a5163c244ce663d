from typing import Any

from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest

from . import services
from .models import Activity, Membership, Role, Task, TaskList


def _actor(request: HttpRequest) -> AbstractBaseUser | None:
    return request.user if request.user.is_authenticated else None


class MembershipInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            user = form.cleaned_data.get("user")
            if user and not form.cleaned_data.get("DELETE") and user.pk == self.instance.owner_id:
                form.add_error(
                    "user",
                    ValidationError(
                        services.ALREADY_OWNER,
                        code="owner",
                        params={"username": user.get_username()},
                    ),
                )


class MembershipInline(admin.TabularInline):
    """A list's members, saved through todos.services (TaskListAdmin.save_formset), so the
    admin's changes keep the same rules and leave the same history as the sharing page's."""

    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(TaskList)
class TaskListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    # "memberships__role": the lists shared with someone who can view, or edit.
    list_filter = ["memberships__role", "created_at"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [MembershipInline]

    def delete_model(self, request: HttpRequest, obj: TaskList) -> None:
        services.delete_lists(list_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TaskList]) -> None:
        services.delete_lists(list_ids=queryset.values_list("pk", flat=True))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        task_list, by = form.instance, _actor(request)
        # What formset.save() would have noted, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for gone in formset.deleted_forms:
            if gone.instance.pk:
                services.remove_member(task_list=task_list, member=gone.instance.user, by=by)
                formset.deleted_objects.append(gone.instance)
        for member_form in formset.forms:
            if member_form in formset.deleted_forms or not member_form.has_changed():
                continue
            user, role = member_form.cleaned_data["user"], Role(member_form.cleaned_data["role"])
            existing = member_form.instance.pk is not None
            if existing and "user" not in member_form.changed_data:
                services.set_role(task_list=task_list, member=user, role=role, by=by)
                formset.changed_objects.append((member_form.instance, member_form.changed_data))
                continue
            if existing:  # the row now names someone else: the first one leaves
                previous = Membership.objects.get(pk=member_form.instance.pk).user
                services.remove_member(task_list=task_list, member=previous, by=by)
            formset.new_objects.append(
                services.share_list(
                    task_list=task_list, username=user.get_username(), role=role, by=by
                )
            )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Every membership, filtered by role; they are changed on their list's page (the inline),
    through the services. Deleting stays allowed, for deleting a list or an account."""

    list_display = ["task_list", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["task_list__name", "user__username", "task_list__owner__username"]
    list_select_related = ["task_list", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "list",
        "owner",
        "assignee",
        "priority",
        "due_date",
        "repeats",
        "done",
        "updated_at",
    ]
    list_filter = ["done", "priority", "due_date", "repeat_from_completion", "created_at"]
    search_fields = ["title", "notes", "list__name", "list__owner__username", "assignee__username"]
    list_select_related = ["list__owner", "assignee"]
    raw_id_fields = ["list", "assignee", "created_by"]
    date_hierarchy = "created_at"
    readonly_fields = ["completed_at", "created_at", "updated_at", "version"]
    actions = ["mark_done", "mark_open"]

    def save_model(self, request: HttpRequest, obj: Task, form: Any, change: bool) -> None:
        try:
            services.save_task(task=obj, was_in=form.initial.get("list") if change else None)
        except Task.DoesNotExist as exc:
            raise Http404("The task was deleted or moved since this page was opened.") from exc

    def delete_model(self, request: HttpRequest, obj: Task) -> None:
        services.delete_task(task=obj, by=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        services.delete_tasks(tasks=queryset, by=_actor(request))

    @admin.display(description="repeats", ordering="repeat_rule")
    def repeats(self, task: Task) -> str:
        return task.repeat_text

    @admin.display(description="owner", ordering="list__owner__username")
    def owner(self, task: Task) -> str:
        return task.list.owner.get_username()

    @admin.action(description="Mark selected tasks as done")
    def mark_done(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        updated = services.set_done(tasks=queryset, done=True, by=_actor(request))
        self.message_user(request, f"Marked {updated} task(s) as done.")

    @admin.action(description="Mark selected tasks as not done")
    def mark_open(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        updated = services.set_done(tasks=queryset, done=False, by=_actor(request))
        self.message_user(request, f"Marked {updated} task(s) as not done.")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """The history is written by todos.services alone: here it is read, never added to or
    changed. Deleting stays allowed, or no list or account with a history could be deleted."""

    list_display = ["created_at", "task_list", "actor", "verb", "subject"]
    list_filter = ["verb", "created_at"]
    search_fields = ["subject", "task_list__name", "actor__username"]
    list_select_related = ["task_list", "actor"]
    fields = readonly_fields = (
        "created_at",
        "task_list",
        "actor",
        "verb",
        "task_id",
        "subject",
        "changes",
    )
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Activity | None = None) -> bool:
        return False
