"""The in-process caches (todo_site.cache.MemoryCache): each alias its own store, each store
bounded in bytes, least recently used first out."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from todo_site.cache import MemoryCache


@pytest.fixture(autouse=True)
def _empty() -> Iterator[None]:
    for alias in ("rows", "pages"):
        caches[alias].clear()
    yield
    for alias in ("rows", "pages"):
        caches[alias].clear()


def _budget(cache: BaseCache) -> int:
    assert isinstance(cache, MemoryCache)
    return cache._max_bytes


def _memory_of(fill: Callable[[], object]) -> int:
    """Bytes still allocated after fill() has run: what the cache kept of it."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fill()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_it_keeps_the_rows_while_the_pages_fill_up() -> None:
    caches["rows"].set("row", "<li>Buy milk</li>")
    pages = caches["pages"]
    for number in range(1000):
        pages.set(f"page-{number}", f"<main>{number}</main>")
    assert caches["rows"].get("row") == "<li>Buy milk</li>"


def test_clearing_the_pages_leaves_the_rows_and_the_default_cache(db: None) -> None:
    # The default cache is the database's (without CACHE_URL): the test's transaction undoes it.
    caches["rows"].set("row", "<li>Buy milk</li>")
    caches["default"].set("code", "123456")
    caches["pages"].set("page", "<main></main>")
    caches["pages"].clear()
    assert caches["pages"].get("page") is None
    assert caches["rows"].get("row") == "<li>Buy milk</li>"
    assert caches["default"].get("code") == "123456"


def test_large_pages_stay_within_the_budget_in_bytes() -> None:
    """A long search makes a large page: the budget holds in bytes, whatever the entries."""
    pages = caches["pages"]
    budget = _budget(pages)
    size = budget // 20

    def fill() -> None:
        for number in range(100):
            pages.set(f"page-{number}", f"<main>{number}" + "x" * size)

    assert _memory_of(fill) <= budget
    kept = [number for number in range(100) if pages.get(f"page-{number}") is not None]
    assert 10 <= len(kept) < 20  # most of the budget is used
    assert kept == list(range(100 - len(kept), 100))  # the newest


def test_many_small_rows_stay_within_the_budget_in_bytes() -> None:
    """Each entry's bookkeeping counts too: tiny values cannot grow the store past its budget."""
    rows = caches["rows"]
    budget = _budget(rows)

    def fill() -> None:
        for number in range(budget // 100):
            rows.set(f"todos:task-row:{number:032x}", number)

    assert _memory_of(fill) <= budget


def test_the_least_recently_read_goes_first() -> None:
    cache = MemoryCache("test-lru", {"OPTIONS": {"MAX_BYTES": 10_000}})
    for key in ("a", "b", "c"):
        cache.set(key, "x" * 2_500)
    assert cache.get("a") is not None  # read: now the most recent
    cache.set("d", "x" * 2_500)
    assert [key for key in "abcd" if cache.get(key) is not None] == ["a", "c", "d"]


def test_a_value_larger_than_the_budget_is_not_kept_and_evicts_nothing() -> None:
    cache = MemoryCache("test-too-large", {"OPTIONS": {"MAX_BYTES": 10_000}})
    cache.set("small", "x" * 100)
    cache.set("huge", "x" * 20_000)
    assert cache.get("huge") is None
    assert cache.get("small") == "x" * 100


def test_replacing_and_deleting_entries_gives_their_bytes_back() -> None:
    cache = MemoryCache("test-replace", {"OPTIONS": {"MAX_BYTES": 10_000}})
    for _round in range(10):
        cache.set("page", "x" * 4_000)
        cache.add("other", "x" * 4_000)
        cache.delete("other")
    cache.set("second", "x" * 4_000)
    assert cache.get("page") is not None and cache.get("second") is not None
