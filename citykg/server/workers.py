"""Query workers: SPARQL queries run in separate processes that can really be stopped.

A query is inspected in the server process first (:func:`inspect_query`:
updates, ``SERVICE`` off the allow-list, excessive length or nesting are
refused before any engine sees the text). It then runs in one of a fixed pool
of worker processes, each holding its own read-only copy of the graph (an
on-disk Oxigraph store published once by :func:`publish_snapshot`). A query
that passes the time limit gets its process killed and replaced; results are
serialised in the worker and capped at a number of rows. The pool bounds the
requests waiting for a worker and refuses more (:class:`PoolBusy`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import multiprocessing as mp
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ..errors import CitykgError, QueryError
from ..namespaces import PREFIXES
from ..sparqltext import check_safe, nesting_depth, tokenize

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
    """A worker process died or failed while running a query."""


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


@dataclass(frozen=True)
class Job:
    """One query for a worker: the text, the result media type and the dataset."""

    text: str
    media_type: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 10_000


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


def inspect_query(text: str, limits: Limits) -> str:
    """Refuse a query before it runs; return its form (``SELECT``...).

    Raises :class:`QueryTooLarge` for a text past the length cap,
    :class:`~citykg.errors.QueryError` for excessive nesting, and
    :class:`~citykg.errors.ForbiddenQueryError` for updates (``LOAD``...) and
    ``SERVICE`` to an endpoint off the allow-list.

    >>> inspect_query("ASK {}", Limits())
    'ASK'
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
    return check_safe(text, limits.allowed_services)


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    return any(t.kind == "name" and t.text.upper() == "FROM" for t in tokenize(text))


# --- serialisation, in the worker ------------------------------------------


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term.value)
    return str(term)


