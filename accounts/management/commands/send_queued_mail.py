from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Send the mail the relay did not take when it was first sent (refused or unreachable); "
        "what fails again stays queued. Exits 1 while anything is left."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent, failed = services.send_queued_mail()
        self.stdout.write(f"Sent {sent} queued message(s); {failed} still queued.")
        if failed:
            raise CommandError(f"{failed} message(s) could not be sent; see the log.")
