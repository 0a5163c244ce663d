"""``python -m bench.reminders``: a burst of reminders all due at one moment, sent by reminder
workers to an SMTP sink, while the tasks and Today pages are under load.

One run, on this machine:
  1. snapshots the app, collects static files and seeds a fresh database as ``python -m bench``
     does (the 1,000-task user and the Today rows' user), then ``--reminders`` (10,000) reminders
     for ``--people`` (100) accounts with e-mail addresses, each on an open task of a list its
     user owns or is an editor of (bench/seed.py);
  2. serves the app and the ceiling under gunicorn as ``python -m bench`` does, and starts an SMTP
     sink on loopback (aiosmtpd) that counts each message by recipient and subject;
  3. loads the tasks page and the Today page together (one wrk each, half the connections each)
     for ``--duration`` seconds, the ceiling before and after: the quiet figures;
  4. starts ``--workers`` (2) ``manage.py run_worker --batch N`` with EMAIL_URL at the sink, moves
     every reminder to a moment two seconds ahead, and from that moment loads the same two pages
     until the last reminder arrives (or ``--timeout``);
  5. reports the time from the due moment to the last arrival, the messages the sink got (each
     reminder's count: missing, duplicates), the latency from due to arrival (p50/p99/max), the
     reminders' states in the database, and the pages' p99 quiet and during the burst; writes it
     as Markdown and JSON into bench/results/ (``*-reminders``).
"""

# This harness starts its own subprocesses (manage.py, gunicorn, wrk) from fixed argv lists.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import email.parser
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bench.run import (
    SCENARIOS,
    WSGI_APP,
    Env,
    Load,
    Scenario,
    add_run_arguments,
    drop_database,
    gunicorn,
    load_average,
    log,
    ms,
    mysql_connect,
    prepare,
    run_meta,
    run_seed,
    save_report,
    summarise,
    worker_pids,
)
from tests.support.live import free_port, stop_process

PAGES = ["tasks-1k", "today-1k"]
# Where the reminders wait while the quiet rows run: far enough ahead that no worker sends one.
PARKED = dt.timedelta(days=1)
# From moving the reminders to their due moment: the workers' next poll finds them due.
LEAD = dt.timedelta(seconds=2)
# The people's reminders (bench/seed.py), not those seed_demo gives the page rows' users.
THEIRS = "JOIN auth_user u ON u.id = r.user_id AND u.email LIKE %s"
DOMAIN = "%@bench.invalid"


