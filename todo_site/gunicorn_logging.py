"""gunicorn's access log: one line per request, naming the client, without the health probes.

Behind the proxy every request's peer is the proxy; each line names the client the way the app
itself decides it (``security.client_address``: the proxy's X-Forwarded-For entry). The
container's probe asks /readyz every 2 s per replica and would drown the rest: probes are logged
only with GUNICORN_LOG_PROBES=true. A calendar feed's address is its credential: its token is
left out of the line. Set in gunicorn.conf.py as ``logger_class``.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

# A calendar feed's address (calendars.urls), whose token would let whoever reads the log in.
FEED_TOKEN = re.compile(r"(?<=/calendar/)[^/?\s]+(?=\.ics)")
LOG_PROBES = os.environ.get("GUNICORN_LOG_PROBES", "").strip().lower() in {"1", "true", "yes"}


class AccessLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        # Imported here: they need Django's apps, loaded once the app is (gunicorn reads this
        # module before that).
        from todo_site.middleware import PROBES

        if LOG_PROBES or environ.get("PATH_INFO") not in PROBES:
            super().access(resp, req, environ, request_time)

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        from todo_site.security import client_address

        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["h"] = client_address(environ)
        for atom in ("r", "U"):
            atoms[atom] = FEED_TOKEN.sub("<token>", atoms[atom])
        return atoms