def serialize_solutions(names: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str) -> bytes:
    """SELECT results in a SPARQL 1.1 results format (``json``, ``xml``, ``csv``, ``tsv``)."""
    if fmt == "json":
        bindings = [
            {n: _json_term(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in rows
        ]
        return json.dumps(
            {"head": {"vars": list(names)}, "results": {"bindings": bindings}}, ensure_ascii=False
        ).encode("utf-8")
    if fmt == "xml":
        out = [
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
            "<head>",
            *(f"<variable name={quoteattr(n)}/>" for n in names),
            "</head>",
            "<results>",
        ]
        for row in rows:
            out.append("<result>")
            out.extend(
                f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                for n, t in zip(names, row, strict=True)
                if t is not None
            )
            out.append("</result>")
        out += ["</results>", "</sparql>", ""]
        return "\n".join(out).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(names)
        for row in rows:
            w.writerow([_csv_term(t) for t in row])
        return buf.getvalue().encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join("?" + n for n in names)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown results format {fmt!r}")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    """An ASK result in a SPARQL 1.1 results format."""
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{word}</boolean></sparql>\n"
        ).encode()
    return f"_askResult\n{word}\n".encode()


def _dataset(store: ox.Store, job: Job) -> dict[str, Any]:
    if job.default_graphs is None and job.named_graphs is None:
        return {} if has_dataset_clause(job.text) else {"use_default_graph_as_union": True}
    return {
        "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
        "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
    }


def run_job(store: ox.Store, job: Job) -> Answer:
    """Run one job on a store and serialise its result (this is what a worker does)."""
    t0 = time.perf_counter()
    try:
        res = store.query(job.text, **_dataset(store, job))
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
            rows: list[list[Any]] = []
            truncated = False
            for sol in res:
                if len(rows) >= job.max_rows:
                    truncated = True
                    break
                rows.append([sol[i] for i in range(len(names))])
            return Answer(
                True,
                job.media_type,
                serialize_solutions(names, rows, fmt),
                truncated=truncated,
                count=len(rows),
                elapsed=time.perf_counter() - t0,
                vars=names,
            )
        triples: list[ox.Triple] = []
        truncated = False
        for t in res:
            if len(triples) >= job.max_rows:
                truncated = True
                break
            triples.append(t)
        rdf_format = RDF_TYPES[job.media_type]
        body = (
            ox.serialize(triples, format=rdf_format, prefixes=PREFIXES)
            if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
            else ox.serialize(triples, format=rdf_format)
        )
        return Answer(
            True,
            job.media_type,
            body or b"",
            truncated=truncated,
            count=len(triples),
            elapsed=time.perf_counter() - t0,
        )
    except SyntaxError as e:
        return Answer(False, error=f"malformed query: {e.msg or e}")
    except (ValueError, TypeError, RuntimeError) as e:
        return Answer(False, error=f"the query failed: {e}")
    except OSError as e:
        return Answer(False, error=f"the store failed: {e}", client_error=False)


def _worker_main(store_path: str, conn: Connection) -> None:
    """The loop of a worker process: open the store read-only, answer jobs until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    store = ox.Store.read_only(store_path)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(run_job(store, job))


# --- the pool, in the server process ---------------------------------------


class Worker:
    """One worker process and the pipe to it; restarted after a timeout or a crash."""

    def __init__(self, store_path: Path, index: int) -> None:
        self.store_path = store_path
        self.index = index
        self.process: Any = None
        self.conn: Connection | None = None
        self.restarts = 0
        self.start()

    def start(self, wait: float = 60.0) -> None:
        """Start the process and wait until it has opened the store."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_worker_main,
            args=(str(self.store_path), child),
            name=f"citykg-query-worker-{self.index}",
            daemon=True,
        )
        proc.start()
        child.close()
        if not parent.poll(wait) or parent.recv() != "ready":
            proc.kill()
            raise WorkerFailed("a query worker did not start")
        self.process, self.conn = proc, parent

    def stop(self) -> None:
        """Kill the process (SIGKILL: a query in compiled code ignores anything gentler)."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
        if self.process is not None:
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process = self.conn = None

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def ask(self, job: Job, timeout: float) -> Answer:
        """Send a job and wait for its answer; kill and replace the process past ``timeout``."""
        conn = self.conn
        if conn is None:
            self.start()
            conn = self.conn
            assert conn is not None
        try:
            conn.send(job)
            if conn.poll(timeout):
                answer = conn.recv()
                assert isinstance(answer, Answer)
                return answer
        except (EOFError, OSError, AssertionError) as e:
            log.error("query worker %d failed (%s); restarting it", self.index, type(e).__name__)
            self.restart()
            raise WorkerFailed("the query worker failed while running the query") from None
        log.warning(
            "query timed out after %.1f s; killing worker %d (pid %s)",
            timeout,
            self.index,
            getattr(self.process, "pid", "?"),
        )
        self.restart()
        raise QueryTimeout(
            f"the query ran past the time limit of {timeout:g} s and was stopped; "
            "narrow it down (a LIMIT, a more selective pattern)"
        )


class WorkerPool:
    """A fixed number of worker processes and a bounded queue of requests waiting for one."""

    def __init__(self, store_path: Path, limits: Limits) -> None:
        self.store_path = store_path
        self.limits = limits
        self.workers = [Worker(store_path, i) for i in range(max(1, limits.workers))]
        self._idle: asyncio.Queue[Worker] | None = None
        self._pending = 0
        self._lock = threading.Lock()
        self.served = 0
        self.refused = 0

    @property
    def pending(self) -> int:
        """Requests running or waiting for a worker."""
        return self._pending

    def _queue(self) -> asyncio.Queue[Worker]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for w in self.workers:
                self._idle.put_nowait(w)
        return self._idle

    async def run(self, job: Job) -> Answer:
        """Inspect and run a query on the next free worker.

        Raises :class:`PoolBusy` at once when the queue is full, and the
        errors of :func:`inspect_query`, :meth:`Worker.ask`.
        """
        import anyio.to_thread

        inspect_query(job.text, self.limits)
        if self._pending >= len(self.workers) + self.limits.queue:
            self.refused += 1
            raise PoolBusy("the server is busy: every query worker is taken and the queue is full")
        self._pending += 1
        try:
            idle = self._queue()
            worker = await idle.get()
            try:
                answer = await anyio.to_thread.run_sync(worker.ask, job, self.limits.timeout)
            finally:
                idle.put_nowait(worker)
            self.served += 1
            return answer
        finally:
            self._pending -= 1

    def close(self) -> None:
        """Stop every worker process."""
        for w in self.workers:
            w.stop()


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
