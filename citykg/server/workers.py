"""Query workers: SPARQL queries run in separate processes that can really be stopped.

Every worker process holds its own read-only copy of the graph (an on-disk
Oxigraph store published once by :func:`publish_snapshot`) and runs under OS
limits set before it opens the store: an address-space cap (``RLIMIT_AS``) and,
where the kernel allows it, an empty network namespace of its own, so that
even a query the guard misread could not reach any address.

A request goes through two lanes (:class:`WorkerPool`):

1. the *light* lane parses it (:func:`citykg.guard.inspect`: updates,
   ``SERVICE`` off the allow-list, unreadable or too deeply nested text are
   refused before any engine sees the text) and, if the parse tree says it is
   cheap, runs it too;
2. any other query runs in the *heavy* lane.

Each lane has its own workers and a bounded queue, so heavy queries never hold
up light ones. The time limit counts from the request's arrival (queue time
included); a query past it gets its process killed and replaced. Results are
serialised in the worker row by row and cut at a number of rows and of bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import guard
from ..errors import CitykgError, ForbiddenQueryError, QueryError
from ..results import serialize_boolean, serialize_solutions, serialize_triples
from ..sandbox import isolate_network, limit_malloc_arenas, limit_memory
from ..sparqltext import nesting_depth, tokenize

log = logging.getLogger("citykg.server")

#: Result media types of SELECT and ASK queries, preferred first.
RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
}
#: RDF media types of CONSTRUCT and DESCRIBE queries, preferred first.
RDF_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}


class PoolBusy(CitykgError):
    """Every worker is busy and the waiting queue is full: try again later."""


class QueryTimeout(QueryError):
    """A query ran past the time limit; its worker was stopped."""


class QueryTooLarge(QueryError):
    """The query text is longer than the server accepts."""


class WorkerFailed(CitykgError):
    """A worker process died or failed while running a query (a crash, or its memory cap)."""


MIB = 1024 * 1024
#: Heavy workers run at a lower CPU priority, so that light requests get the CPU first.
HEAVY_NICE = 10


@dataclass(frozen=True)
class Limits:
    """The limits every query runs under."""

    timeout: float = 30.0
    max_rows: int = 10_000
    max_query_chars: int = 20_000
    max_nesting: int = 40
    workers: int = 2
    queue: int = 8
    allowed_services: frozenset[str] = frozenset()
    #: Results are cut at this many bytes (serialised), besides ``max_rows``.
    max_result_bytes: int = 16 * MIB
    #: Address space of one worker process (``RLIMIT_AS``); 0 for no cap.
    worker_memory: int = 2048 * MIB
    #: Workers of the light lane (parsing, and the queries the parse tree says are cheap).
    light_workers: int = 1
    #: Requests that may wait for a light worker before 503.
    light_queue: int = 32
    #: A light query running longer than this is stopped and run again in the heavy lane.
    light_timeout: float = 1.0
    #: Parsing a query may take this many CPU seconds of its worker (a light one, or a
    #: heavy one for long texts); counted in CPU time, so a busy machine or the heavy
    #: lane's lower priority does not turn an ordinary parse into a refusal.
    parse_timeout: float = 5.0
    #: Only texts up to this length are parsed and run in the light lane.
    light_max_chars: int = 1_000
    #: Operators (``!``, ``+``, ``&&``, ``=``...) a query may hold: the parser's cost grows with them.
    max_operators: int = 1_000


@dataclass(frozen=True)
class Job:
    """One query for a worker: the text, the result media type and the dataset."""

    text: str
    media_type: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 10_000
    max_bytes: int = 16 * MIB
    base_iri: str | None = None
    has_dataset: bool = False


@dataclass(frozen=True)
class Inspect:
    """A job for a light worker: parse a query and judge it (:func:`citykg.guard.inspect`)."""

    text: str
    allowed_services: frozenset[str] = frozenset()
    #: CPU seconds the parse may take in the worker (0: no limit there).
    cpu_limit: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What a worker answers: a serialised result, or an error message."""

    ok: bool
    media_type: str = ""
    body: bytes = b""
    truncated: bool = False
    count: int = 0
    error: str = ""
    client_error: bool = True
    elapsed: float = 0.0
    vars: list[str] = field(default_factory=list)
    #: What cut the result: ``"rows"`` or ``"bytes"`` (empty when complete).
    cut: str = ""
    verdict: guard.Verdict | None = None
    forbidden: bool = False


