from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Task, TaskList

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _visible(value: str, message: StrOrPromise) -> str:
    """Reject text with nothing visible: control, format and zero-width characters only, which
    Python does not strip but MySQL's collation compares equal to ''."""
    if not any(unicodedata.category(char)[0] not in "CZ" for char in value):
        raise ValidationError(message, code="required")
    return value


TITLE_REQUIRED = _("Give the task a title.")


class TaskCreateForm(forms.ModelForm):
    """The "New task" box: just a title, trimmed (Django strips CharField input) and non-empty."""

    class Meta:
        model = Task
        fields = ["title"]
        labels = {"title": _("New task")}
        error_messages = {
            "title": {
                "required": TITLE_REQUIRED,
                "max_length": _("Keep the title to %(limit_value)d characters or fewer."),
            }
        }

    def clean_title(self) -> str:
        return _visible(self.cleaned_data["title"], TITLE_REQUIRED)


class TaskEditForm(forms.ModelForm):
    # The server's errors are the ones shown, the same with or without JavaScript.
    use_required_attribute = False

    class Meta:
        model = Task
        fields = ["title", "notes", "due_date", "priority", "list"]
        labels = {"title": _("Title"), "notes": _("Notes"), "due_date": _("Due date")}
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = TaskCreateForm.Meta.error_messages | {
            "due_date": {"invalid": _("Enter a date as YYYY-MM-DD.")},
        }

    def clean_title(self) -> str:
        return _visible(self.cleaned_data["title"], TITLE_REQUIRED)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the owner's lists are offered, so a task cannot be moved into another user's list.
        list_field = cast(forms.ModelChoiceField, self.fields["list"])
        list_field.queryset = TaskList.objects.filter(owner_id=self.instance.list.owner_id)
        list_field.empty_label = None


class TaskListForm(forms.ModelForm):
    class Meta:
        model = TaskList
        fields = ["name"]
        labels = {"name": _("List name")}

    def __init__(self, *args: Any, owner_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner_id = owner_id

    def clean_name(self) -> str:
        # The (owner, name) unique constraint cannot be checked by the form, which excludes owner.
        name: str = _visible(self.cleaned_data["name"], _("Give the list a name."))
        taken = TaskList.objects.filter(owner_id=self.owner_id, name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                _("You already have a list called “%(name)s”."),
                code="duplicate",
                params={"name": name},
            )
        return name

    def save(self, commit: bool = True) -> TaskList:
        self.instance.owner_id = self.owner_id
        return super().save(commit=commit)


class TaskFilterForm(forms.Form):
    """The tasks page's query string: ?filter=active|completed&q=...&page=N, normalised."""

    FILTERS = {"all": _("All"), "active": _("Active"), "completed": _("Completed")}

    filter = forms.ChoiceField(choices=list(FILTERS.items()), required=False)
    q = forms.CharField(required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def values(self) -> tuple[str, str, int]:
        """(filter, search text, page), falling back to defaults for anything invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("filter") or "all", data.get("q") or "", data.get("page") or 1
