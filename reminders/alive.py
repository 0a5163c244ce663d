"""The worker's healthcheck, without starting Django: exits 0 while the worker's heartbeat file
(WORKER_HEARTBEAT), which it touches after every round, is younger than WORKER_STALE_AFTER
seconds (default 120), 1 when it is older or missing (the loop is stuck or never ran)."""

import os
import sys
import time

HEARTBEAT = os.environ.get("WORKER_HEARTBEAT") or "/tmp/todo-worker.alive"  # noqa: S108
STALE_AFTER = float(os.environ.get("WORKER_STALE_AFTER") or 120)


def main() -> int:
    try:
        age = time.time() - os.path.getmtime(HEARTBEAT)
    except OSError as exc:
        print(f"no heartbeat: {exc}", file=sys.stderr)
        return 1
    if age > STALE_AFTER:
        print(f"heartbeat {age:.0f} s old (more than {STALE_AFTER:.0f} s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
