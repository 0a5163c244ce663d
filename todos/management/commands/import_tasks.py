from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from todos import transfer


class Command(BaseCommand):
    help = (
        "Import lists and tasks from a JSON or CSV file made by export_tasks into a user's "
        "account. Tasks join the lists of the same name; all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username to import into.")
        parser.add_argument("file", type=Path, help="The export file (JSON or CSV).")

    def handle(self, *args: Any, user: str, file: Path, **options: Any) -> None:
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {user!r}.") from exc
        try:
            lists = transfer.parse(file.read_bytes().decode("utf-8"))
            count = transfer.import_data(owner, lists)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        except ValidationError as exc:
            raise CommandError(f"Nothing imported: {'; '.join(exc.messages)}") from exc
        except (ValueError, KeyError) as exc:
            raise CommandError(f"Nothing imported: not a valid export file ({exc!r}).") from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {count} task(s) in {len(lists)} list(s)."))
