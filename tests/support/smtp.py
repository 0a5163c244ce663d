"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1): the app sends to it over the network
as it would to a relay, and the tests read what arrived.

``with SmtpSink() as sink:`` serves until the block ends; ``sink.url`` is the app's ``EMAIL_URL``,
``sink.wait_for(to=...)`` returns the next message for that address, parsed. While
``sink.refusal`` is set (e.g. ``"451 4.3.0 Try again later"``), every message is answered with it
and dropped, as a relay that refuses.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from .live import free_port

LINK = re.compile(r"https?://[^\s<>\"]+")


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.refusal is not None:
            return self.sink.refusal
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.arrived:
            self.sink.messages.append(message)
            self.sink.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refusal: str | None = None
        self.arrived = threading.Condition()
        self._controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()

    def wait_for(self, *, to: str, timeout: float = 20) -> EmailMessage:
        """The first message to ``to`` that arrived (taken off the list), waiting if need be."""

        def take() -> EmailMessage | None:
            for message in self.messages:
                if to in str(message["To"]):
                    self.messages.remove(message)
                    return message
            return None

        with self.arrived:
            found = self.arrived.wait_for(take, timeout=timeout)
        if found is None:
            raise AssertionError(f"no mail to {to} within {timeout}s")
        return found

    def sent_to(self, address: str) -> list[EmailMessage]:
        with self.arrived:
            return [message for message in self.messages if address in str(message["To"])]


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and the HTML body of a message (both must be there)."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "a mail without both text and HTML parts"
    return str(text.get_content()), str(html.get_content())


def the_link(message: EmailMessage, path: str) -> str:
    """The one link in the message's text whose path contains ``path``."""
    text, html = text_and_html(message)
    links = [link for link in LINK.findall(text) if path in link]
    assert len(links) == 1, (path, text)
    assert links[0] in html, "the HTML part lacks the text's link"
    return links[0]
