"""``manage.py migrate_locked``: ``migrate`` under a MySQL advisory lock.

Several replicas of the web container start at once and each runs its entrypoint. Without a lock
they would all run ``migrate`` concurrently and race on the same DDL. Here each one first takes
the named lock ``GET_LOCK('<database>.migrate', timeout)``: the first applies the migrations, the
others wait, then find nothing left to apply. The lock belongs to the database session, so a
process that dies mid-migration releases it with its connection.
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

# MySQL and MariaDB cap lock names at 64 characters.
_MAX_LOCK_NAME = 64


def lock_name_for(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The advisory lock name for a database: one lock per schema, not per server."""
    name = str(connections[alias].settings_dict["NAME"])
    return f"{name}.migrate"[-_MAX_LOCK_NAME:]


class Command(BaseCommand):
    help = (
        "Apply database migrations while holding a MySQL GET_LOCK advisory lock, so that several "
        "processes starting at once apply each migration exactly once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout",
            type=int,
            default=300,
            help="Seconds to wait for another process's migration to finish (default 300).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="Database alias (default 'default').",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not prompt the user for input of any kind.",
        )

    def handle(
        self,
        *args: Any,
        timeout: int,
        database: str,
        interactive: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        alias = database
        self.verbosity = verbosity
        if timeout < 0:
            raise CommandError("--timeout must be zero or more seconds.")

        connection = connections[alias]
        migrate_options = {
            "database": alias,
            "interactive": interactive,
            "verbosity": verbosity,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
        if connection.vendor != "mysql":
            self.stderr.write(
                f"Database {alias!r} is {connection.vendor}, not MySQL: migrating without a lock."
            )
            call_command("migrate", **migrate_options)
            return

        lock = lock_name_for(alias)
        self._acquire(lock, timeout, alias)
        try:
            call_command("migrate", **migrate_options)
        finally:
            self._release(lock, alias)

    def _acquire(self, lock: str, timeout: int, alias: str) -> None:
        if self._get_lock(lock, 0, alias):
            self._log(f"Acquired migration lock {lock!r}.")
            return
        self._log(f"Another process holds migration lock {lock!r}; waiting up to {timeout} s.")
        if not self._get_lock(lock, timeout, alias):
            raise CommandError(
                f"Timed out after {timeout} s waiting for migration lock {lock!r}: another "
                "process is still migrating (or hung while holding the lock)."
            )
        self._log(f"Acquired migration lock {lock!r}.")

    def _get_lock(self, lock: str, timeout: int, alias: str) -> bool:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [lock, timeout])
            row = cursor.fetchone()
        # 1: acquired; 0: timed out; NULL: an error (e.g. the thread was killed).
        if row is None or row[0] is None:
            raise CommandError(f"GET_LOCK({lock!r}) failed on database {alias!r}.")
        return bool(row[0])

    def _release(self, lock: str, alias: str) -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [lock])
        self._log(f"Released migration lock {lock!r}.")

    def _log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)
