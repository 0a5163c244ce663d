import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections


class Command(BaseCommand):
    help = (
        "Wait until the configured database accepts a real connection (credentials included), "
        "or fail after --timeout seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="Seconds to wait (default 60)."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between attempts (default 1)."
        )
        parser.add_argument(
            "--database", default="default", help="Database alias (default 'default')."
        )

    def handle(
        self, *args: Any, timeout: float, interval: float, database: str, **options: Any
    ) -> None:
        connection = connections[database]
        host = connection.settings_dict.get("HOST") or "localhost"
        port = connection.settings_dict.get("PORT") or 3306
        address = f"{host}:{port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DatabaseError as exc:
                connection.close()
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"Database at {address} was not reachable within {timeout:g} s: {exc}"
                    ) from exc
                self.stdout.write(f"Waiting for database at {address}… ({exc})")
                time.sleep(min(interval, max(deadline - time.monotonic(), 0)))
            else:
                self.stdout.write(self.style.SUCCESS(f"Connected to MySQL at host {address}"))
                return