def precheck(text: str, limits: Limits) -> None:
    """The cheap checks made in the server process before a query is parsed.

    Raises :class:`QueryTooLarge` for a text past the length cap and
    :class:`~citykg.errors.QueryError` for excessive nesting (a resource
    bound only: what the query does is decided from its parse tree).
    """
    if len(text) > limits.max_query_chars:
        raise QueryTooLarge(
            f"the query is {len(text):,} characters long; this server accepts at most "
            f"{limits.max_query_chars:,}"
        )
    depth = nesting_depth(text)
    if depth > limits.max_nesting:
        raise QueryError(
            f"the query is nested {depth} levels deep (brackets, braces, parentheses); "
            f"this server accepts at most {limits.max_nesting}"
        )
    ops = operator_count(text)
    if ops > limits.max_operators:
        raise QueryError(
            f"the query has {ops:,} operators (!, +, -, *, /, &&, ||, =, <, >...); "
            f"this server accepts at most {limits.max_operators:,}"
        )


_OPERATORS = frozenset({"!", "+", "-", "*", "/", "&&", "||", "=", "!=", "<", ">", "<=", ">="})


def operator_count(text: str) -> int:
    """How many operator tokens a query holds (outside strings, IRIs and comments).

    >>> operator_count("ASK { FILTER(!!!(1 + 2 > 3) && 1+1) } # + + +")
    7
    """
    return sum(
        1
        for t in tokenize(text)
        if (t.kind == "punct" and t.text in _OPERATORS)
        or (t.kind == "number" and t.text[0] in "+-")  # "1+1": the tokenizer reads "+1"
    )


def inspect_query(text: str, limits: Limits) -> str:
    """Refuse a query before it runs; return its form (``SELECT``...), in this process.

    The server does this in a light worker instead (:meth:`WorkerPool.inspect`).

    >>> inspect_query("ASK {}", Limits())
    'ASK'
    """
    precheck(text, limits)
    return guard.check_safe(text, limits.allowed_services)


# --- in the worker -----------------------------------------------------------
# Results are written by citykg.results, the one writer of the SPARQL result
# formats (the command line's and the API's too), with the row and byte caps.


def _dataset(job: Job) -> dict[str, Any]:
    if job.default_graphs is None and job.named_graphs is None:
        return {} if job.has_dataset else {"use_default_graph_as_union": True}
    return {
        "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
        "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
    }


def _graph_result(res: Iterable[ox.Triple], job: Job) -> tuple[bytes, int, str]:
    """CONSTRUCT/DESCRIBE triples, cut at ``max_rows`` triples or about ``max_bytes`` bytes."""
    return serialize_triples(
        res, RDF_TYPES[job.media_type], max_rows=job.max_rows, max_bytes=job.max_bytes
    )


def run_job(store: ox.Store, job: Job) -> Answer:
    """Run one job on a store and serialise its result (this is what a worker does)."""
    t0 = time.perf_counter()
    try:
        res = store.query(job.text, base_iri=job.base_iri, **_dataset(job))
        if isinstance(res, ox.QueryBoolean):
            fmt = RESULT_TYPES[job.media_type]
            return Answer(
                True,
                job.media_type,
                serialize_boolean(bool(res), fmt),
                count=1,
                elapsed=time.perf_counter() - t0,
            )
        if isinstance(res, ox.QuerySolutions):
            fmt = RESULT_TYPES[job.media_type]
            names = [v.value for v in res.variables]
            rows = ([sol[i] for i in range(len(names))] for sol in res)
            body, count, cut = serialize_solutions(
                names, rows, fmt, max_rows=job.max_rows, max_bytes=job.max_bytes
            )
            return Answer(
                True,
                job.media_type,
                body,
                truncated=bool(cut),
                count=count,
                elapsed=time.perf_counter() - t0,
                vars=names,
                cut=cut,
            )
        body, count, cut = _graph_result(res, job)
        return Answer(
            True,
            job.media_type,
            body,
            truncated=bool(cut),
            count=count,
            elapsed=time.perf_counter() - t0,
            cut=cut,
        )
    except SyntaxError as e:
        return Answer(False, error=f"malformed query: {e.msg or e}")
    except MemoryError:
        return Answer(False, error="the query needs more memory than this server gives one query")
    except (ValueError, TypeError, RuntimeError) as e:
        return Answer(False, error=f"the query failed: {e}")
    except OSError as e:
        return Answer(False, error=f"the store failed: {e}", client_error=False)


