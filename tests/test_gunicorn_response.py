"""Gunicorn's response as the workers send it: the head in the same write as the body
(todo_site/gunicorn_response.py), byte for byte what gunicorn's own response sends."""

from __future__ import annotations

import re
import runpy
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from gunicorn.config import Config
from gunicorn.http import RequestParser, wsgi
from gunicorn.http.message import Request
from gunicorn.http.wsgi import FileWrapper

from tests.support.live import REPO_ROOT
from todo_site.gunicorn_response import OneWriteResponse

PAGE = b"<!doctype html><title>Tasks</title>" + b"<li>task</li>" * 400


class Recorded:
    """Stands in for the client socket: records each write, sendall's and sendfile's."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def sendfile(self, file: BinaryIO, offset: int = 0, count: int | None = None) -> int:
        file.seek(offset)
        self.writes.append(file.read(-1 if count is None else count))
        return len(self.writes[-1])


@pytest.fixture
def parse_request() -> Iterator[Callable[[bytes], Request]]:
    """Gunicorn's own parser, reading the request from a socket as a worker does."""
    pairs: list[tuple[socket.socket, socket.socket]] = []

    def parse(raw: bytes) -> Request:
        client, server = socket.socketpair()
        pairs.append((client, server))
        client.sendall(raw)
        return next(iter(RequestParser(Config(), server, ("127.0.0.1", 4000))))

    yield parse
    for pair in pairs:
        for end in pair:
            end.close()


def _respond(
    response_class: type[wsgi.Response],
    parse_request: Callable[[bytes], Request],
    raw: bytes,
    status: str,
    headers: list[tuple[str, str]],
    body: list[bytes] | FileWrapper,
) -> Recorded:
    req = parse_request(raw)
    recorded = Recorded()
    resp = response_class(req, recorded, Config())
    resp.force_close()  # as gunicorn's sync worker does
    resp.start_response(status, headers)
    if isinstance(body, FileWrapper):
        resp.write_file(body)
    else:
        for item in body:
            resp.write(item)
    resp.close()
    return recorded


def _without_date(sent: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]*\r\n", b"", sent)


GET = b"GET /lists/1/ HTTP/1.1\r\nHost: web\r\n\r\n"
HEAD = b"HEAD /lists/1/ HTTP/1.1\r\nHost: web\r\n\r\n"


def test_a_page_leaves_in_one_write_head_and_body_together(parse_request):
    headers = [("Content-Type", "text/html"), ("Content-Length", str(len(PAGE)))]

    recorded = _respond(OneWriteResponse, parse_request, GET, "200 OK", headers, [PAGE])
    stock = _respond(wsgi.Response, parse_request, GET, "200 OK", headers, [PAGE])

    assert len(recorded.writes) == 1
    assert recorded.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert recorded.writes[0].endswith(b"\r\n\r\n" + PAGE)
    assert len(stock.writes) == 2  # what the head-first write would otherwise cost
    assert _without_date(recorded.writes[0]) == _without_date(b"".join(stock.writes))


@pytest.mark.parametrize(
    ("raw", "status", "headers", "body"),
    [
        (HEAD, "200 OK", [("Content-Length", str(len(PAGE)))], [PAGE]),
        (GET, "204 No Content", [], []),
        (GET, "304 Not Modified", [("ETag", '"v1"')], [b""]),
        (GET, "302 Found", [("Location", "/accounts/login/"), ("Content-Length", "0")], [b""]),
    ],
    ids=["head", "no-content", "not-modified", "empty-redirect"],
)
def test_a_response_without_body_bytes_is_its_head_alone(parse_request, raw, status, headers, body):
    recorded = _respond(OneWriteResponse, parse_request, raw, status, headers, body)
    stock = _respond(wsgi.Response, parse_request, raw, status, headers, body)

    assert len(recorded.writes) == 1
    assert recorded.writes[0].endswith(b"\r\n\r\n")
    assert _without_date(recorded.writes[0]) == _without_date(b"".join(stock.writes))


def test_a_streamed_body_sends_its_head_first_then_each_chunk(parse_request):
    parts = [b"first,", b"second,", b"third"]

    recorded = _respond(OneWriteResponse, parse_request, GET, "200 OK", [], parts)
    stock = _respond(wsgi.Response, parse_request, GET, "200 OK", [], parts)

    assert recorded.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding: chunked\r\n" in recorded.writes[0]
    assert recorded.writes[0].endswith(b"\r\n\r\n")
    assert recorded.writes[1:] == stock.writes[1:]
    assert recorded.writes[-1] == b"0\r\n\r\n"
    assert _without_date(b"".join(recorded.writes)) == _without_date(b"".join(stock.writes))


def test_a_file_goes_after_its_head(parse_request, tmp_path: Path):
    static = tmp_path / "app.css"
    static.write_bytes(b"body { margin: 0 }\n" * 50)
    headers = [("Content-Type", "text/css"), ("Content-Length", str(static.stat().st_size))]

    with static.open("rb") as first, static.open("rb") as second:
        recorded = _respond(
            OneWriteResponse, parse_request, GET, "200 OK", headers, FileWrapper(first)
        )
        stock = _respond(wsgi.Response, parse_request, GET, "200 OK", headers, FileWrapper(second))

    assert recorded.writes[0].endswith(b"\r\n\r\n")
    assert recorded.writes[1] == static.read_bytes()
    assert _without_date(b"".join(recorded.writes)) == _without_date(b"".join(stock.writes))


def test_the_gunicorn_config_installs_it_for_every_worker():
    stock = wsgi.Response
    try:
        runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
        assert wsgi.Response is OneWriteResponse
    finally:
        wsgi.Response = stock
