"""The citykg web application: SPARQL 1.1 Protocol (query), Linked Data pages, VoID, dumps.

:func:`prepare` publishes a graph's store as a read-only snapshot and starts
the query workers; :func:`create_app` makes the Starlette application around
it. Both are called by :func:`citykg.server.asgi.create_app`, the one factory
that makes the server from a :class:`~citykg.api.KnowledgeGraph`. The graph is never
written to: the snapshot is opened read-only, and updates are refused before
any engine sees them.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..api import KnowledgeGraph
from ..errors import (
    CitykgError,
    ForbiddenQueryError,
    QueryError,
    QueryParameterError,
    UnknownQueryError,
)
from ..namespaces import CKG, GRAPH_NAMES, PREFIXES, RDF, graph_iri
from ..sparqltext import with_prefixes
from ..store import OxigraphStore
from . import pages
from .analytics_pages import AnalyticsPages
from .analytics_pages import routes as analytics_routes
from .negotiation import best_match, parse_accept_language, prefers_html
from .workers import (
    RDF_TYPES,
    RESULT_TYPES,
    Answer,
    Job,
    Limits,
    PoolBusy,
    QueryTimeout,
    QueryTooLarge,
    WorkerFailed,
    WorkerPool,
    publish_snapshot,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from ..config import Settings
    from ..guard import Verdict
    from ..queries import StoredQuery

log = logging.getLogger("citykg.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Short names accepted by the ``format`` parameter.
FORMAT_NAMES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "ntriples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
}
TEXT_TYPES = (
    "text/",
    "application/sparql-results",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/json",
)
TRUNCATED_HEADER = "X-Citykg-Truncated"
#: The dumps the server offers, written on first request.
DUMPS: dict[str, ox.RdfFormat] = {
    "citykg.nq": ox.RdfFormat.N_QUADS,
    "citykg.trig": ox.RdfFormat.TRIG,
}
_PATHLIKE = re.compile(r"(?<![\w:/.])(?:/[\w.\-~]+){2,}/?")


class HTTPProblem(Exception):
    """An error answer: a status, a message for the client and optional headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def client_message(text: str) -> str:
    """An error message fit for a client: no file paths, one paragraph, bounded length.

    >>> client_message("query 'x' (/work/main/queries/x.rq): bad")
    "query 'x' (…): bad"
    """
    text = _PATHLIKE.sub("…", text)
    text = text.replace("Traceback", "trace")
    return text if len(text) <= 2000 else text[:2000] + "…"


@dataclass(frozen=True)
class ServerConfig:
    """How the server listens and what it accepts."""

    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_body: int = 256 * 1024
    cors_origins: tuple[str, ...] = ("*",)
    retry_after: int = 5

    @property
    def public_base(self) -> str:
        """The public URL of the server, without a trailing slash."""
        base = self.base_url or f"http://{self.host}:{self.port}"
        return base.rstrip("/")

    @property
    def base_path(self) -> str:
        """The path part of the public URL ('' at the root)."""
        return urllib.parse.urlsplit(self.public_base).path.rstrip("/")


