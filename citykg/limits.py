"""Limits on a query run: a result cap, a time limit and a memory limit, on by default.

pyoxigraph has no per-query timeout and no way to cancel a query. It releases
the GIL while it evaluates, so :func:`run_limited` runs the query in a daemon
thread and watches it from the calling thread: past the time limit, or when
the process's resident memory has grown by more than the memory limit, it
raises :class:`~citykg.errors.QueryLimitError` at once, before the first row
if need be. What is bounded, honestly:

- the caller waits no longer than the time limit, and is told how to lift it;
- the command line exits right after (exit code 17), which ends the query and
  frees its memory: a ``citykg query`` or ``citykg sparql`` run is bounded in
  time and memory;
- in a long-lived Python process (a notebook) a bounded query on a cached
  build runs in a child process (:mod:`citykg.sandbox`) that the limits
  really stop; where there is no on-disk read-only store to share (a graph
  built in memory, ``isolate=False``) the abandoned thread runs on until
  Oxigraph finishes the query, and its memory is freed then.

>>> run_limited(lambda: 42, Limits(timeout=1.0))
42
>>> import time
>>> run_limited(lambda: time.sleep(2), Limits(timeout=0.2))
Traceback (most recent call last):
...
citykg.errors.QueryLimitError: the query was stopped after 0.2 s, its time limit: lift it with --timeout SECONDS or --no-limit (timeout=None in Python)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import QueryLimitError

#: Rows a query returns unless told otherwise (``--limit``, ``limit=``).
DEFAULT_LIMIT = 10_000
#: Seconds a query may run unless told otherwise (``--timeout``, ``timeout=``).
DEFAULT_TIMEOUT = 120.0
#: Bytes of resident memory a query may add to the process (``--max-memory``).
DEFAULT_MEMORY = 4 * 10**9

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """The bounds of one query run; ``None`` lifts a bound."""

    limit: int | None = DEFAULT_LIMIT
    offset: int = 0
    timeout: float | None = DEFAULT_TIMEOUT
    memory: int | None = DEFAULT_MEMORY

    @property
    def rows_needed(self) -> int | None:
        """Rows to read from the engine: one past the page, to know whether more follow."""
        return None if self.limit is None else self.offset + self.limit + 1


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_limited(work: Callable[[], T], limits: Limits, *, poll: float = 0.02) -> T:
    """Run ``work`` in a daemon thread; raise QueryLimitError past a time or memory limit."""
    if limits.timeout is None and limits.memory is None:
        return work()
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = e

    start_rss = _rss()
    start = time.monotonic()
    thread = threading.Thread(target=target, name="citykg-query", daemon=True)
    thread.start()
    while True:
        thread.join(poll)
        if not thread.is_alive():
            break
        elapsed = time.monotonic() - start
        if limits.timeout is not None and elapsed > limits.timeout:
            raise QueryLimitError(
                f"the query was stopped after {limits.timeout:g} s, its time limit: lift it "
                "with --timeout SECONDS or --no-limit (timeout=None in Python)"
            )
        if limits.memory is not None and start_rss and _rss() - start_rss > limits.memory:
            raise QueryLimitError(
                f"the query was stopped after {elapsed:.1f} s: it used more than "
                f"{limits.memory / 10**6:,.0f} MB, its memory limit: lift it with "
                "--max-memory MB or --no-limit (memory=None in Python)"
            )
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def page_message(shown: int, limits: Limits) -> str:
    """The one line that says a result was cut, and how to get the rest."""
    assert limits.limit is not None
    nxt = limits.offset + limits.limit
    return (
        f"showing rows {limits.offset + 1}-{limits.offset + shown}; more follow: the next page "
        f"with --offset {nxt} (offset={nxt}), all of them with --no-limit (limit=None)"
    )
