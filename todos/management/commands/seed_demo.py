import datetime as dt
import random
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts import services as account_services
from todos import services
from todos.models import Priority, Task, TaskList

VERBS = ["Buy", "Call", "Email", "Fix", "Plan", "Review", "Write", "Book", "Clean", "Pay", "Read"]
THINGS = [
    "milk",
    "the dentist",
    "quarterly report",
    "bike tyre",
    "team offsite",
    "pull request",
    "blog post",
    "train tickets",
    "the garage",
    "electricity bill",
    "Dune, part two",
    "☕ beans",
]
NOTES = ["", "", "", "Ask Sam first.", "Before Friday.", "See the shared doc.", "Low effort 🙂"]
# Rules (todos.repeat) some open tasks with a due date get, and whether from the completion date.
REPEATS = [
    ("FREQ=DAILY", False),
    ("FREQ=WEEKLY;BYDAY=MO,TH", False),
    ("FREQ=WEEKLY;INTERVAL=2", True),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", False),
    ("FREQ=MONTHLY;COUNT=6", False),
    ("FREQ=YEARLY", False),
]
# The share of open tasks due from today on that get a reminder.
REMINDED = 0.25
BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (
        "Create a user (if missing) with N realistic demo tasks in their Inbox, some of them "
        "repeating and some with a reminder, inserted in bulk."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username to create or reuse.")
        parser.add_argument(
            "--tasks", type=int, default=25, help="How many tasks to add (default 25)."
        )
        parser.add_argument(
            "--password", help="Password for a newly created user (default: login disabled)."
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed, for repeatable data.")
        parser.add_argument(
            "--list",
            dest="list_name",
            help="The user's own list to add to, by name, created if missing (default: Inbox).",
        )

    def handle(
        self,
        *args: Any,
        user: str,
        tasks: int,
        password: str | None,
        seed: int,
        list_name: str | None,
        **options: Any,
    ) -> None:
        rng = random.Random(seed)  # noqa: S311 - demo data, not security
        now = timezone.now()
        today = timezone.localdate()
        owner = User.objects.filter(username=user).first()
        created = owner is None
        if owner is None:
            owner = User(username=user)
            if password:
                owner.set_password(password)
            else:
                owner.set_unusable_password()
            account_services.create_account(user=owner)
        if list_name is None:
            task_list = services.create_inbox(owner=owner)  # an existing account's Inbox
        else:
            task_list = TaskList.objects.filter(
                owner=owner, name=list_name
            ).first() or services.create_list(owner=owner, name=list_name)
        services.add_tasks(
            task_list=task_list,
            tasks=(self._task(rng, number, now, today) for number in range(tasks)),
            by=owner,
            batch_size=BATCH_SIZE,
        )
        # A reminder at 09:00 on the due date for some of the open tasks still to come.
        coming = Task.objects.in_list(task_list).open().dated().exclude(due_date__lt=today)
        nine = dt.time(9, tzinfo=timezone.get_current_timezone())
        services.add_reminders(
            reminders=[
                (task_id, owner.pk, dt.datetime.combine(due, nine))
                for task_id, due in coming.order_by("pk").values_list("pk", "due_date")
                if due is not None and rng.random() < REMINDED
            ]
        )
        verb = "Created" if created else "Reused"
        self.stdout.write(self.style.SUCCESS(f"{verb} user {user!r}; added {tasks} task(s)."))

    @staticmethod
    def _task(rng: random.Random, number: int, now: dt.datetime, today: dt.date) -> Task:
        done = rng.random() < 0.3
        task = Task(
            title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
            notes=rng.choice(NOTES),
            due_date=today + dt.timedelta(days=rng.randint(-10, 30))
            if rng.random() < 0.5
            else None,
            priority=rng.choice(Priority.values),
            done=done,
            completed_at=now if done else None,
            position=number,
        )
        if task.due_date and not done and rng.random() < 0.4:
            task.repeat_rule, task.repeat_from_completion = rng.choice(REPEATS)
        return task
