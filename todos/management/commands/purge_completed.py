import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from todos import services
from todos.models import Task


class Command(BaseCommand):
    help = "Delete tasks completed more than DAYS days ago, for every user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, required=True, metavar="DAYS", help="Age in days."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report how many would be deleted."
        )

    def handle(self, *args: Any, older_than: int, dry_run: bool, **options: Any) -> None:
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more days.")
        cutoff = timezone.now() - dt.timedelta(days=older_than)
        if dry_run:
            stale = Task.objects.completed_before(cutoff).count()
            self.stdout.write(
                f"Would delete {stale} task(s) completed before {cutoff:%Y-%m-%d %H:%M}."
            )
            return
        deleted = services.purge_completed(before=cutoff)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} task(s) completed before {cutoff:%Y-%m-%d %H:%M}."
            )
        )
