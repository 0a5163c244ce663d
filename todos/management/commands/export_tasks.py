from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from todos import transfer


class Command(BaseCommand):
    help = "Export a user's lists and tasks as JSON (default) or CSV, to stdout or --output FILE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username whose tasks to export.")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", type=Path, help="File to write (default: standard output).")

    def handle(
        self, *args: Any, user: str, format: str, output: Path | None, **options: Any
    ) -> None:
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {user!r}.") from exc
        data = transfer.export_data(owner)
        text = transfer.dump_json(data) if format == "json" else transfer.dump_csv(data)
        if output is None:
            self.stdout.write(text, ending="")
            return
        output.write_text(text, encoding="utf-8")
        count = sum(len(task_list["tasks"]) for task_list in data["lists"])
        self.stderr.write(f"Exported {count} task(s) in {len(data['lists'])} list(s) to {output}.")
