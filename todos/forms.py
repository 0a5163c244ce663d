from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Task, TaskList, TaskState

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _visible(value: str, message: StrOrPromise) -> str:
    """Reject text with nothing visible: control, format and zero-width characters only, which
    Python does not strip but MySQL's collation compares equal to ''."""
    if not any(unicodedata.category(char)[0] not in "CZ" for char in value):
        raise ValidationError(message, code="required")
    return value


TITLE_REQUIRED = _("Give the task a title.")
TITLE_ERRORS = {
    "required": TITLE_REQUIRED,
    "max_length": _("Keep the title to %(limit_value)d characters or fewer."),
}


class _TaskTitleForm(forms.ModelForm):
    """A task's title: trimmed (Django strips CharField input) and with something visible."""

    # The server's errors are the ones shown, the same with or without JavaScript.
    use_required_attribute = False

    def clean_title(self) -> str:
        return _visible(self.cleaned_data["title"], TITLE_REQUIRED)


class TaskCreateForm(_TaskTitleForm):
    """The "New task" box. Rendered with auto_id="new-task-%s", so its input is #new-task-title."""

    class Meta:
        model = Task
        fields = ["title"]
        labels = {"title": _("New task")}
        widgets = {
            "title": forms.TextInput(
                attrs={"placeholder": _("What needs doing?"), "autocomplete": "off"}
            )
        }
        error_messages = {"title": TITLE_ERRORS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "new-task-%s")
        super().__init__(*args, **kwargs)


class TaskEditForm(_TaskTitleForm):
    class Meta:
        model = Task
        fields = ["title", "notes", "due_date", "priority", "list"]
        labels = {"title": _("Title"), "notes": _("Notes"), "due_date": _("Due date")}
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "title": TITLE_ERRORS,
            "due_date": {"invalid": _("Enter a date as YYYY-MM-DD.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the owner's lists are offered, so a task cannot be moved into another user's list.
        list_field = cast(forms.ModelChoiceField, self.fields["list"])
        list_field.queryset = TaskList.objects.filter(owner_id=self.instance.list.owner_id)
        list_field.empty_label = None


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
