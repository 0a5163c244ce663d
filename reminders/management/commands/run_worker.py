import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection

from reminders.worker import run_round


class Command(BaseCommand):
    help = (
        "Send due reminders and daily digests, round after round, until SIGTERM or SIGINT "
        "(finishing the round under way). Any number may run at once: each message goes once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="one round, until nothing more is due, then exit"
        )
        parser.add_argument("--batch", type=int, default=50, help="rows claimed at a time (50)")

    def handle(self, *args: Any, once: bool, batch: int, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        heartbeat = settings.WORKER_HEARTBEAT
        self.stdout.write(f"worker: sending reminders and digests (batch {batch})")
        while not stop.is_set():
            try:
                done = run_round(batch=batch)
            except DatabaseError as exc:
                # The database went away or failed over: try again after a pause, with a new
                # connection. The heartbeat goes stale meanwhile, as it should.
                self.stderr.write(f"worker: round failed: {exc!r}")
                connection.close()
                stop.wait(settings.WORKER_INTERVAL)
                continue
            heartbeat.touch()
            if done.claimed or done.missed:
                self.stdout.write(
                    f"worker: sent {done.sent}, skipped {done.skipped}, failed {done.failed}, "
                    f"missed {done.missed}"
                )
            elif once:
                break
            else:
                stop.wait(settings.WORKER_INTERVAL)
        self.stdout.write("worker: stopped")
