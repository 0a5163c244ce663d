"""Every account has a list: accounts.services.create_account makes each account with its Inbox,
and this makes one for accounts that have none, so that no page has to create one on a GET."""

from django.conf import settings
from django.db import migrations

# A migration keeps its own copy: it must do the same whatever todos.models.DEFAULT_LIST_NAME says.
DEFAULT_LIST_NAME = "Inbox"


def create_inboxes(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    TaskList = apps.get_model("todos", "TaskList")
    without_lists = User.objects.filter(task_lists__isnull=True).values_list("pk", flat=True)
    TaskList.objects.bulk_create(
        [TaskList(owner_id=pk, name=DEFAULT_LIST_NAME) for pk in without_lists]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("todos", "0003_one_collation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_inboxes, migrations.RunPython.noop)]