class Sink:
    """An SMTP server on loopback that counts each message by its recipient and subject, with
    the moment each first arrived. Only the headers are parsed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.counts: dict[tuple[str, str], int] = {}
        self.first: dict[tuple[str, str], float] = {}
        self.last_arrival = 0.0
        self.lock = threading.Lock()
        self._parser = email.parser.BytesHeaderParser()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        subject = str(self._parser.parsebytes(envelope.content)["Subject"])
        with self.lock:
            for to in envelope.rcpt_tos:
                key = (to, subject)
                self.counts[key] = self.counts.get(key, 0) + 1
                self.first.setdefault(key, now)
            self.last_arrival = now
        return "250 Message accepted for delivery"

    def received(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@dataclasses.dataclass
class Workers:
    """``manage.py run_worker`` processes, each in its own process group, logging to a file."""

    env: Env
    workdir: Path
    count: int
    batch: int
    email_url: str
    processes: list[subprocess.Popen[bytes]] = dataclasses.field(default_factory=list)

    def __enter__(self) -> Workers:
        for number in range(1, self.count + 1):
            values = self.env.values | {
                "EMAIL_URL": self.email_url,
                "WORKER_HEARTBEAT": str(self.workdir / f"worker-{number}.alive"),
            }
            with self.log(number).open("wb") as output:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "run_worker", "--batch", str(self.batch)],
                        cwd=self.env.app,
                        env=values,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        return self

    def log(self, number: int) -> Path:
        return self.workdir / f"worker-{number}.log"

    def wait_started(self, timeout: float = 60) -> None:
        """Until every worker has started its rounds."""
        deadline = time.monotonic() + timeout
        for number, process in enumerate(self.processes, start=1):
            while "worker: sending" not in self.log(number).read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    output = self.log(number).read_text()
                    raise SystemExit(f"worker {number} did not start:\n{output}")
                time.sleep(0.1)

    def running(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            stop_process(process)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reminders", description=__doc__.split("\n")[0]
    )
    add_run_arguments(parser)
    parser.add_argument("--reminders", type=int, default=10_000, help="all due at once (10,000)")
    parser.add_argument("--people", type=int, default=100, help="their recipients (100)")
    parser.add_argument("--workers", type=int, default=2, help="run_worker processes (2)")
    parser.add_argument("--batch", type=int, default=50, help="run_worker --batch (50)")
    parser.add_argument("--target", type=float, default=120, help="seconds to send them all (120)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (600 s)")
    args = parser.parse_args(argv)
    args.label = "-".join(filter(None, ["reminders", args.label]))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="todo-bench-reminders-"))
    started = dt.datetime.now(dt.UTC)
    load_at_start = load_average()
    pages = [scenario for scenario in SCENARIOS if scenario.name in PAGES]
    env = prepare(args, workdir, pages)
    seed_reminders(args, env)
    load = Load(args, env, workdir)
    with (
        Sink() as sink,
        gunicorn(env, "hello", "bench.hello:application", args.gunicorn_arg, "/", workdir) as hello,
        gunicorn(env, "app", WSGI_APP, args.gunicorn_arg, "/healthz", workdir) as server,
    ):
        load.base = server.url
        load.log_in(pages)
        ceiling = SCENARIOS[0]
        log("quiet: the pages under load, the ceiling before and after")
        hellos = [load.measure(ceiling, hello.url + "/")]
        quiet = pages_together(load, pages)
        hellos.append(load.measure(ceiling, hello.url + "/"))
        with Workers(env, workdir, args.workers, args.batch, sink.url) as workers:
            workers.wait_started()
            due = due_now(args)
            log(f"burst: {args.reminders:,} reminders due at {due:%H:%M:%S} UTC")
            time.sleep(max(0.0, due.timestamp() - time.time()))
            burst = burst_under_load(args, load, pages, sink, workers)
        worker_output = [workers.log(number).read_text() for number in range(1, args.workers + 1)]
        hellos.append(load.measure(ceiling, hello.url + "/"))
        gunicorn_workers = len(worker_pids(server))
    for row in quiet:
        row["ceiling_rps"] = (hellos[0]["rps"] + hellos[1]["rps"]) / 2
    for row in burst["pages"]:
        row["ceiling_rps"] = (hellos[1]["rps"] + hellos[2]["rps"]) / 2
        row["ratio"] = row["rps"] / row["ceiling_rps"]
    report = summarise(hellos, quiet) | {
        "burst": burst | delivery(args, sink, due),
        "workers_log": [output.splitlines()[-3:] for output in worker_output],
        "meta": run_meta(args, started, load_at_start, gunicorn_workers) | delivery_meta(args, env),
    }
    save_report(report, render_markdown(report), started, args.label)
    if args.keep:
        log(f"kept {workdir} and the database")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        drop_database(args.database_url)
    return 0


def seed_reminders(args: argparse.Namespace, env: Env) -> None:
    log(f"seed {args.reminders:,} reminders for {args.people} people")
    spec = {
        "reminders": args.reminders,
        "people": args.people,
        "at": (dt.datetime.now(dt.UTC) + PARKED).isoformat(),
    }
    run_seed(env, spec, "the reminders")


def due_now(args: argparse.Namespace) -> dt.datetime:
    """Every reminder due at one whole second, LEAD from now."""
    due = (dt.datetime.now(dt.UTC) + LEAD).replace(microsecond=0) + dt.timedelta(seconds=1)
    connection = mysql_connect(args.database_url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"UPDATE reminders_reminder r {THEIRS} SET r.remind_at = %s",  # noqa: S608
            [DOMAIN, due.replace(tzinfo=None)],
        )
        connection.commit()
    finally:
        connection.close()
    return due


def pages_together(
    load: Load,
    pages: list[Scenario],
    *,
    duration: float | None = None,
    stop: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Each page under its own wrk at once, half the run's connections each."""
    load.wrk_options["connections"] = max(1, load.args.connections // len(pages))
    load.wrk_options["threads"] = 1
    warmup = 0.0 if stop else None
    with ThreadPoolExecutor(len(pages)) as pool:
        rows = list(
            pool.map(
                lambda page: load.measure(page, duration=duration, warmup=warmup, stop=stop), pages
            )
        )
    load.wrk_options |= {"connections": load.args.connections, "threads": load.args.threads}
    return rows


def burst_under_load(
    args: argparse.Namespace, load: Load, pages: list[Scenario], sink: Sink, workers: Workers
) -> dict[str, Any]:
    """The pages under load from the due moment until the last reminder arrives."""
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        rows = pool.submit(pages_together, load, pages, duration=args.timeout, stop=stop)
        began = time.monotonic()
        while sink.received() < args.reminders and time.monotonic() - began < args.timeout:
            if not workers.running():
                log("a worker exited: see its log")
                break
            time.sleep(0.1)
        stop.set()
        return {"pages": rows.result(), "load_s": time.monotonic() - began}


def expected_messages(args: argparse.Namespace) -> set[tuple[str, str]]:
    """Each reminder's recipient and subject (reminders.mail), as the database has them."""
    connection = mysql_connect(args.database_url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT u.email, t.title FROM reminders_reminder r {THEIRS} "  # noqa: S608
            "JOIN todos_task t ON t.id = r.task_id",
            [DOMAIN],
        )
        return {(address, f"[todo] Reminder: {title}") for address, title in cursor.fetchall()}
    finally:
        connection.close()


def states(args: argparse.Namespace) -> dict[str, int]:
    connection = mysql_connect(args.database_url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT r.state, COUNT(*) FROM reminders_reminder r {THEIRS} GROUP BY r.state",  # noqa: S608
            [DOMAIN],
        )
        return dict(cursor.fetchall())
    finally:
        connection.close()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def delivery(args: argparse.Namespace, sink: Sink, due: dt.datetime) -> dict[str, Any]:
    expected = expected_messages(args)
    with sink.lock:
        counts = dict(sink.counts)
        first = dict(sink.first)
        last = sink.last_arrival
    latencies = [first[key] - due.timestamp() for key in expected if key in first]
    return {
        "due": due.isoformat(timespec="seconds"),
        "reminders": len(expected),
        "received": sum(counts.values()),
        "distinct": len(counts),
        "missing": len(expected - counts.keys()),
        "duplicates": sum(count - 1 for count in counts.values()),
        "unexpected": len(counts.keys() - expected),
        "all_sent_s": last - due.timestamp() if last else None,
        "target_s": args.target,
        "latency_s": {
            "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies),
        }
        if latencies
        else {},
        "states": states(args),
    }


def delivery_meta(args: argparse.Namespace, env: Env) -> dict[str, Any]:
    return {
        "reminder_workers": args.workers,
        "batch": args.batch,
        "people": args.people,
        "worker_interval_s": env.values.get("WORKER_INTERVAL", "5 (the default)"),
    }


def render_markdown(report: dict[str, Any]) -> str:
    meta, burst = report["meta"], report["burst"]
    latency = burst["latency_s"]
    all_sent = burst["all_sent_s"]
    lines = [
        f"Run {meta['started']} · commit {meta['commit']} · {meta['cpus']} CPUs · "
        f"{meta['reminder_workers']} `run_worker --batch {meta['batch']}` processes "
        f"(WORKER_INTERVAL {meta['worker_interval_s']}) · gunicorn {meta['worker_class']} "
        f"workers · each page under `wrk -t1 -c{meta['connections'] // len(PAGES)}` at once · "
        f"load average at start {meta['loadavg']}, at the end {meta['loadavg_end']}",
        "",
        f"{burst['reminders']:,} reminders for {meta['people']} people, all due at "
        f"{burst['due']}: the last arrived "
        + (f"{all_sent:.1f} s after" if all_sent is not None else "never")
        + f" (target {burst['target_s']:g} s). The sink got {burst['received']:,} messages, "
        f"{burst['distinct']:,} distinct: {burst['missing']} missing, {burst['duplicates']} "
        f"duplicates, {burst['unexpected']} unexpected. States: "
        + ", ".join(f"{state} {count:,}" for state, count in sorted(burst["states"].items()))
        + ".",
        "",
        "Due → arrival: "
        + (
            f"p50 {latency['p50']:.1f} s, p99 {latency['p99']:.1f} s, max {latency['max']:.1f} s."
            if latency
            else "nothing arrived."
        ),
        "",
        "| page | quiet req/s | quiet p50 ms | quiet p99 ms | burst req/s | burst p50 ms "
        "| burst p99 ms | non-2xx | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    quiet = {row["scenario"]: row for row in report["rows"]}
    for row in burst["pages"]:
        calm = quiet[row["scenario"]]
        lines.append(
            f"| {row['scenario']} | {calm['rps']:,.0f} | {ms(calm['latency_us']['p50'])} "
            f"| {ms(calm['latency_us']['p99'])} | {row['rps']:,.0f} "
            f"| {ms(row['latency_us']['p50'])} | {ms(row['latency_us']['p99'])} "
            f"| {calm['unexpected_status'] + row['unexpected_status']} "
            f"| {calm['socket_errors'] + row['socket_errors']} |"
        )
    ceiling = report["ceiling"]
    lines += [
        "",
        f"Both pages ran at once, quiet for {meta['duration']:g} s and during the burst for "
        f"{burst['load_s']:.1f} s (from the due moment to the last arrival). The ceiling: "
        + ", ".join(f"{run:,.0f}" for run in ceiling["runs"])
        + " req/s before the quiet rows, between them and the burst, and after it.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
