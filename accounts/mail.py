"""Messages as database rows: what accounts.services needs to keep a message the relay did not
take (``OutgoingMail``) and to send it again later."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection

# What a relay that refuses, drops the connection or is down raises.
SEND_ERRORS = (smtplib.SMTPException, OSError)


def send(message: EmailMessage) -> None:
    """Sends ``message`` through the configured backend (EMAIL_URL); raises what that raises."""
    get_connection().send_messages([message])


def as_fields(message: EmailMessage) -> dict[str, Any]:
    """What ``from_fields`` builds the message from again, as JSON (attachments are not kept:
    no message of the site has any)."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }


def from_fields(fields: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=fields["subject"],
        body=fields["body"],
        from_email=fields["from_email"],
        to=fields["to"],
        cc=fields["cc"],
        bcc=fields["bcc"],
        reply_to=fields["reply_to"],
        headers=fields["headers"],
    )
    for content, mimetype in fields["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message
