"""A tiny threaded TCP proxy that a test can cut and restore, to simulate a database outage.

``TcpProxy(("127.0.0.1", 3306))`` listens on a free local port and relays every connection to the
upstream address. ``cut()`` drops every open connection and, until ``restore()``, accepts new ones
only to close them at once, as a crashed or unreachable MySQL server would look to a client.
``cut_when(pattern)`` arms a trigger that cuts the moment a client sends a chunk containing
``pattern`` (e.g. ``b"INSERT INTO `todos_task`"``), either before forwarding it or just after the
server's reply to it arrived (the reply is dropped): the two sides of a write in flight.
``hold_when(pattern)`` holds such a chunk until the test releases it, so a test can act between
two statements of one request (e.g. delete a row between a view's SELECT and its UPDATE).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

CHUNK = 65536


@dataclass
class Hold:
    pattern: bytes
    seen: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Trigger:
    pattern: bytes
    after_reply: bool
    fired: threading.Event = field(default_factory=threading.Event)


class _Pair:
    """One proxied connection: the client's socket and ours to the upstream server."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.drop_next_reply: _Trigger | None = None

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: set[_Pair] = set()
        self._down = False
        self._closed = False
        self._trigger: _Trigger | None = None
        self._hold: Hold | None = None
        self.connections_accepted = 0
        self.connections_refused = 0
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    # Control ----------------------------------------------------------------------------------
    def cut(self) -> None:
        """Drop every open connection and refuse new ones until restore()."""
        with self._lock:
            self._down = True
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            pair.close()

    def restore(self) -> None:
        with self._lock:
            self._down = False
            self._trigger = None
            if self._hold:
                self._hold.release.set()
                self._hold = None

    def cut_when(self, pattern: bytes, *, after_reply: bool = False) -> threading.Event:
        """Cut when a client sends ``pattern``; the returned event is set as the cut begins.

        ``after_reply=False``: the chunk is not forwarded (the server never sees the statement).
        ``after_reply=True``: it is forwarded, the server's reply is swallowed, then the cut:
        the statement took effect but the client never learns it.
        """
        trigger = _Trigger(pattern, after_reply)
        with self._lock:
            self._trigger = trigger
        return trigger.fired

    def hold_when(self, pattern: bytes) -> Hold:
        """Hold the next client chunk containing ``pattern`` until ``hold.release`` is set."""
        hold = Hold(pattern)
        with self._lock:
            self._hold = hold
        return hold

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(timeout=5)

    # Relaying ---------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        self._listener.settimeout(0.2)
        while not self._closed:
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if self._down:
                self.connections_refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, upstream)
            with self._lock:
                if self._down:
                    pair.close()
                    continue
                self._pairs.add(pair)
                self.connections_accepted += 1
            for source, target, outbound in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump, args=(pair, source, target, outbound), daemon=True
                ).start()

    def _pump(
        self, pair: _Pair, source: socket.socket, target: socket.socket, outbound: bool
    ) -> None:
        try:
            while data := source.recv(CHUNK):
                if outbound and (hold := self._hold) and hold.pattern in data:
                    self._hold = None
                    hold.seen.set()
                    hold.release.wait(timeout=60)
                if outbound:
                    trigger = self._trigger
                    if trigger and trigger.pattern in data:
                        self._trigger = None
                        if not trigger.after_reply:
                            # Set before the cut: the client may answer as soon as it sees it.
                            trigger.fired.set()
                            self.cut()
                            return
                        pair.drop_next_reply = trigger
                elif pair.drop_next_reply is not None:
                    trigger, pair.drop_next_reply = pair.drop_next_reply, None
                    trigger.fired.set()
                    self.cut()
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._pairs.discard(pair)
            pair.close()
