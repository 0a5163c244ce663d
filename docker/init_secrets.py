"""One-shot ``init`` service: make sure every secret the stack needs exists as a file.

For each secret, a value given in the environment (from ``.env``) wins and is written to its
file; otherwise a file from an earlier start is kept; otherwise a random value is generated once.
The files live on the ``secrets`` named volume, where ``db`` reads them through
``MYSQL_ROOT_PASSWORD_FILE``/``MYSQL_PASSWORD_FILE`` and ``web`` through
``DJANGO_SECRET_KEY_FILE``/``DB_PASSWORD_FILE``/``CACHE_PASSWORD_FILE``, and ``cache`` its
password (docker/cache-entrypoint.sh). No secret is ever printed.

Note: MySQL applies its passwords only when it initialises an empty data volume; changing
``MYSQL_PASSWORD`` later needs an ``ALTER USER`` as well (see docs/compose.md).
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

SECRETS_DIR = Path(os.environ.get("SECRETS_DIR", "/run/todo-secrets"))

# The fixed uids/gids of the images: mysql:8.4 runs mysqld as 999:999, the web image as
# 10001:10001 and the cache image as 10002:10002 (see Dockerfile).
MYSQL_UID = MYSQL_GID = 999
APP_UID = APP_GID = 10001
CACHE_UID = 10002


@dataclass(frozen=True)
class Secret:
    name: str  # file name on the volume
    variable: str  # environment variable (from .env) whose value wins when set
    uid: int
    gid: int
    mode: int


# Each file readable only by the container that needs it: web never sees the root password.
SECRETS = (
    Secret("django_secret_key", "DJANGO_SECRET_KEY", APP_UID, APP_GID, 0o400),
    Secret("mysql_root_password", "MYSQL_ROOT_PASSWORD", MYSQL_UID, MYSQL_GID, 0o400),
    Secret("mysql_password", "MYSQL_PASSWORD", MYSQL_UID, APP_GID, 0o440),
    Secret("cache_password", "CACHE_PASSWORD", CACHE_UID, APP_GID, 0o440),
)


def _write(directory: Path, secret: Secret, value: str) -> None:
    """Write atomically without a trailing newline, then hand the file to its reader."""
    tmp = directory / f".{secret.name}.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, secret.mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    if os.geteuid() == 0:  # in the init container; a test on a host keeps its own uid
        os.chown(tmp, secret.uid, secret.gid)
    os.replace(tmp, directory / secret.name)


def ensure_secrets(directory: Path = SECRETS_DIR) -> list[str]:
    """Create or update the secret files; return one line per secret saying where it came from."""
    report = []
    for secret in SECRETS:
        path = directory / secret.name
        if value := os.environ.get(secret.variable, ""):
            _write(directory, secret, value)
            report.append(f"{secret.name}: from {secret.variable}")
        elif path.exists() and path.stat().st_size > 0:
            report.append(f"{secret.name}: kept")
        else:
            # URL-safe alphabet: no quoting trouble in DATABASE_URLs, SQL or shells.
            _write(directory, secret, secrets.token_urlsafe(48))
            report.append(f"{secret.name}: generated")
    return report


def main() -> int:
    if not os.access(SECRETS_DIR, os.W_OK):
        print(f"init: cannot write to {SECRETS_DIR} (uid {os.getuid()})", file=sys.stderr)
        return 1
    for line in ensure_secrets():
        print(f"init: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
