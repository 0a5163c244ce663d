"""Gunicorn settings for the todo app, read by ``gunicorn -c gunicorn.conf.py``.

Everything has a production default and an environment override, so the same file serves the
container (``0.0.0.0:8000``) and host-side tests and benchmarks (``GUNICORN_BIND=127.0.0.1:18001``).
"""

import os


def _cpu_count() -> int:
    """CPUs this process may run on (cgroup-pinned containers see fewer than the host has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _default_workers() -> int:
    # Gunicorn's rule of thumb, 2 x CPUs + 1, capped so a large host does not start dozens of
    # ~60 MB workers for one small app. WEB_CONCURRENCY (the PaaS convention) overrides it.
    return min(2 * _cpu_count() + 1, 8)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY") or _default_workers())
worker_class = "sync"

# A request that takes longer than this is a bug or a stuck query: the worker is killed and
# replaced. graceful_timeout is how long `docker stop` (SIGTERM) waits for in-flight requests.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Import the app once in the master, then fork: workers start in milliseconds instead of each
# importing Django, which shortens cold starts and worker recycling. Nothing opens a database
# connection at import time, so none is shared across the fork.
preload_app = True

# Recycle workers now and then so a slow leak never grows unbounded (jitter avoids all at once).
# Rarely: a recycled worker loses its kept pages and rows, and a worker's RSS stops growing once
# they are full (measured: 65 MiB, then flat at ~95 MiB from 2,000 to 12,000 requests).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000

# Logs go to stdout/stderr, where `docker compose logs` collects them. The access log names the
# client, not the proxy, and leaves out the health probes (todo_site/gunicorn_logging.py).
accesslog = "-"
logger_class = "todo_site.gunicorn_logging.AccessLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The heartbeat file lives in RAM: the container's root file system is read-only, and a
# disk-backed /tmp can block workers (see Gunicorn's FAQ on os.fchmod).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Gunicorn >= 25.1 opens a control socket under $HOME by default; the container has no writable
# home, and nothing here uses `gunicornc`. Set GUNICORN_CONTROL_SOCKET to a path to enable it.
if control_socket_path := os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = control_socket_path
else:
    control_socket_disable = True