@dataclass
class Site:
    """What the application serves: the read-only store, the workers, the queries, the dumps."""

    config: ServerConfig
    store: ox.Store
    pool: WorkerPool
    library: Any
    folder: Path
    class_counts: dict[str, int]
    graph_sizes: dict[str, int]
    owns_folder: bool = True
    #: The settings of the graph served (its VoID is described as ``citykg publish`` would).
    settings: Settings | None = None
    dumps: dict[str, ox.RdfFormat] = field(default_factory=lambda: dict(DUMPS))
    _dump_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The VoID description, computed once in a helper process (see :meth:`void`).
    _void_job: tuple[Any, Connection] | None = None
    _void_lock: threading.Lock = field(default_factory=threading.Lock)
    _void_triples: list[ox.Triple] | None = None

    def start_void(self) -> None:
        """Start computing the VoID description in a helper process (it counts every triple).

        The server process stays small and its event loop free; the first VoID
        request waits for the result.
        """
        if self._void_job is not None or self._void_triples is not None:
            return
        import multiprocessing as mp

        base = self.config.public_base
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_void_main,
            args=(child, str(self.folder / "store"), base + "/sparql", base + "/dumps/",
                  sorted(self.dumps)),
            name="citykg-void",
            daemon=True,
        )  # fmt: skip
        proc.start()
        child.close()
        self._void_job = (proc, parent)

    def void(self) -> list[ox.Triple]:
        """The VoID description of the served graph: :meth:`citykg.api.KnowledgeGraph.void`.

        The same description, dataset IRI included, as ``citykg publish`` writes,
        with the server's own endpoint and dumps. Blocks until it is computed.
        """
        with self._void_lock:
            if self._void_triples is None:
                self.start_void()
                assert self._void_job is not None
                proc, conn = self._void_job
                try:
                    kind, data = conn.recv()
                except (EOFError, OSError):
                    kind, data = "error", "the helper process died"
                finally:
                    conn.close()
                    proc.join(5)
                    self._void_job = None
                if kind != "ok":
                    log.error("the VoID description could not be computed: %s", data)
                    raise WorkerFailed("the VoID description could not be computed")
                self._void_triples = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))  # type: ignore[arg-type]
            return self._void_triples

    def dump_path(self, name: str) -> Path:
        """The dump file ``name``, written from the snapshot on first use."""
        path = self.folder / "dumps" / name
        with self._dump_lock:
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                part = path.with_suffix(".part")
                self.store.dump(output=str(part), format=self.dumps[name])
                part.replace(path)
        return path

    def close(self) -> None:
        """Stop the workers (and the VoID helper) and remove the snapshot."""
        self.pool.close()
        job, self._void_job = self._void_job, None
        if job is not None and job[0].is_alive():
            job[0].kill()
            job[0].join(5)
        if self.owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def prepare(
    store: OxigraphStore,
    library: Any,
    config: ServerConfig,
    folder: Path | None = None,
    *,
    settings: Settings | None = None,
) -> Site:
    """Publish a graph's store as a read-only snapshot under ``folder``; start the workers.

    A store on disk (the build cache's) is copied as a RocksDB checkpoint; an
    in-memory one is written out as N-Quads, kept as the served ``citykg.nq``
    dump, and bulk-loaded. Called by :func:`citykg.server.asgi.create_app`.
    """
    own = folder is None
    work = Path(tempfile.mkdtemp(prefix="citykg-serve-")) if folder is None else folder
    try:
        (work / "dumps").mkdir(parents=True, exist_ok=True)
        path = work / "store"
        if store.path is not None:
            store.ox.backup(str(path))
        else:
            nquads = work / "dumps" / "citykg.nq"
            store.ox.dump(output=str(nquads), format=ox.RdfFormat.N_QUADS)
            path = publish_snapshot(nquads, work)
        snapshot = ox.Store.read_only(str(path))
        # the same API object and figures as `citykg info` (kg.class_counts, graph sizes)
        served = KnowledgeGraph(settings, store=OxigraphStore.wrap(snapshot, path))
        counts, sizes = served.class_counts(), served.store.graph_sizes()
        pool = WorkerPool(path, config.limits)
    except BaseException:
        if own:
            shutil.rmtree(work, ignore_errors=True)
        raise
    site = Site(
        config, snapshot, pool, library, work, counts, sizes, owns_folder=own, settings=settings
    )
    site.start_void()
    return site


def void_ntriples(store_path: str, endpoint: str, dump_base: str, dumps: list[str]) -> bytes:
    """The VoID of the snapshot at ``store_path`` as N-Triples (:meth:`KnowledgeGraph.void`)."""
    kg = KnowledgeGraph(store=OxigraphStore.wrap(ox.Store.read_only(store_path)))
    triples = kg.void(sparql_endpoint=endpoint, dump_base=dump_base, dumps=dumps)
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _void_main(conn: Connection, *args: Any) -> None:
    """The helper process of :meth:`Site.start_void`: answer ``("ok", N-Triples)`` or an error."""
    try:
        conn.send(("ok", void_ntriples(*args)))
    except Exception as e:  # noqa: BLE001 - the server logs it; the process ends either way
        conn.send(("error", f"{type(e).__name__}: {e}"))


# --- helpers ---------------------------------------------------------------