class _ParseTooLong(BaseException):
    """Raised in a worker by ``SIGPROF`` when a parse has used its CPU time."""


def _parse_too_long(signum: int, frame: object) -> None:
    raise _ParseTooLong


PARSE_TOO_LONG = "the query could not be parsed within this server's limits; simplify it"


def run_inspect(job: Inspect) -> Answer:
    """Parse and judge a query (:func:`citykg.guard.inspect`); this is what a light worker does.

    The parse may use ``job.cpu_limit`` CPU seconds of this process (an
    ``ITIMER_PROF`` timer; the parser is Python, so the signal stops it at once).
    """
    armed = job.cpu_limit > 0 and hasattr(signal, "setitimer")
    if armed:
        previous = signal.signal(signal.SIGPROF, _parse_too_long)
        signal.setitimer(signal.ITIMER_PROF, job.cpu_limit)
    try:
        return _inspect(job)
    except _ParseTooLong:
        return Answer(False, error=PARSE_TOO_LONG)
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)


def _inspect(job: Inspect) -> Answer:
    try:
        return Answer(True, verdict=guard.inspect(job.text, job.allowed_services))
    except ForbiddenQueryError as e:
        return Answer(False, error=str(e), forbidden=True)
    except QueryError as e:
        return Answer(False, error=str(e))
    except MemoryError:
        return Answer(False, error="the query is too large to parse")
    except Exception as e:  # noqa: BLE001 - a guard failure refuses the query, never kills the worker
        return Answer(False, error=f"the query could not be checked: {type(e).__name__}")


# --- the worker process ------------------------------------------------------


def _worker_main(
    store_path: str, conn: Connection, memory: int, isolate: bool, nice: int = 0
) -> None:
    """The loop of a worker process: isolate, cap, open the store read-only, answer jobs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice and os.getpriority(os.PRIO_PROCESS, 0) < nice:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, nice)  # heavy queries yield the CPU
    isolated = isolate_network() if isolate else False
    if memory > 0:
        limit_malloc_arenas()
    capped = limit_memory(memory)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    store = ox.Store.read_only(store_path)
    conn.send(("ready", isolated, capped))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(job, Inspect):
            conn.send(run_inspect(job))
        else:
            conn.send(run_job(store, job))


# --- the pool, in the server process ---------------------------------------


class Worker:
    """One worker process and the pipe to it; restarted after a timeout or a crash."""

    def __init__(
        self,
        store_path: Path,
        index: int,
        *,
        memory: int = 0,
        lane: str = "heavy",
        isolate: bool = True,
        nice: int = 0,
        keep_spare: bool = False,
    ) -> None:
        self.store_path = store_path
        self.nice = nice
        self.keep_spare = keep_spare
        self.spare: tuple[Any, Connection] | None = None
        self.isolate = isolate
        self.index = index
        self.memory = memory
        self.lane = lane
        self.process: Any = None
        self.conn: Connection | None = None
        self.restarts = 0
        self.isolated = False
        self.capped = False
        #: The time limit named in messages (the budget of one call may be less).
        self.time_limit = 30.0
        self.start()

    def _spawn(self) -> tuple[Any, Connection]:
        """Start a worker process; it says "ready" on the pipe once it has opened the store."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_worker_main,
            args=(str(self.store_path), child, self.memory, self.isolate, self.nice),
            name=f"citykg-{self.lane}-worker-{self.index}",
            daemon=True,
        )
        proc.start()
        if self.nice and proc.pid is not None:
            # Lowered at once, from here: the child's own start-up (imports) already
            # yields the CPU to light requests.
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, proc.pid, self.nice)
        child.close()
        return proc, parent

    def start(self, wait: float = 60.0) -> None:
        """Start the process (or take the spare) and wait until it has opened the store.

        With ``keep_spare``, a next process is started at once and waits, ready,
        so that the worker is back at once after a kill.
        """
        if self.spare is not None and self.spare[0].is_alive():
            proc, parent = self.spare
        else:
            proc, parent = self._spawn()
        self.spare = None
        try:
            hello = parent.recv() if parent.poll(wait) else None
        except (EOFError, OSError):  # the process died before it was ready
            hello = None
        if not (isinstance(hello, tuple) and hello[0] == "ready"):
            proc.kill()
            raise WorkerFailed(
                "a query worker did not start (with a low --worker-memory, raise it: a worker "
                "needs about 300 MiB of address space to open the store)"
            )
        self.isolated, self.capped = bool(hello[1]), bool(hello[2])
        self.process, self.conn = proc, parent
        if self.keep_spare:
            self.spare = self._spawn()

    def stop(self, *, spare: bool = False) -> None:
        """Kill the process (SIGKILL: a query in compiled code ignores anything gentler).

        ``spare=True`` kills the spare process too (when the server stops).
        """
        if self.process is not None and self.process.is_alive():
            self.process.kill()
        if self.process is not None:
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process = self.conn = None
        if spare and self.spare is not None:
            proc, conn = self.spare
            proc.kill()
            proc.join(5)
            conn.close()
            self.spare = None

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def ask(self, job: Job | Inspect, timeout: float) -> Answer:
        """Send a job and wait for its answer; kill the process past ``timeout``.

        A killed worker is started again by :meth:`Lane.run` after the client
        has its answer (or by the next :meth:`ask`).
        """
        conn = self.conn
        if conn is None:
            self.start()
            conn = self.conn
            assert conn is not None
        try:
            conn.send(job)
            if conn.poll(max(timeout, 0.001)):
                answer = conn.recv()
                assert isinstance(answer, Answer)
                return answer
        except (EOFError, OSError, AssertionError) as e:
            log.error(
                "%s worker %d failed (%s); restarting it", self.lane, self.index, type(e).__name__
            )
            self.stop()
            self.restarts += 1
            raise WorkerFailed(
                "the query stopped its worker (past the memory limit, or a crash of the engine)"
            ) from None
        log.warning(
            "query timed out after %.1f s in the %s lane; killing worker %d (pid %s)",
            timeout,
            self.lane,
            self.index,
            getattr(self.process, "pid", "?"),
        )
        self.stop()
        self.restarts += 1
        raise QueryTimeout(
            f"the query ran past the time limit ({self.time_limit:g} s, counted from its "
            "arrival) and was stopped; narrow it down (a LIMIT, a more selective pattern)"
        )


