"""Where one request's time goes: cProfile over N in-process requests through the full stack.

    DATABASE_URL=mysql://root@127.0.0.1:3306/todo_bench DJANGO_SECRET_KEY=x \\
        python -m bench.profile --user bench1k --path / --requests 300

Needs a seeded database (``python -m bench --keep`` leaves one) and collected static files (run
it from the snapshot directory that ``--keep`` prints, or with DJANGO_DEBUG-free settings that
find a manifest). Prints the mean wall time per request, the time split by layer (SQL, template
rendering, middleware and view), and cProfile's top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--user", default="bench1k")
    parser.add_argument("--path", default="/")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument(
        "--token",
        action="store_true",
        help="send a new read-and-write API token of the user (Bearer) instead of logging in",
    )
    parser.add_argument(
        "--conditional",
        action="store_true",
        help="send If-None-Match with the ETag the path answers (so a 304 where it is unchanged)",
    )
    parser.add_argument(
        "--time-only", action="store_true", help="skip cProfile: print one JSON line of timings"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_site.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.get(username=args.user)
    headers: dict[str, str] = {}
    if args.token:
        from api.models import Scope
        from api.services import create_token

        secret = create_token(user=user, name="profile", scope=Scope.READ_WRITE).secret
        headers["Authorization"] = f"Bearer {secret}"
    client = Client(HTTP_HOST="127.0.0.1", headers=headers)
    if not args.token:
        client.force_login(user)
    if args.conditional:
        client.defaults["HTTP_IF_NONE_MATCH"] = client.get(args.path)["ETag"]
    expected = 304 if args.conditional else 200
    for _warm in range(20):
        status = client.get(args.path).status_code
        if status != expected:
            raise SystemExit(f"{args.path} answered {status}")

    started, cpu_started = time.perf_counter(), time.process_time()
    for _run in range(args.requests):
        client.get(args.path)
    plain = (time.perf_counter() - started) / args.requests
    cpu = (time.process_time() - cpu_started) / args.requests
    size = len(client.get(args.path).content)
    if args.time_only:
        print(json.dumps({"wall_ms": plain * 1000, "cpu_ms": cpu * 1000, "bytes": size}))
        return 0

    profiler = cProfile.Profile()
    profiler.enable()
    for _run in range(args.requests):
        client.get(args.path)
    profiler.disable()

    print(
        f"{args.path} as {args.user}: {plain * 1000:.2f} ms wall, {cpu * 1000:.2f} ms CPU per "
        f"request (unprofiled, mean of {args.requests}); {size:,} bytes"
    )
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    layers = {
        "SQL (cursor.execute + fetch)": ("MySQLdb/cursors.py", "execute"),
        "template rendering": ("django/template/base.py", "render"),
    }
    for label, (file_part, func) in layers.items():
        cumulative = max(
            (
                entry[3]
                for (filename, _line, name), entry in stats.stats.items()  # type: ignore[attr-defined]
                if file_part in filename and name == func
            ),
            default=0.0,
        )
        print(f"  {label}: {cumulative / args.requests * 1000:.2f} ms per request (cumulative)")
    print(f"  profiled total own time: {total / args.requests * 1000:.2f} ms per request")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