def _templates() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("citykg.server", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["world_svg_point"] = pages.world_svg_point
    return env


def _langs(request: Request) -> list[str]:
    chosen = request.query_params.get("lang")
    langs = parse_accept_language(request.headers.get("accept-language"))
    return ([chosen.lower()] if chosen else []) + langs


def _is_text(media_type: str) -> bool:
    return media_type.startswith(TEXT_TYPES)


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if _is_text(media_type) else media_type


def _parse_qs(raw: str) -> list[tuple[str, str]]:
    try:
        return urllib.parse.parse_qsl(
            raw, keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise HTTPProblem(400, "the request parameters are not valid UTF-8") from None
    except ValueError as e:
        raise HTTPProblem(400, f"the request parameters are malformed: {e}") from None


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HTTPProblem(413, f"the request body is larger than {limit:,} bytes")
        except ValueError:
            raise HTTPProblem(400, "Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"the request body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise HTTPProblem(400, f"the request has {len(values)} '{name}' parameters; give one")
    return values[0] if values else None


def entity_iri(key: str) -> str:
    """The citykg IRI of an entity path; a 400 if the path makes no valid IRI.

    >>> entity_iri("city/q62")
    'https://w3id.org/citykg/id/city/q62'
    >>> entity_iri("a b")
    Traceback (most recent call last):
    ...
    citykg.server.app.HTTPProblem: the path 'a b' holds characters that are not allowed in an IRI
    """
    iri = pages.ID_BASE + key
    try:
        ox.NamedNode(iri)
    except ValueError:
        shown = key if len(key) <= 80 else key[:80] + "…"
        raise HTTPProblem(
            400, f"the path {shown!r} holds characters that are not allowed in an IRI"
        ) from None
    return iri


def _choose_type(form: str, fmt: str | None, accept: str | None) -> str:
    offered = list(RDF_TYPES) if form in ("CONSTRUCT", "DESCRIBE") else list(RESULT_TYPES)
    if fmt:
        media = FORMAT_NAMES.get(fmt.lower(), fmt.lower())
        if media not in offered:
            raise HTTPProblem(
                400, f"format '{fmt}' does not fit a {form} query; use one of: {', '.join(offered)}"
            )
        return media
    chosen = best_match(accept, offered)
    if chosen is None:
        raise HTTPProblem(
            406,
            f"none of the accepted types fits a {form} query; "
            f"this server gives: {', '.join(offered)}",
        )
    return chosen


# --- the application --------------------------------------------------------


def create_app(site: Site) -> Starlette:
    """The Starlette application serving ``site``."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import (
        FileResponse,
        HTMLResponse,
        JSONResponse,
        PlainTextResponse,
        RedirectResponse,
        Response,
    )
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from .reconcile import routes as reconcile_routes

    env = _templates()
    config = site.config
    base = config.base_path
    store = site.store
    charts = AnalyticsPages(store, site.library)
    #: Relative IRIs in a query resolve against the endpoint's own IRI.
    query_base = config.public_base + "/sparql"

    def render(request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        langs = _langs(request)
        body = env.get_template(template).render(base=base, lang=(langs or ["en"])[0], **ctx)
        return HTMLResponse(body, status_code=status, headers={"Vary": "Accept, Accept-Language"})

    def problem(
        request: Request, status: int, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        message = client_message(message)
        if prefers_html(
            request.headers.get("accept"), ["text/plain"]
        ) and not request.url.path.startswith(base + "/sparql"):
            body = env.get_template("error.html").render(
                base=base, lang="en", status=status, message=message, title=f"Error {status}"
            )
            return HTMLResponse(body, status_code=status, headers=headers)
        return PlainTextResponse(message + "\n", status_code=status, headers=headers)

    def error_status(e: Exception) -> tuple[int, str, dict[str, str]]:
        if isinstance(e, HTTPProblem):
            return e.status, e.message, e.headers
        if isinstance(e, PoolBusy):
            return 503, str(e), {"Retry-After": str(config.retry_after)}
        if isinstance(e, QueryTimeout):
            return 503, str(e), {"Retry-After": str(config.retry_after)}
        if isinstance(e, QueryTooLarge):
            return 413, str(e), {}
        if isinstance(e, UnknownQueryError):
            return 404, str(e), {}
        if isinstance(e, QueryParameterError | ForbiddenQueryError | QueryError):
            return 400, str(e), {}
        if isinstance(e, WorkerFailed):
            return 503, str(e), {"Retry-After": str(config.retry_after)}
        return 500, "internal error: the server failed; the error is logged", {}

    async def run_query(
        text: str,
        media: str,
        verdict: Verdict,
        deadline: float,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Answer:
        job = Job(
            text,
            media,
            tuple(default_graphs) if default_graphs is not None else None,
            tuple(named_graphs) if named_graphs is not None else None,
            max_rows=config.limits.max_rows,
            max_bytes=config.limits.max_result_bytes,
            base_iri=query_base,
            has_dataset=verdict.has_dataset,
        )
        answer = await site.pool.run(job, verdict, deadline)
        if not answer.ok:
            if answer.client_error:
                raise HTTPProblem(400, answer.error)
            log.error("query failed on the server: %s", answer.error)
            raise HTTPProblem(500, "the query failed on the server; the error is logged")
        return answer

    def answer_response(answer: Answer) -> Response:
        headers = {"Vary": "Accept", "X-Citykg-Rows": str(answer.count)}
        if answer.truncated:
            why = (
                f"past {config.limits.max_result_bytes:,} bytes"
                if answer.cut == "bytes"
                else f"at the limit of {config.limits.max_rows:,} rows"
            )
            headers[TRUNCATED_HEADER] = f"true; the result was cut at {answer.count} rows ({why})"
        return Response(answer.body, media_type=_content_type(answer.media_type), headers=headers)

    # --- SPARQL protocol --------------------------------------------------

    async def sparql(request: Request) -> Response:
        url_params = _parse_qs(request.url.query)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            media, _, rest = ctype.partition(";")
            media = media.strip().lower()
            charset = re.search(r"charset\s*=\s*\"?([\w\-]+)", rest, re.IGNORECASE)
            if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
                raise HTTPProblem(400, f"charset {charset.group(1)} is not supported; send UTF-8")
            if media == "application/sparql-update":
                raise HTTPProblem(403, "this endpoint is read-only: SPARQL updates are refused")
            body = await _read_body(request, config.max_body)
            try:
                text_body = body.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPProblem(400, "the request body is not valid UTF-8") from None
            if media == "application/x-www-form-urlencoded":
                params = _parse_qs(text_body) + [p for p in url_params if p[0] != "query"]
                if any(k == "query" for k, _ in url_params):
                    raise HTTPProblem(400, "give the query in the body or in the URL, not both")
            elif media == "application/sparql-query":
                if any(k == "query" for k, _ in url_params):
                    raise HTTPProblem(
                        400,
                        "a 'query' parameter is not allowed with "
                        "application/sparql-query: the body is the query",
                    )
                params = [*url_params, ("query", text_body)]
            else:
                raise HTTPProblem(
                    400,
                    f"unsupported media type '{media or '(none)'}': send "
                    "application/x-www-form-urlencoded or application/sparql-query",
                )
        else:
            params = url_params
        if _one(params, "update") is not None:
            raise HTTPProblem(403, "this endpoint is read-only: SPARQL updates are refused")
        text = _one(params, "query")
        if text is None:
            return service_description(request)
        if not text.strip():
            raise HTTPProblem(400, "the query is empty")
        if len(text) <= config.limits.max_query_chars:  # the guard refuses longer texts itself
            text = with_prefixes(text, PREFIXES)  # the project's prefixes, as in kg.sparql
        deadline = site.pool.deadline()
        verdict = await site.pool.inspect(text, deadline)
        media = _choose_type(verdict.form, _one(params, "format"), request.headers.get("accept"))
        dflt = [v for k, v in params if k == "default-graph-uri"]
        named = [v for k, v in params if k == "named-graph-uri"]
        for iri in dflt + named:
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$", iri):
                raise HTTPProblem(400, f"not an IRI: {iri!r}")
        given = bool(dflt or named)
        answer = await run_query(
            text, media, verdict, deadline, dflt if given else None, named if given else None
        )
        return answer_response(answer)

    def service_description(request: Request) -> Response:
        offered = list(RDF_TYPES)
        if prefers_html(request.headers.get("accept"), offered):
            return query_page(request)
        media = best_match(request.headers.get("accept"), offered) or "text/turtle"
        endpoint = config.public_base + "/sparql"
        sd = "http://www.w3.org/ns/sparql-service-description#"
        fmts = "http://www.w3.org/ns/formats/"
        s = ox.NamedNode(endpoint + "#service")
        t = [
            ox.Triple(s, ox.NamedNode(str(RDF.type)), ox.NamedNode(sd + "Service")),
            ox.Triple(s, ox.NamedNode(sd + "endpoint"), ox.NamedNode(endpoint)),
            ox.Triple(
                s, ox.NamedNode(sd + "supportedLanguage"), ox.NamedNode(sd + "SPARQL11Query")
            ),
            ox.Triple(s, ox.NamedNode(sd + "feature"), ox.NamedNode(sd + "UnionDefaultGraph")),
        ]
        for f in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "RDF_XML",
            "JSON-LD",
        ):
            t.append(ox.Triple(s, ox.NamedNode(sd + "resultFormat"), ox.NamedNode(fmts + f)))
        ds = ox.BlankNode("dataset")
        t += [
            ox.Triple(s, ox.NamedNode(sd + "defaultDataset"), ds),
            ox.Triple(ds, ox.NamedNode(str(RDF.type)), ox.NamedNode(sd + "Dataset")),
        ]
        names = list(GRAPH_NAMES) + sorted(n for n in site.graph_sizes if n not in GRAPH_NAMES)
        for i, name in enumerate(names):
            g = ox.BlankNode(f"graph-{i}")
            t += [
                ox.Triple(ds, ox.NamedNode(sd + "namedGraph"), g),
                ox.Triple(g, ox.NamedNode(sd + "name"), ox.NamedNode(_graph_name(name))),
            ]
        body = pages.serialize_triples(t, RDF_TYPES[media])
        return Response(body, media_type=_content_type(media), headers={"Vary": "Accept"})

    # --- pages ------------------------------------------------------------

    def query_page(request: Request) -> Response:
        example = (
            "PREFIX ckg: <https://w3id.org/citykg/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?network ?label WHERE {\n  ?network a ckg:Network ; rdfs:label ?label .\n"
            '  FILTER(LANG(?label) = "en")\n}\nORDER BY ?label\nLIMIT 100'
        )
        return render(
            request, "query.html", title="SPARQL query", example=example, limits=config.limits
        )

    async def home(request: Request) -> Response:
        queries = list(site.library)
        return render(
            request,
            "home.html",
            title="citykg",
            counts=site.class_counts,
            sizes=site.graph_sizes,
            queries=queries,
            dumps=sorted(site.dumps),
            public_base=config.public_base,
        )

    async def class_page(request: Request) -> Response:
        import anyio.to_thread

        name = request.path_params["name"]
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name):
            raise HTTPProblem(404, "no such class")
        langs = _langs(request)

        def read() -> tuple[list[pages.Link], bool]:
            out: list[pages.Link] = []
            seen: set[str] = set()
            cut = False
            for q in store.quads_for_pattern(
                None, pages.RDF_TYPE, ox.NamedNode(str(CKG[name])), None
            ):
                if not isinstance(q.subject, ox.NamedNode) or q.subject.value in seen:
                    continue
                if len(out) >= 1000:
                    cut = True
                    break
                seen.add(q.subject.value)
                out.append(pages.term_link(store, q.subject, langs, base))
            return sorted(out, key=lambda link: link.text.lower()), cut

        items, cut = await anyio.to_thread.run_sync(read)
        if not items:
            raise HTTPProblem(404, f"no instances of ckg:{name}")
        return render(
            request, "class.html", title=f"ckg:{name}", name=name, items=items, truncated=cut
        )

    async def dereference(request: Request) -> Response:
        key = request.path_params["key"]
        iri = entity_iri(key)
        data_types = [v[0] for v in pages.DATA_SUFFIXES.values()]
        accept = request.headers.get("accept")
        if prefers_html(accept, data_types):
            target = f"/page/{key}"
        else:
            media = best_match(accept, data_types)
            if media is None:
                raise HTTPProblem(406, "this resource is given as HTML, " + ", ".join(data_types))
            suffix = next(s for s, v in pages.DATA_SUFFIXES.items() if v[0] == media)
            target = f"/data/{key}.{suffix}"
        if not pages.exists(store, iri):
            raise HTTPProblem(404, f"the graph says nothing about <{iri}>")
        return RedirectResponse(
            config.public_base + target, status_code=303, headers={"Vary": "Accept"}
        )

    async def entity_page(request: Request) -> Response:
        import anyio.to_thread

        key = request.path_params["key"]
        iri = entity_iri(key)
        langs = _langs(request)
        if not pages.exists(store, iri):
            raise HTTPProblem(404, f"the graph says nothing about <{iri}>")
        view = await anyio.to_thread.run_sync(pages.entity_view, store, iri, langs, base)
        figures, report_url = await anyio.to_thread.run_sync(charts.figures_for, key, base)
        return render(
            request,
            "entity.html",
            title=view.label,
            e=view,
            suffixes=list(pages.DATA_SUFFIXES),
            figures=figures,
            report_url=report_url,
        )

    async def entity_data(request: Request) -> Response:
        import anyio.to_thread

        key, _, suffix = request.path_params["key"].rpartition(".")
        if suffix not in pages.DATA_SUFFIXES or not key:
            raise HTTPProblem(404, "ask for .ttl, .jsonld, .nt or .rdf")
        iri = entity_iri(key)
        if not pages.exists(store, iri):
            raise HTTPProblem(404, f"the graph says nothing about <{iri}>")
        media, rdf_format = pages.DATA_SUFFIXES[suffix]
        triples = await anyio.to_thread.run_sync(pages.describe, store, iri)
        body = pages.serialize_triples(triples, rdf_format)
        return Response(
            body, media_type=_content_type(media), headers={"Link": f'<{iri}>; rel="describes"'}
        )

    def _ontology_triples() -> list[ox.Triple]:
        node = ox.NamedNode(str(graph_iri("ontology")))
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(None, None, None, node)
        ]

    async def ontology(request: Request) -> Response:
        import anyio.to_thread

        offered = [v[0] for v in pages.DATA_SUFFIXES.values()]
        accept = request.headers.get("accept")
        if prefers_html(accept, offered):
            terms = await anyio.to_thread.run_sync(
                pages.ontology_terms, store, _langs(request), base
            )
            return render(
                request, "ontology.html", title="citykg ontology", terms=terms, ns=pages.ONTOLOGY_NS
            )
        media = best_match(accept, offered)
        if media is None:
            raise HTTPProblem(406, "the ontology is given as HTML, " + ", ".join(offered))
        return ontology_as(media)

    def ontology_as(media: str) -> Response:
        suffix = next(s for s, v in pages.DATA_SUFFIXES.items() if v[0] == media)
        body = pages.serialize_triples(_ontology_triples(), pages.DATA_SUFFIXES[suffix][1])
        return Response(body, media_type=_content_type(media), headers={"Vary": "Accept"})

    async def ontology_file(request: Request) -> Response:
        suffix = request.path_params["suffix"]
        if suffix not in pages.DATA_SUFFIXES:
            raise HTTPProblem(404, "ask for .ttl, .jsonld, .nt or .rdf")
        return ontology_as(pages.DATA_SUFFIXES[suffix][0])

    async def void(request: Request) -> Response:
        import anyio.to_thread

        offered = [v[0] for v in pages.DATA_SUFFIXES.values()]
        media = best_match(request.headers.get("accept"), offered) or "text/turtle"
        triples = await anyio.to_thread.run_sync(site.void)
        suffix = next(s for s, v in pages.DATA_SUFFIXES.items() if v[0] == media)
        body = pages.serialize_triples(triples, pages.DATA_SUFFIXES[suffix][1])
        return Response(body, media_type=_content_type(media), headers={"Vary": "Accept"})

    async def dump(request: Request) -> Response:
        name = request.path_params["name"]
        import anyio.to_thread

        if name not in site.dumps:
            raise HTTPProblem(404, "no such dump")
        path = await anyio.to_thread.run_sync(site.dump_path, name)
        media = "application/n-quads" if name.endswith(".nq") else "application/trig"
        return FileResponse(path, media_type=media, filename=name)

    async def stored_query(request: Request) -> Response:
        name = request.path_params["name"]
        q: StoredQuery = site.library.get(name)
        if q.needs_network:
            raise HTTPProblem(
                403,
                f"query '{q.name}' is tagged 'network': it calls a remote "
                "service, and this server never fetches remote data",
            )
        raw = _parse_qs(request.url.query)
        fmt = _one(raw, "format")
        values = {k: v for k, v in raw if k not in ("format", "lang") and v != ""}
        text = q.bind(values)
        deadline = site.pool.deadline()
        verdict = await site.pool.inspect(text, deadline)
        form = verdict.form
        html = fmt in (None, "html") and prefers_html(
            request.headers.get("accept"), list(RESULT_TYPES) + list(RDF_TYPES)
        )
        if not html:
            media = _choose_type(form, fmt, request.headers.get("accept"))
            return answer_response(await run_query(text, media, verdict, deadline))
        if form in ("CONSTRUCT", "DESCRIBE"):
            answer = await run_query(text, "text/turtle", verdict, deadline)
            return render(
                request,
                "results.html",
                title=q.summary or q.name,
                q=q,
                values=values,
                vars=[],
                rows=[],
                graph=answer.body.decode("utf-8"),
                answer=answer,
                boolean=None,
            )
        answer = await run_query(text, "application/sparql-results+json", verdict, deadline)
        doc = json.loads(answer.body)
        boolean = doc.get("boolean")
        names = doc.get("head", {}).get("vars", [])
        rows = []
        for b in doc.get("results", {}).get("bindings", []):
            row = []
            for v in names:
                cell = b.get(v)
                if cell is None:
                    row.append(pages.Link(""))
                elif cell["type"] == "uri":
                    local = pages.local_path(cell["value"])
                    row.append(
                        pages.Link(
                            cell["value"],
                            base + local if local else cell["value"],
                            iri=cell["value"],
                        )
                    )
                else:
                    row.append(pages.Link(cell["value"], None, cell.get("xml:lang", "")))
            rows.append(row)
        return render(
            request,
            "results.html",
            title=q.summary or q.name,
            q=q,
            values=values,
            vars=names,
            rows=rows,
            graph=None,
            answer=answer,
            boolean=boolean,
        )

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "pending": site.pool.pending,
                "workers": len(site.pool.workers),
                "restarts": sum(w.restarts for w in site.pool.workers),
                "lanes": {
                    lane.name: {
                        "workers": len(lane.workers),
                        "idle": lane.idle,
                        "pending": lane.pending,
                    }
                    for lane in (
                        getattr(site.pool, "light", None),
                        getattr(site.pool, "heavy", None),
                    )
                    if lane is not None
                },
                "network_isolated": {
                    f"{getattr(w, 'lane', '?')}-{getattr(w, 'index', '?')}": getattr(
                        w, "isolated", False
                    )
                    for w in site.pool.workers
                },
            }
        )

    # --- errors -----------------------------------------------------------

    async def on_problem(request: Request, exc: Exception) -> Response:
        status, message, headers = error_status(exc)
        if status >= 500:
            log.error(
                "%s %s -> %d: %s",
                request.method,
                request.url.path,
                status,
                exc,
                exc_info=not isinstance(exc, CitykgError | HTTPProblem),
            )
        else:
            log.info("%s %s -> %d: %s", request.method, request.url.path, status, message)
        return problem(request, status, message, headers)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        msg = {404: "not found", 405: "method not allowed: use GET or POST"}.get(
            exc.status_code, str(exc.detail)
        )
        return problem(request, exc.status_code, msg, dict(exc.headers or {}))

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/query", lambda r: query_page(r)),
        Route("/queries/{name:path}", stored_query),
        Route("/class/{name}", class_page),
        Route("/id/{key:path}", dereference),
        Route("/page/{key:path}", entity_page),
        Route("/data/{key:path}", entity_data),
        Route("/ontology", ontology),
        Route("/ontology.{suffix}", ontology_file),
        Route("/.well-known/void", void),
        Route("/dumps/{name}", dump),
        Route("/healthz", health),
        *reconcile_routes(site),  # the W3C Reconciliation Service API (server/reconcile.py)
        *analytics_routes(
            charts, render, HTTPProblem
        ),  # reports, figures, tables (server/analytics_pages.py)
        Mount("/static", app=StaticFiles(packages=[("citykg.server", "static")]), name="static"),
    ]
    if base:
        routes = [Mount(base, routes=routes)]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type", "Accept-Language"],
            expose_headers=[TRUNCATED_HEADER, "X-Citykg-Rows", "Retry-After"],
            max_age=3600,
        ),
    ]
    handlers: dict[Any, Any] = {
        Exception: on_problem,
        HTTPProblem: on_problem,
        CitykgError: on_problem,
        HTTPException: on_http,
    }
    return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers, debug=False)


class SecurityHeaders:
    """Adds headers that keep browsers safe: no sniffing, no framing, a strict CSP."""

    CSP = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", self.CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                ]
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


def _graph_name(name: str) -> str:
    """The IRI of a graph by its short name (citykg's own) or its IRI (any other)."""
    return name if ":" in name else str(graph_iri(name))
