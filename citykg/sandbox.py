"""Queries in a child process, where a time or memory limit really stops them.

pyoxigraph cannot cancel a query. In the calling process (:func:`citykg.limits.run_limited`)
a limit returns control to the caller at once, but the query runs on in its thread
until Oxigraph is done with it, holding its memory: a notebook can still run out of
memory after the error. :class:`QueryProcess` runs queries over a read-only on-disk
store (the build cache's) in a child process instead:

- its address space is capped at what it holds once the store is open plus the
  query's memory limit (``RLIMIT_AS``; glibc's malloc kept to two arenas first, so
  the cap counts what the query allocates, not per-thread reservations). A query
  past it fails inside the child, which then ends;
- past the time limit the child is killed (``SIGKILL``: a query in compiled code
  ignores anything gentler).

Either way the caller gets :class:`~citykg.errors.QueryLimitError`, the query's
memory is given back to the system, and the next query starts a new child. The
child stays up between queries (one start-up, about a second, per graph).

The same process primitives (:func:`limit_malloc_arenas`, :func:`limit_memory`,
:func:`isolate_network`) set up the server's query workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import QueryError, QueryLimitError
from .results import QueryResult

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def isolate_network() -> bool:
    """Move this process into an empty network namespace of its own (Linux; no privileges).

    Afterwards the process has no interface but a loopback that is down: any
    connection (``SERVICE``, a redirect, DNS) fails at once. Must run before
    the process starts threads. Returns False where the kernel refuses.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            return False
        # Keep the same identity inside the namespace (files stay readable).
        try:
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"{gid} {gid} 1")
        except OSError:
            pass
        return True
    except (OSError, AttributeError):
        return False


def limit_malloc_arenas(n: int = 2) -> bool:
    """Let glibc's malloc keep at most ``n`` arenas in this process (Linux, glibc).

    Each thread that allocates may otherwise get an arena of its own that
    reserves up to 64 MiB (128 MiB on 64-bit) of address space it never uses:
    the store's threads alone then reserve 500-900 MiB, varying from run to run,
    and an address-space cap (:func:`limit_memory`) counts reservations, not
    use. With two arenas the store opens in under 300 MiB of address space,
    so the cap measures what a query allocates. Must run before the process
    starts threads.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, n))
    except (OSError, AttributeError):
        return False


def limit_memory(nbytes: int) -> bool:
    """Cap this process's address space (``RLIMIT_AS``); returns whether the cap is set."""
    if nbytes <= 0:
        return False
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))
        return True
    except (ImportError, ValueError, OSError):
        return False


def address_space() -> int:
    """This process's address space in bytes (``VmSize``); 0 where /proc is not there."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(frozen=True)
class _Job:
    text: str
    default_graphs: Sequence[str] | None
    named_graphs: Sequence[str] | None
    max_rows: int | None
    memory: int | None


def _child(store_path: str, conn: Connection) -> None:
    """The child's loop: open the store read-only, then run jobs under a per-job memory cap."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a notebook stops the parent's wait
    limit_malloc_arenas()
    import pyoxigraph as ox

    from .store import OxigraphStore

    store = OxigraphStore.wrap(ox.Store.read_only(store_path), Path(store_path), read_only=True)
    base = address_space()
    conn.send("ready")
    capped: int | None = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        assert isinstance(job, _Job)
        if job.memory is not None and capped is None and base:
            # Set once, for the child's life: RLIMIT_AS cannot be raised again.
            capped = job.memory
            limit_memory(base + job.memory)
        try:
            result: Any = store.query(
                job.text,
                default_graphs=job.default_graphs,
                named_graphs=job.named_graphs,
                max_rows=job.max_rows,
            )
            conn.send(("ok", result))
        except MemoryError:
            conn.send(("memory", ""))
            return  # whatever the query left allocated goes with the process
        except QueryError as e:
            conn.send(("error", str(e)))
        except Exception as e:  # noqa: BLE001 - the parent re-raises it as a QueryError
            conn.send(("error", f"query failed: {type(e).__name__}: {e}"))


class QueryProcess:
    """A child process that answers queries over a read-only on-disk store.

    Started on the first query; replaced after a query past its limits. A
    child's memory cap is fixed when it runs its first bounded query (an
    address-space cap cannot be raised), so a query with another memory limit
    starts a new child.
    """

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self._proc: Any = None
        self._conn: Connection | None = None
        self._memory: int | None = None
        self._lock = threading.Lock()
        #: Children started so far (the first, and one after each stopped query).
        self.starts = 0

    def _start(self) -> Connection:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_child, args=(str(self.store_path), child), name="citykg-query", daemon=True
        )
        proc.start()
        child.close()
        try:
            ready = parent.recv() if parent.poll(120) else None
        except (EOFError, OSError):
            ready = None
        if ready != "ready":
            proc.kill()
            proc.join(5)
            raise QueryError(f"the query process could not open the store at {self.store_path}")
        self._proc, self._conn = proc, parent
        self.starts += 1
        return parent

    def close(self) -> None:
        """Stop the child (it is started again by the next query)."""
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.kill()
                self._proc.join(5)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._proc = self._conn = None
        self._memory = None

    def run(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
        memory: int | None = None,
    ) -> QueryResult:
        """Run one query in the child; raise QueryLimitError past ``timeout`` s or ``memory`` bytes."""
        with self._lock:
            if self._conn is not None and self._memory is not None and self._memory != memory:
                self.close()  # another cap: a new child
            conn = self._conn or self._start()
            if memory is not None:
                self._memory = memory
            try:
                conn.send(_Job(text, default_graphs, named_graphs, max_rows, memory))
                answered = conn.poll(timeout)  # None waits for good
                reply = conn.recv() if answered else None
            except (EOFError, OSError):
                reply = ("memory", "")  # the child died: its cap stopped the engine
            except BaseException:  # Ctrl-C: the child would answer this query to the next one
                self.close()
                raise
            if reply is None:
                self.close()
                raise QueryLimitError(
                    f"the query was stopped after {timeout:g} s, its time limit: lift it "
                    "with --timeout SECONDS or --no-limit (timeout=None in Python)"
                )
            kind, value = reply
            if kind == "memory":
                self.close()
                limit = f"{memory / 10**6:,.0f} MB" if memory else "the memory it was given"
                raise QueryLimitError(
                    f"the query was stopped: it needed more than {limit}, its memory limit: "
                    "lift it with --max-memory MB or --no-limit (memory=None in Python)"
                )
            if kind == "error":
                raise QueryError(str(value))
            result: QueryResult = value
            return result
