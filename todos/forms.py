from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reminders.models import Reminder

from .models import Role, Task, TaskList, TaskState, assignable_users
from .repeat import Frequency, Rule, Weekday

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise


def _visible(value: str, message: StrOrPromise) -> str:
    """Reject text with nothing visible: control, format and zero-width characters only, which
    Python does not strip but MySQL's collation compares equal to ''."""
    if not any(unicodedata.category(char)[0] not in "CZ" for char in value):
        raise ValidationError(message, code="required")
    return value


TITLE_REQUIRED = _("Give the task a title.")
REMINDER_IN_THE_PAST = _("Choose a time still to come for the reminder.")
TITLE_ERRORS = {
    "required": TITLE_REQUIRED,
    "max_length": _("Keep the title to %(limit_value)d characters or fewer."),
}


class _TitleRules:
    """A task's title: trimmed (Django strips CharField input) and with something visible."""

    # The server's errors are the ones shown, the same with or without JavaScript.
    use_required_attribute = False
    cleaned_data: dict[str, Any]

    def clean_title(self) -> str:
        return _visible(self.cleaned_data["title"], TITLE_REQUIRED)


class TaskCreateForm(_TitleRules, forms.Form):
    """The "New task" box. Rendered with auto_id="new-task-%s", so its input is #new-task-title.
    A plain form of the model's title field: todos.services.add_task makes the task, and the
    title's rules are all checked here, so validating needs no query (a ModelForm would ask the
    database to evaluate the model's CHECK constraints)."""

    title = Task._meta.get_field("title").formfield(
        label=_("New task"),
        widget=forms.TextInput(
            attrs={"placeholder": _("What needs doing?"), "autocomplete": "off"}
        ),
        error_messages=TITLE_ERRORS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "new-task-%s")
        super().__init__(*args, **kwargs)


class ListChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        """Someone else's list is named with its owner: two lists may share a name."""
        task_list = cast(TaskList, obj)
        if task_list.is_owned:
            return task_list.name
        return f"{task_list.name} ({task_list.owner.get_username()})"


REPEAT_NEEDS_DUE_DATE = _("Give a repeating task a due date.")
ONE_END = _("End after a number of times or on a date, not both.")
_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def rule_fields(rule: Rule) -> dict[str, Any]:
    """TaskEditForm's fields that make up ``rule``, as its controls send them."""
    return {
        "repeat": rule.freq,
        "repeat_interval": rule.interval,
        "repeat_weekdays": list(rule.weekdays),
        "repeat_last_day": rule.last_day,
        "repeat_count": rule.count,
        "repeat_until": rule.until,
    }


