from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_next_positions(apps, schema_editor):
    """Each list's next position: one past its highest task's, 0 for an empty list."""
    TaskList = apps.get_model("todos", "TaskList")
    Task = apps.get_model("todos", "Task")
    highest = (
        Task.objects.filter(list_id=OuterRef("pk"))
        .order_by()
        .values("list_id")
        .annotate(highest=Max("position"))
        .values("highest")
    )
    TaskList.objects.update(next_position=Coalesce(Subquery(highest) + 1, 0))


class Migration(migrations.Migration):

    dependencies = [
        ("todos", "0009_task_list_done_due_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="tasklist",
            name="next_position",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="next position"
            ),
        ),
        migrations.RunPython(fill_next_positions, migrations.RunPython.noop),
    ]
