"""Load a published release into a SPARQL server: Graph Store Protocol, or SPARQL Update.

:func:`push` reads the release's ``citykg.nq`` (checked against
``SHA256SUMS``) and uploads each named graph:

* ``gsp`` (the SPARQL 1.1 Graph Store HTTP Protocol): the first batch of a
  graph is ``PUT`` (replacing what the server held), the rest ``POST``;
* ``update`` (SPARQL 1.1 Update, for servers without the protocol): ``DROP
  SILENT GRAPH`` then ``INSERT DATA`` batches.

Blank nodes are scoped to one request, so batches never split a blank-node
component (the statements joined through shared blank nodes). A component
that spans two graphs (the inferred graph types a geometry node of the data
graph) cannot go through the per-graph protocol: it is sent as one
``INSERT { GRAPH <a> {...} GRAPH <b> {...} } WHERE { BIND(1 AS ?one) }``,
the form that keeps one blank node across graphs and that Virtuoso accepts
(Virtuoso rejects blank nodes in ``INSERT DATA``, and answers HTTP 500 to an
``INSERT ... WHERE {}`` it has in fact executed). Batches with blank nodes take
the same form in ``update`` mode.

Failed requests (network errors, HTTP 5xx, 429) are retried with a growing
pause; afterwards every graph is counted on the query endpoint and a count
that differs from the release raises :class:`PublishError`.

HTTP authentication (basic or digest, whichever the server asks for) uses
``user``/``password``; requests go through :mod:`citykg.http`.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import PublishError
from .http import DEFAULT_USER_AGENT, HttpClient, Policy
from .namespaces import GRAPH_NAMES, graph_iri

Progress = Callable[[str, int, int], None]

DEFAULT_BATCH = 10_000
METHODS = ("auto", "gsp", "update")


@dataclass(frozen=True)
class Target:
    """Where to push: the query endpoint, and (if known) the Graph Store and update endpoints."""

    endpoint: str
    graph_store: str | None = None
    update_endpoint: str | None = None
    user: str | None = None
    password: str | None = None
    timeout: float = 300.0

    @classmethod
    def guess(
        cls,
        endpoint: str,
        *,
        graph_store: str | None = None,
        update_endpoint: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 300.0,
    ) -> Target:
        """Fill in the endpoints a server of a known layout has.

        ``.../query`` (Oxigraph) has ``.../store`` and ``.../update`` beside it;
        ``.../sparql`` (Virtuoso) takes updates on ``.../sparql-auth`` and
        the Graph Store protocol on ``.../sparql-graph-crud-auth`` when a user
        is given, on itself and ``.../sparql-graph-crud`` otherwise.

        >>> t = Target.guess("http://127.0.0.1:7878/query")
        >>> t.graph_store, t.update_endpoint
        ('http://127.0.0.1:7878/store', 'http://127.0.0.1:7878/update')
        >>> Target.guess("http://h:8890/sparql", user="dba").graph_store
        'http://h:8890/sparql-graph-crud-auth'
        """
        base, _, last = endpoint.rstrip("/").rpartition("/")
        if last == "query":
            graph_store = graph_store or f"{base}/store"
            update_endpoint = update_endpoint or f"{base}/update"
        elif last == "sparql":
            auth = "-auth" if user else ""
            graph_store = graph_store or f"{base}/sparql-graph-crud{auth}"
            update_endpoint = update_endpoint or f"{base}/sparql{auth}"
        return cls(endpoint, graph_store, update_endpoint, user, password, timeout)


@dataclass
class PushReport:
    """What :func:`push` did."""

    method: str
    expected: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    cross_graph_components: int = 0
    seconds: float = 0.0


# --- reading the release -------------------------------------------------------


def release_quads(release: Path) -> list[ox.Quad]:
    """The quads of a release folder's ``citykg.nq``, after checking its checksum."""
    from .publish import SUMS_FILE, sha256_file

    dump = release / "citykg.nq"
    if not dump.is_file():
        raise PublishError(f"{release}: no citykg.nq; write the release with `citykg publish`")
    sums = release / SUMS_FILE
    if sums.is_file():
        for line in sums.read_text(encoding="ascii").splitlines():
            digest, _, rel = line.partition("  ")
            if rel == "citykg.nq" and sha256_file(dump) != digest:
                raise PublishError(f"{dump}: the checksum differs from {SUMS_FILE}")
    try:
        return list(ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS))
    except SyntaxError as e:
        raise PublishError(f"{dump}: not valid N-Quads: {e}") from None