class TaskEditForm(_TitleRules, forms.ModelForm):
    # The task's version when the form was opened (todos.services.edit_task refuses to save over
    # a newer one). Optional: a client that sends none saves as before, last write wins.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # The repeat rule's parts (todos.repeat.Rule), plain fields that work without JavaScript.
    repeat = forms.ChoiceField(label=_("Repeat"), choices=Frequency.choices, required=False)
    repeat_interval = forms.IntegerField(
        label=_("Repeat every"),
        min_value=1,
        max_value=999,
        required=False,
        initial=1,
        help_text=_("How many days, weeks, months or years, as Repeat says."),
    )
    repeat_weekdays = forms.MultipleChoiceField(
        label=_("On weekdays"),
        choices=Weekday.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Weekly only. None chosen: the due date's weekday."),
    )
    repeat_last_day = forms.BooleanField(
        label=_("On the last day of the month"),
        required=False,
        help_text=_("Monthly only. Otherwise the due date's day, in the months that have it."),
    )
    repeat_count = forms.IntegerField(
        label=_("End after (times)"),
        min_value=1,
        max_value=9999,
        required=False,
        help_text=_("Counting the one due now."),
    )
    repeat_until = forms.DateField(
        label=_("End on"),
        required=False,
        widget=_DATE_INPUT,
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    # The user's own reminder of the task, in their time zone (reminders.Reminder); cleared,
    # none. Not the task's: every member who may edit it has their own.
    remind_me = forms.DateTimeField(
        label=_("Remind me"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("A mail at this date and time (your time zone)."),
        error_messages={"invalid": _("Enter a date and time as YYYY-MM-DD HH:MM.")},
    )
    field_order = [
        *("title", "notes", "due_date", "remind_me", "repeat", "repeat_interval"),
        *("repeat_weekdays", "repeat_last_day", "repeat_from_completion", "repeat_count"),
        "repeat_until",
    ]

    class Meta:
        model = Task
        fields = [
            *("title", "notes", "due_date", "priority", "list", "assignee"),
            "repeat_from_completion",
        ]
        field_classes = {"list": ListChoiceField}
        labels = {
            "title": _("Title"),
            "notes": _("Notes"),
            "due_date": _("Due date"),
            "assignee": _("Assignee"),
            "repeat_from_completion": _("Count from the completion date"),
        }
        help_texts = {
            "repeat_from_completion": _(
                "The next due date is the day it is done plus the interval."
            ),
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "due_date": _DATE_INPUT,
        }
        error_messages = {
            "title": TITLE_ERRORS,
            "due_date": {"invalid": _("Enter a date as YYYY-MM-DD.")},
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only lists the user may change are offered, so a task cannot be moved anywhere else.
        list_field = cast(forms.ModelChoiceField, self.fields["list"])
        list_field.queryset = TaskList.objects.editable_by(user)
        list_field.empty_label = None
        assignee = cast(forms.ModelChoiceField, self.fields["assignee"])
        assignee.queryset = assignable_users(self.instance.list).order_by("username")
        assignee.empty_label = _("Nobody")
        self.fields["version"].initial = self.instance.version
        self.fields["remind_me"].initial = (
            Reminder.objects.filter(task_id=self.instance.pk, user_id=user.pk)
            .values_list("remind_at", flat=True)
            .first()
        )
        self.stored_rule = self.instance.repeat_rule
        if self.stored_rule:
            rule = Rule.parse(self.stored_rule)
            self.initial.update(rule_fields(rule))

    def clean_remind_me(self) -> dt.datetime | None:
        at: dt.datetime | None = self.cleaned_data["remind_me"]
        if at is not None and "remind_me" in self.changed_data and at <= timezone.now():
            raise ValidationError(REMINDER_IN_THE_PAST, code="past")
        return at

    def reminder_changed(self) -> bool:
        return "remind_me" in self.changed_data

    def clean(self) -> dict[str, Any]:
        """Build the repeat rule from its parts (the instance's ``repeat_rule``): only the parts
        the frequency uses count, and a repeating task needs a due date."""
        super().clean()
        data = self.cleaned_data
        freq = data.get("repeat") or ""
        if not freq:
            data["repeat_from_completion"] = False
            self.instance.repeat_rule = ""
            return data
        if not data.get("due_date") and "due_date" not in self.errors:
            self.add_error("due_date", ValidationError(REPEAT_NEEDS_DUE_DATE, code="repeat_due"))
        if data.get("repeat_count") and data.get("repeat_until"):
            self.add_error("repeat_until", ValidationError(ONE_END, code="one_end"))
            return data
        self.instance.repeat_rule = str(
            Rule(
                freq=freq,
                interval=data.get("repeat_interval") or 1,
                weekdays=tuple(data.get("repeat_weekdays") or ()) if freq == "WEEKLY" else (),
                last_day=bool(data.get("repeat_last_day")) and freq == "MONTHLY",
                count=data.get("repeat_count"),
                until=data.get("repeat_until"),
            )
        )
        return data

    def changes(self) -> dict[str, Any]:
        """The task's fields the user changed, and their new values."""
        changes = {
            field: self.cleaned_data[field]
            for field in self.changed_data
            if field in self._meta.fields  # type: ignore[operator]
        }
        if self.instance.repeat_rule != self.stored_rule:
            changes["repeat_rule"] = self.instance.repeat_rule
        return changes

    def label_of(self, field: str) -> StrOrPromise:
        """A changed field's label; the rule's is Repeat's."""
        return (self.fields.get(field) or self.fields["repeat"]).label or field

    def opened_at(self) -> int | None:
        return self.cleaned_data.get("version")


class ToggleForm(forms.Form):
    """A tick's query string: ?due=YYYY-MM-DD, the due date the row showed, so that a repeating
    task is moved on once however many ticks of that occurrence arrive."""

    due = forms.DateField(required=False)

    def due_seen(self) -> dt.date | None:
        return self.cleaned_data.get("due") if self.is_valid() else None


class TaskListForm(forms.ModelForm):
    """A list's name. Whether the owner already has a list of that name is decided where it
    cannot be raced: todos.services saves under the (owner, name) unique constraint."""

    class Meta:
        model = TaskList
        fields = ["name"]
        labels = {"name": _("List name")}

    def clean_name(self) -> str:
        return _visible(self.cleaned_data["name"], _("Give the list a name."))


class ListCreateForm(TaskListForm):
    """The sidebar's "New list" box. Rendered with auto_id="new-list-%s" (#new-list-name)."""

    use_required_attribute = False  # as for tasks: the server's error is the one shown

    class Meta(TaskListForm.Meta):
        labels = {"name": _("New list")}
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": _("New list"), "autocomplete": "off"})
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "new-list-%s")
        super().__init__(*args, **kwargs)


class TaskFilterForm(forms.Form):
    """The tasks page's query string: ?filter=active|completed&q=...&page=N, normalised."""

    filter = forms.ChoiceField(choices=TaskState.choices, required=False)
    q = forms.CharField(required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def values(self) -> tuple[TaskState, str, int]:
        """(filter, search text, page), falling back to defaults for anything invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return (
            TaskState(data.get("filter") or TaskState.ALL),
            data.get("q") or "",
            data.get("page") or 1,
        )


class _RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def chosen_role(self) -> Role:
        return Role(self.cleaned_data["role"])


class ShareForm(_RoleForm):
    """The sharing page's invitation: an existing user's name and the role they get."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    field_order = ["username", "role"]


class MemberForm(_RoleForm):
    """A member of the list (by user id) and, for a role change, their new role."""

    member: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        error_messages={"invalid_choice": _("That user is not a member of this list.")},
    )

    def __init__(
        self, *args: Any, task_list: TaskList, with_role: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        member = cast(forms.ModelChoiceField, self.fields["member"])
        member.queryset = get_user_model().objects.filter(memberships__task_list=task_list)
        # Only a role change sends a role; removing or transferring needs just the member.
        if not with_role:
            del self.fields["role"]
