"""Gunicorn's response, sending its head in the same write as its body (see gunicorn.conf.py).

Gunicorn writes the status line and headers, then the body, in two ``sendall`` calls. A replica
killed between them leaves the proxy holding a head with no body: the response has begun, so the
proxy can no longer retry the GET on another replica, and the client gets a truncated page. Sent
in one write, the proxy sees all of a response or none of it, and retries a GET that saw none.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http import wsgi


class _Held(bytearray):
    """Stands in for the socket while gunicorn writes the head, keeping the bytes instead."""

    def sendall(self, data: bytes) -> None:
        self.extend(data)


class OneWriteResponse(wsgi.Response):
    sock: Any  # the client's socket, set by gunicorn's constructor
    _head = b""

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        held = _Held()
        sock, self.sock = self.sock, held
        try:
            super().send_headers()
        finally:
            self.sock = sock
        self._head = bytes(held)

    def _send_head(self) -> None:
        """Send the head now, on its own, unless it has gone already."""
        self.send_headers()
        head, self._head = self._head, b""
        if head:
            self.sock.sendall(head)

    def _emit_body(self, data: bytes) -> None:
        if self.chunked:
            # A chunked body streams: its head goes first, on its own.
            self._send_head()
            super()._emit_body(data)
            return
        head, self._head = self._head, b""
        self.sock.sendall(head + data)

    def sendfile(self, respiter: Any) -> bool:
        # The file goes straight from the kernel, after the head.
        self._send_head()
        return super().sendfile(respiter)

    def close(self) -> None:
        # A response with no body bytes (HEAD, 204, 304, an empty page) is its head alone.
        self._send_head()
        super().close()
