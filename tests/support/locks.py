"""Row locks seen from another connection: which rows a write has locked while it waits.

``ListLockHeld`` holds a list's row (SELECT ... FOR UPDATE) in a transaction on a thread and a
connection of its own. A write started meanwhile that locks lists before tasks waits on that row
holding no task row; one that locks a task first holds it while it waits. ``tasks_free`` tells
the two apart from the holder's side (FOR UPDATE NOWAIT), and ``run`` does more inside the
holder's transaction, which commits when the block ends. Tests using it need
``django_db(transaction=True)``: every connection must see the others' commits.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connection, transaction

WAIT = 10  # seconds any one step may take before the test gives up


# InnoDB refreshes what INNODB_TRX shows only when it has not been read for 0.1 s: polled more
# often, it never changes.
POLL = 0.25


def lock_waits() -> int:
    """How many transactions on this database wait for a row lock now (other databases on the
    server are not counted: other test runs may share it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.INNODB_TRX AS trx"
            " JOIN information_schema.PROCESSLIST AS process"
            " ON process.ID = trx.trx_mysql_thread_id"
            " WHERE trx.trx_state = 'LOCK WAIT' AND process.DB = DATABASE()"
        )
        (count,) = cursor.fetchone()
    return int(count)


class Background:
    """``work()`` on a thread of its own (so a connection of its own); ``result()`` joins it and
    returns its value or re-raises its exception."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self._outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                self._outcome.append((True, work()))
            except BaseException as exc:  # re-raised by result()
                self._outcome.append((False, exc))
            finally:
                connection.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, timeout: float = WAIT) -> Any:
        self._thread.join(timeout)
        assert self._outcome, "the work did not finish"
        ok, value = self._outcome[0]
        if not ok:
            raise value
        return value


class ListLockHeld:
    """``with ListLockHeld(list_id) as held:`` the list's row stays locked by another
    transaction until the block ends."""

    def __init__(self, list_id: int) -> None:
        self.list_id = list_id
        self._jobs: queue.Queue[Callable[[], Any] | None] = queue.Queue()
        self._results: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self._holder: Background | None = None

    def _hold(self) -> None:
        from todos.models import TaskList

        with transaction.atomic():
            try:
                TaskList.objects.locked(self.list_id)
            except Exception as exc:
                self._results.put((False, exc))
                return
            self._results.put((True, None))
            while (job := self._jobs.get(timeout=60)) is not None:
                try:
                    self._results.put((True, job()))
                except Exception as exc:  # handed to the caller of run()
                    self._results.put((False, exc))

    def run(self, job: Callable[[], Any]) -> Any:
        """``job()`` inside the holder's transaction; its value, or its exception re-raised."""
        self._jobs.put(job)
        ok, value = self._results.get(timeout=WAIT)
        if not ok:
            raise value
        return value

    def wait_for_a_waiter(self, writer: Background) -> None:
        """Return once some transaction waits for a lock (the write, for this list's row)."""
        deadline = time.monotonic() + WAIT
        while lock_waits() == 0:
            if writer.done():
                writer.result()  # its exception, if it failed
                raise AssertionError("the write finished without waiting for the list's lock")
            assert time.monotonic() < deadline, "the write never waited for a lock"
            time.sleep(POLL)

    def tasks_free(self, task_ids: Iterable[int]) -> bool:
        """Whether the holder can lock these task rows at once: no one else holds them."""
        from todos.models import Task

        def probe() -> bool:
            try:
                with transaction.atomic():
                    list(Task.objects.filter(pk__in=list(task_ids)).select_for_update(nowait=True))
            except DatabaseError:
                return False
            return True

        return bool(self.run(probe))

    def __enter__(self) -> ListLockHeld:
        self._holder = Background(self._hold)
        ok, value = self._results.get(timeout=WAIT)
        if not ok:
            raise value
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._jobs.put(None)
        if self._holder is not None:
            self._holder.result()


def waits_for_the_list_first(
    write: Callable[[], Any], list_id: int, task_ids: Iterable[int]
) -> Any:
    """Run ``write`` while another transaction holds the list's row and return what it returns
    once that row is free; AssertionError unless it waited for the row holding none of the
    tasks' rows."""
    with ListLockHeld(list_id) as held:
        writer = Background(write)
        held.wait_for_a_waiter(writer)
        free = held.tasks_free(task_ids)
    result = writer.result()
    assert free, "the write locked a task's row before its list's"
    return result