class Lane:
    """Worker processes with a bounded queue of requests waiting for one of them."""

    def __init__(self, name: str, workers: list[Worker], queue: int) -> None:
        self.name = name
        self.workers = workers
        self.queue = queue
        self._idle: asyncio.Queue[Worker] | None = None
        self._reviving: set[asyncio.Task[None]] = set()
        self.pending = 0
        self.served = 0
        self.refused = 0

    async def _revive(self, worker: Worker) -> None:
        import anyio.to_thread

        try:
            await anyio.to_thread.run_sync(worker.start)
        except WorkerFailed:
            log.error(
                "%s worker %d did not restart; it starts on next use", self.name, worker.index
            )
        self._queue().put_nowait(worker)

    @property
    def idle(self) -> int:
        """Workers ready for a query now (not running one, not being restarted)."""
        return self._idle.qsize() if self._idle is not None else len(self.workers)

    def _queue(self) -> asyncio.Queue[Worker]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for w in self.workers:
                self._idle.put_nowait(w)
        return self._idle

    async def run(self, job: Job | Inspect, deadline: float, limit: float | None = None) -> Answer:
        """Run a job on the next free worker of this lane, by ``deadline`` (``time.monotonic``).

        The wait for a worker counts against the deadline. ``limit`` caps the
        time the job may run once it has a worker. Raises :class:`PoolBusy` at
        once when the queue is full and :class:`QueryTimeout` past the deadline.
        """
        import anyio.to_thread

        if self.pending >= len(self.workers) + self.queue:
            self.refused += 1
            raise PoolBusy(
                f"the server is busy: every {self.name} query worker is taken and the queue is full"
            )
        self.pending += 1
        try:
            idle = self._queue()
            try:
                worker = await asyncio.wait_for(idle.get(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise QueryTimeout(
                    "the query waited for a free worker until its time limit ran out; "
                    "the server is busy"
                ) from None
            budget = deadline - time.monotonic()
            if limit is not None:
                budget = min(budget, limit)
            if budget <= 0.01:  # nothing left: do not start (and then kill) a worker for it
                idle.put_nowait(worker)
                raise QueryTimeout(
                    "the query waited for a free worker until its time limit ran out; "
                    "the server is busy"
                )
            try:
                answer = await anyio.to_thread.run_sync(worker.ask, job, budget)
            except (QueryTimeout, WorkerFailed):
                # Answer the client now; the worker rejoins the lane once restarted.
                task = asyncio.get_running_loop().create_task(self._revive(worker))
                self._reviving.add(task)
                task.add_done_callback(self._reviving.discard)
                raise
            except BaseException:
                idle.put_nowait(worker)
                raise
            idle.put_nowait(worker)
            self.served += 1
            return answer
        finally:
            self.pending -= 1


class WorkerPool:
    """The light lane (parsing and cheap queries) and the heavy lane (everything else)."""

    def __init__(self, store_path: Path, limits: Limits) -> None:
        self.store_path = store_path
        self.limits = limits
        memory = limits.worker_memory
        self.light = Lane(
            "light",
            [
                # A spare process each: a light worker killed past its budget is back at once.
                Worker(store_path, i, memory=memory, lane="light", keep_spare=True)
                for i in range(max(1, limits.light_workers))
            ],
            limits.light_queue,
        )
        self.heavy = Lane(
            "heavy",
            [
                # An allow-listed SERVICE needs the network: only then heavy workers have it.
                Worker(
                    store_path,
                    i,
                    memory=memory,
                    lane="heavy",
                    isolate=not limits.allowed_services,
                    nice=HEAVY_NICE,
                )
                for i in range(max(1, limits.workers))
            ],
            limits.queue,
        )
        self.workers = self.light.workers + self.heavy.workers
        for w in self.workers:
            w.time_limit = limits.timeout
        if not all(w.isolated for w in self.workers if w.isolate):
            log.warning(
                "query workers could not get a network namespace of their own; outbound "
                "calls are stopped by the query guard only"
            )

    @property
    def pending(self) -> int:
        """Requests running or waiting for a worker, in both lanes."""
        return self.light.pending + self.heavy.pending

    @property
    def served(self) -> int:
        return self.light.served + self.heavy.served

    @property
    def refused(self) -> int:
        return self.light.refused + self.heavy.refused

    def deadline(self) -> float:
        """The deadline of a request arriving now."""
        return time.monotonic() + self.limits.timeout

    async def inspect(self, text: str, deadline: float | None = None) -> guard.Verdict:
        """Parse and judge a query in a light worker; raise what :func:`citykg.guard.inspect` raises.

        A parse past ``parse_timeout`` CPU seconds of its worker (or a crash of
        the parser) is the query's fault: a :class:`~citykg.errors.QueryError`.
        The worker counts the CPU time itself; the wall-clock limit here is a
        backstop of four times as long (within the request's time limit).
        """

        precheck(text, self.limits)
        deadline = deadline if deadline is not None else self.deadline()
        # Long texts take long to parse: they are parsed in the heavy lane.
        lane = self.light if len(text) <= self.limits.light_max_chars else self.heavy
        cpu = self.limits.parse_timeout
        try:
            answer = await lane.run(
                Inspect(text, self.limits.allowed_services, cpu_limit=cpu), deadline, 4 * cpu
            )
        except (QueryTimeout, WorkerFailed):
            if time.monotonic() >= deadline:
                raise
            raise QueryError(PARSE_TOO_LONG) from None
        if not answer.ok:
            raise (ForbiddenQueryError if answer.forbidden else QueryError)(answer.error)
        assert answer.verdict is not None
        return answer.verdict

    async def run(self, job: Job, verdict: guard.Verdict, deadline: float | None = None) -> Answer:
        """Run an inspected query: in the light lane if its parse tree says it is cheap.

        A light query that runs past ``light_timeout`` is stopped and run again
        in the heavy lane, within what is left of the time limit.
        """
        deadline = deadline if deadline is not None else self.deadline()
        if verdict.light and len(job.text) <= self.limits.light_max_chars:
            try:
                return await self.light.run(job, deadline, self.limits.light_timeout)
            except QueryTimeout:
                if time.monotonic() >= deadline:
                    raise
                log.info("a light query ran past %.1f s; moved to the heavy lane",
                         self.limits.light_timeout)  # fmt: skip
        return await self.heavy.run(job, deadline)

    def close(self) -> None:
        """Stop every worker process (and the spares)."""
        for w in self.workers:
            w.stop(spare=True)


def publish_snapshot(nquads: Path, folder: Path) -> Path:
    """Bulk-load an N-Quads file into a new on-disk store under ``folder``; return its path.

    Workers and pages open it with :meth:`pyoxigraph.Store.read_only`.
    """
    path = folder / "store"
    target = ox.Store(str(path))
    target.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    target.flush()
    del target
    return path
