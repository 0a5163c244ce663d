"""Container health probe: exit 0 when /readyz answers 200 (database reachable, migrations applied).

Used by the Dockerfile's HEALTHCHECK; stdlib only, so the image needs no curl. The timeout matters:
a probe that hangs would otherwise leave the container "starting" on some engines.
"""

import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/readyz")
TIMEOUT = float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))


def main() -> int:
    try:
        with urllib.request.urlopen(URL, timeout=TIMEOUT) as response:  # noqa: S310 (fixed http URL)
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {URL}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
