"""The ceiling: a bare WSGI app, served by the same gunicorn config file as the real one.

``gunicorn -c gunicorn.conf.py bench.hello:application`` answers every request with a fixed
200 of about the size of a small page, touching no framework and no database per request.
"""

from collections.abc import Callable, Iterable
from typing import Any

import django

# The config's access logger names each client the way the app does, with the app's modules:
# without Django's apps loaded it fails (a traceback logged) on every request, and the ceiling
# would measure that instead.
django.setup()

BODY = b"Hello, world!\n"
HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
