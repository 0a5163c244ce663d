"""The bench's many users and its API token, or the reminders bench's people and reminders, made
in one process (one ``manage.py`` per user would start Django twenty times).

Run by the harness as ``python -m bench.seed`` with the server's environment and a JSON object
on stdin, either::

    {"users": ["bench200-01", ...], "tasks": 200, "password": "...", "token_for": "bench1k"}

each user made by ``seed_demo``, as the single users are, the token by the API's own service
(read and write); prints one line, "BENCH_SEED {"token": "<secret>"}". Or::

    {"reminders": 10000, "people": 100, "at": "2026-12-08T01:00:00+00:00"}

``people`` accounts with e-mail addresses (``remind-001@bench.invalid`` …), each with
reminders / people open tasks in their Inbox, which they share with the next person as an
editor; the tasks alternate between a reminder for their owner and one for that member, all at
``at``. A task's title names it, so a message's subject and recipient name its reminder. Prints
"BENCH_SEED {"reminders": <count>}".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_site.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from api.models import Scope
    from api.services import create_token

    spec: dict[str, Any] = json.load(sys.stdin)
    if "reminders" in spec:
        count = seed_reminders(
            reminders=spec["reminders"],
            people=spec["people"],
            at=dt.datetime.fromisoformat(spec["at"]),
        )
        print("BENCH_SEED " + json.dumps({"reminders": count}))
        return 0
    for username in spec["users"]:
        call_command(
            "seed_demo", user=username, tasks=spec["tasks"], password=spec["password"], verbosity=0
        )
    owner = get_user_model().objects.get(username=spec["token_for"])
    created = create_token(user=owner, name="bench", scope=Scope.READ_WRITE)
    print("BENCH_SEED " + json.dumps({"token": created.secret}))
    return 0


def seed_reminders(*, reminders: int, people: int, at: dt.datetime) -> int:
    from django.contrib.auth.models import User

    from accounts import services as account_services
    from reminders.models import Reminder
    from todos import services
    from todos.models import Role, Task

    names = [f"remind-{number:03}" for number in range(1, people + 1)]
    inboxes = []
    for name in names:
        user = User(username=name, email=f"{name}@bench.invalid")
        user.set_unusable_password()
        account_services.create_account(user=user)
        inboxes.append(services.create_inbox(owner=user))
    per_person = reminders // people
    for number, inbox in enumerate(inboxes):
        member = names[(number + 1) % people]
        services.share_list(task_list=inbox, username=member, role=Role.EDITOR, by=inbox.owner)
        owner_name = names[number]
        tasks = (Task(title=f"Bench {owner_name} #{n}", position=n) for n in range(per_person))
        services.add_tasks(task_list=inbox, tasks=tasks, by=inbox.owner)
        member_id = User.objects.get(username=member).pk
        rows = Task.objects.in_list(inbox).values_list("pk", "position")
        services.add_reminders(
            reminders=[
                (task_id, inbox.owner_id if position % 2 == 0 else member_id, at)
                for task_id, position in rows
            ]
        )
    return Reminder.objects.filter(user__username__in=names).count()


if __name__ == "__main__":
    raise SystemExit(main())