# --- batching ------------------------------------------------------------------


def _bnodes(q: ox.Quad) -> list[str]:
    return [t.value for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]


@dataclass
class Plan:
    """The quads to send: per-graph units (whole blank-node components) and cross-graph ones."""

    units: dict[str, list[list[ox.Quad]]]
    cross: list[list[ox.Quad]]


def plan(quads: Sequence[ox.Quad]) -> Plan:
    """Group quads into units that no request may split.

    A unit is one quad without blank nodes, or all the quads of one
    blank-node component; a component whose quads lie in several graphs is
    set apart (``cross``).
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for q in quads:
        bs = _bnodes(q)
        for b in bs[1:]:
            ra, rb = find(bs[0]), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        if bs:
            find(bs[0])
    units: dict[str, list[list[ox.Quad]]] = {}
    comps: dict[str, list[ox.Quad]] = {}
    for q in quads:
        g = q.graph_name.value  # type: ignore[union-attr]
        bs = _bnodes(q)
        if bs:
            comps.setdefault(find(bs[0]), []).append(q)
        else:
            units.setdefault(g, []).append([q])
    cross = []
    for root in sorted(comps):
        comp = comps[root]
        graphs = {q.graph_name.value for q in comp}  # type: ignore[union-attr]
        if len(graphs) > 1:
            cross.append(comp)
        else:
            units.setdefault(graphs.pop(), []).append(comp)
    return Plan(units, cross)


def batches(units: Sequence[list[ox.Quad]], size: int) -> list[list[ox.Quad]]:
    """Pack units into batches of at most ``size`` quads (a larger unit goes alone)."""
    out: list[list[ox.Quad]] = []
    cur: list[ox.Quad] = []
    for u in units:
        if cur and len(cur) + len(u) > size:
            out.append(cur)
            cur = []
        cur.extend(u)
    if cur:
        out.append(cur)
    return out


def _ntriples(quads: Sequence[ox.Quad]) -> str:
    from .publish import to_bytes

    data = to_bytes(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads], ox.RdfFormat.N_TRIPLES
    )
    return data.decode("utf-8")


def insert_text(quads: Sequence[ox.Quad]) -> str:
    """A SPARQL update adding the quads: ``INSERT DATA``, or ``INSERT ... WHERE`` with blank nodes.

    >>> g = ox.NamedNode("http://g")
    >>> q = ox.Quad(ox.NamedNode("http://s"), ox.NamedNode("http://p"), ox.Literal("o"), g)
    >>> print(insert_text([q]))
    INSERT DATA {
    GRAPH <http://g> {
    <http://s> <http://p> "o" .
    }
    }
    """
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name.value, []).append(q)  # type: ignore[union-attr]
    body = "".join(f"GRAPH <{g}> {{\n{_ntriples(qs)}}}\n" for g, qs in by_graph.items())
    if any(_bnodes(q) for q in quads):
        return f"INSERT {{\n{body}}} WHERE {{ BIND(1 AS ?citykgOne) }}"
    return f"INSERT DATA {{\n{body}}}"


# --- HTTP ----------------------------------------------------------------------


class _Client:
    def __init__(self, target: Target, retries: int, pause: float) -> None:
        self.target = target
        self.http = HttpClient(
            Policy(
                user_agent=f"{DEFAULT_USER_AGENT} citykg-push",
                timeout=target.timeout,
                retries=retries,
                backoff=pause,
            ),
            user=target.user,
            password=target.password,
        )

    @property
    def requests(self) -> int:
        return self.http.stats.requests

    @property
    def retried(self) -> int:
        return self.http.stats.retries

    def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str | None,
        *,
        missing_ok: bool = False,
    ) -> None:
        headers = {"Accept": "*/*"}
        if content_type:
            headers["Content-Type"] = content_type
        self.http.request(method, url, content=body, headers=headers, missing_ok=missing_ok)

    def gsp_url(self, graph: str) -> str:
        assert self.target.graph_store
        sep = "&" if "?" in self.target.graph_store else "?"
        return f"{self.target.graph_store}{sep}{urllib.parse.urlencode({'graph': graph})}"

    def update(self, text: str) -> None:
        assert self.target.update_endpoint
        body = urllib.parse.urlencode({"update": text}).encode("utf-8")
        self.send("POST", self.target.update_endpoint, body, "application/x-www-form-urlencoded")


def count_graphs(target: Target, graphs: Sequence[str] = GRAPH_NAMES) -> dict[str, int]:
    """Triples per named graph on the server, by short name, counted through its query endpoint."""
    from .results import SelectResult
    from .store import RemoteStore

    store = RemoteStore(target.endpoint, timeout=target.timeout)
    out = {}
    for name in graphs:
        res = store.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri(name)}> {{ ?s ?p ?o }} }}"
        )
        assert isinstance(res, SelectResult)
        value = res.rows[0][0] if res.rows else None
        out[name] = int(str(value)) if value is not None else 0
    return out


def push(
    release: Path,
    target: Target,
    *,
    method: str = "auto",
    batch_size: int = DEFAULT_BATCH,
    retries: int = 3,
    pause: float = 0.5,
    progress: Progress | None = None,
    check: bool = True,
) -> PushReport:
    """Upload a release folder's named graphs to a SPARQL server; return what was done.

    Raises :class:`EndpointError` when the server fails (after the retries)
    and :class:`PublishError` when the release is unreadable or the final
    counts differ.
    """
    if method not in METHODS:
        raise PublishError(f"unknown push method {method!r}; expected one of {METHODS}")
    if method == "auto":
        method = "gsp" if target.graph_store else "update"
    if method == "gsp" and not target.graph_store:
        raise PublishError("the Graph Store protocol needs --graph-store URL")
    if not target.update_endpoint and (method == "update"):
        raise PublishError("SPARQL Update needs --update-endpoint URL")
    t0 = time.perf_counter()
    quads = release_quads(release)
    p = plan(quads)
    report = PushReport(method=method, cross_graph_components=len(p.cross))
    prefix = str(graph_iri(""))
    expected = {name: 0 for name in GRAPH_NAMES}
    for q in quads:
        name = q.graph_name.value[len(prefix) :]  # type: ignore[union-attr]
        if name not in expected:
            raise PublishError(f"the release holds a graph citykg does not know: {q.graph_name}")
        expected[name] += 1
    report.expected = expected
    if p.cross and not target.update_endpoint:
        raise PublishError(
            f"{len(p.cross)} blank-node group(s) span two graphs and need SPARQL "
            "Update: give --update-endpoint URL"
        )
    client = _Client(target, retries, pause)
    total = len(quads)
    done = 0
    for name in GRAPH_NAMES:
        iri = str(graph_iri(name))
        chunks = batches(p.units.get(iri, []), batch_size)
        if method == "gsp":
            url = client.gsp_url(iri)
            if not chunks:
                client.send("DELETE", url, None, None, missing_ok=True)
            for i, chunk in enumerate(chunks):
                client.send(
                    "PUT" if i == 0 else "POST",
                    url,
                    _ntriples(chunk).encode("utf-8"),
                    "text/turtle; charset=utf-8",
                )
                done += len(chunk)
                if progress:
                    progress(f"push {name}", done, total)
        else:
            client.update(f"DROP SILENT GRAPH <{iri}>")
            for chunk in chunks:
                client.update(insert_text(chunk))
                done += len(chunk)
                if progress:
                    progress(f"push {name}", done, total)
    for chunk in batches(p.cross, batch_size):
        client.update(insert_text(chunk))
        done += len(chunk)
        if progress:
            progress("push shared blank nodes", done, total)
    report.requests, report.retries = client.requests, client.retried
    client.http.close()
    if check:
        report.counted = count_graphs(target)
        wrong = {
            n: (expected[n], report.counted.get(n, 0))
            for n in expected
            if expected[n] != report.counted.get(n, 0)
        }
        if wrong:
            detail = ", ".join(
                f"{n}: {e:,} in the release, {c:,} on the server" for n, (e, c) in wrong.items()
            )
            raise PublishError(f"push failed the count check ({detail})")
    report.seconds = time.perf_counter() - t0
    return report


__all__ = [
    "METHODS",
    "Plan",
    "PushReport",
    "Target",
    "batches",
    "count_graphs",
    "insert_text",
    "plan",
    "push",
    "release_quads",
]
