"""The graph store behind citykg, behind one small interface.

:class:`OxigraphStore` (the default) keeps the graph in Oxigraph, in memory or
on disk. :class:`RemoteStore` speaks the SPARQL 1.1 Protocol to a server
(through :mod:`citykg.http`). Everything above this module talks to the
:class:`Store` protocol only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib.term import URIRef

from .errors import EndpointError, ParseError, QueryError, SourceNotFoundError
from .http import HttpClient, Policy
from .namespaces import CKG, GRAPH_NAMES, graph_iri
from .results import AskResult, GraphResult, QueryResult, SelectResult, Term, term_from_json
from .sparqltext import query_form
from .terms import to_oxigraph, to_rdflib

RDFTriple = tuple[Term, URIRef, Term]

FORMATS_BY_SUFFIX: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


def parse_file(path: Path, *, base_iri: str | None = None) -> list[ox.Triple | ox.Quad]:
    """Parse one RDF file strictly; a syntax error becomes a :class:`ParseError`.

    The error names the file, the line and the column and says what is wrong.
    """
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such file")
    fmt = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(path, f"unknown RDF file type {path.suffix!r}")
    try:
        return list(ox.parse(path=str(path), format=fmt, base_iri=base_iri))
    except SyntaxError as e:
        msg = e.msg or str(e)
        # Oxigraph prefixes its messages with the position; keep only the problem.
        if msg.startswith("Parser error at line") and ": " in msg:
            msg = msg.split(": ", 1)[1]
        raise ParseError(path, msg, e.lineno, e.offset) from None
    except (OSError, ValueError) as e:
        raise ParseError(path, str(e)) from None


# --- the interface --------------------------------------------------------


@runtime_checkable
class Store(Protocol):
    """What citykg needs of a graph store."""

    def query(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; by default the default graph is the union of all graphs."""
        ...

    def add(self, triples: Iterable[RDFTriple], graph: str) -> int:
        """Add triples to a named graph (by short name); return how many."""
        ...

    def load_file(self, path: Path, graph: str, *, base_iri: str | None = None) -> int:
        """Parse a file strictly and add it to a named graph; return the triple count."""
        ...

    def clear(self, graph: str) -> None:
        """Empty one named graph."""
        ...

    def graph_sizes(self) -> dict[str, int]:
        """Triples per named graph, by short name."""
        ...

    def triples(self, graph: str | None = None) -> Iterator[RDFTriple]:
        """Triples of one named graph (or of all of them)."""
        ...


_SIZES_QUERY = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _sizes(result: QueryResult) -> dict[str, int]:
    """Triples per named graph (short names for citykg's graphs) from :data:`_SIZES_QUERY`."""
    assert isinstance(result, SelectResult)
    prefix = str(graph_iri(""))
    sizes = {name: 0 for name in GRAPH_NAMES}
    for g, n in result.rows:
        if g is not None and n is not None:
            name = str(g)[len(prefix) :] if str(g).startswith(prefix) else str(g)
            sizes[name] = int(str(n))
    return sizes


def class_counts(store: Store) -> dict[str, int]:
    """Instances per ``ckg:`` class outside the ontology graph (asserted and inferred),
    largest first: the figures of ``citykg info``, the server's pages and VoID."""
    res = store.query(
        "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a ?c } "
        f"FILTER(STRSTARTS(STR(?c), '{CKG}')) "
        f"FILTER(?g != <{graph_iri('ontology')}>) }} GROUP BY ?c ORDER BY DESC(?n) ?c"
    )
    assert isinstance(res, SelectResult)
    return {
        str(c)[len(str(CKG)) :]: int(str(n)) for c, n in res.rows if c is not None and n is not None
    }


def _graph_node(name: str) -> ox.NamedNode:
    return ox.NamedNode(name if ":" in name else str(graph_iri(name)))


class OxigraphStore:
    """The embedded default: an Oxigraph store in memory, or on disk at ``path``."""

    def __init__(self, path: Path | None = None, *, store: ox.Store | None = None) -> None:
        self.path = path
        #: Opened read-only (a cached build): queries may run in a child process over it.
        self.read_only = False
        if store is not None:  # an existing Oxigraph store (the server's read-only snapshot)
            self.ox = store
        else:
            self.ox = ox.Store(str(path)) if path is not None else ox.Store()

    @classmethod
    def wrap(
        cls, store: ox.Store, path: Path | None = None, *, read_only: bool = False
    ) -> OxigraphStore:
        """An :class:`OxigraphStore` over an open Oxigraph store (``read_only`` if opened so)."""
        self = cls.__new__(cls)
        self.path = path
        self.ox = store
        self.read_only = read_only
        return self

    def query(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Run a query; read at most ``max_rows`` rows (or triples) from the engine."""
        kwargs: dict[str, object] = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [_graph_node(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [_graph_node(g) for g in named_graphs]
        try:
            res = self.ox.query(text, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as e:
            query_form(text)  # an update is refused as such, not as a malformed query
            raise QueryError(f"malformed query: {e}") from None
        except (OSError, ValueError, RuntimeError) as e:
            raise QueryError(f"query failed: {e}") from None
        if isinstance(res, ox.QueryBoolean):
            return AskResult(bool(res))
        memo: dict[object, Term] = {}

        def conv(t: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Term:
            # the same term comes back in many rows: convert it once per result
            r = memo.get(t)
            if r is None:
                r = memo[t] = to_rdflib(t)
            return r

        if isinstance(res, ox.QuerySolutions):
            names = [v.value for v in res.variables]
            rows = [
                tuple(None if v is None else conv(v) for v in sol)  # type: ignore[arg-type]
                for sol in islice(res, max_rows)
            ]
            return SelectResult(names, rows)
        if isinstance(res, ox.QueryTriples):
            return GraphResult(
                [
                    (conv(t.subject), conv(t.predicate), conv(t.object))  # type: ignore[misc]
                    for t in islice(res, max_rows)
                ]
            )
        raise QueryError(f"unexpected query result {type(res).__name__}")

    def add(self, triples: Iterable[RDFTriple], graph: str) -> int:
        g = _graph_node(graph)
        quads = [
            ox.Quad(to_oxigraph(s), ox.NamedNode(str(p)), to_oxigraph(o), g)  # type: ignore[arg-type]
            for s, p, o in triples
        ]
        self.ox.extend(quads)
        return len(quads)

    def add_oxigraph(self, triples: Iterable[ox.Triple | ox.Quad], graph: str) -> int:
        """Add Oxigraph triples (or quads, whose graph is replaced) to a named graph."""
        g = _graph_node(graph)
        quads = [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]
        self.ox.extend(quads)
        return len(quads)

    def load_file(self, path: Path, graph: str, *, base_iri: str | None = None) -> int:
        return self.add_oxigraph(parse_file(path, base_iri=base_iri), graph)

    def clear(self, graph: str) -> None:
        self.ox.clear_graph(_graph_node(graph))

    def graph_sizes(self) -> dict[str, int]:
        return _sizes(self.query(_SIZES_QUERY, default_graphs=[]))

    def triples(self, graph: str | None = None) -> Iterator[RDFTriple]:
        g = _graph_node(graph) if graph is not None else None
        for q in self.ox.quads_for_pattern(None, None, None, g):
            if g is None and isinstance(q.graph_name, ox.DefaultGraph):
                continue
            yield (to_rdflib(q.subject), URIRef(q.predicate.value), to_rdflib(q.object))  # type: ignore[arg-type]

    def quads(self, graphs: Iterable[str] = GRAPH_NAMES) -> list[ox.Quad]:
        """The Oxigraph quads of some named graphs (by short name or IRI)."""
        return [
            q
            for name in graphs
            for q in self.ox.quads_for_pattern(None, None, None, _graph_node(name))
        ]

    def contains(self, s: Term, p: URIRef, o: Term) -> bool:
        """Whether any graph holds the triple."""
        subject = to_oxigraph(s)
        if isinstance(subject, ox.Literal):
            return False
        for _ in self.ox.quads_for_pattern(subject, ox.NamedNode(str(p)), to_oxigraph(o), None):
            return True
        return False


class RemoteStore:
    """A SPARQL 1.1 endpoint, queried over the SPARQL 1.1 Protocol (read-only here).

    Errors say which side failed: ``network`` (cannot connect, timeout),
    ``query`` (the server rejected the query: HTTP 400) or ``endpoint`` (the
    server failed, or answered something that is not a SPARQL result).
    """

    def __init__(self, endpoint: str, *, timeout: float = 30.0, user_agent: str = "citykg") -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.user_agent = user_agent
        self._http: HttpClient | None = None

    def _post(self, text: str, accept: str) -> bytes:
        """POST the query (SPARQL 1.1 Protocol, form-encoded); the whole body, or an error."""
        if self._http is None:
            policy = Policy(user_agent=self.user_agent, timeout=max(1.0, self.timeout), retries=0)
            self._http = HttpClient(policy)
        response = self._http.request(
            "POST", self.endpoint, data={"query": text}, headers={"Accept": accept}
        )
        return response.content

    def query(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        form = query_form(text)
        if form in ("SELECT", "ASK"):
            body = self._post(text, "application/sparql-results+json")
            try:
                doc = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise EndpointError(
                    f"{self.endpoint}: the endpoint answered something that is not SPARQL JSON "
                    f"(a truncated or non-JSON body of {len(body)} bytes)",
                    "endpoint",
                ) from None
            if form == "ASK":
                return AskResult(bool(doc.get("boolean")))
            try:
                names = list(doc["head"]["vars"])
                rows = [
                    tuple(term_from_json(b[v]) if v in b else None for v in names)
                    for b in doc["results"]["bindings"]
                ]
            except (KeyError, TypeError, ValueError) as e:
                raise EndpointError(
                    f"{self.endpoint}: malformed SPARQL JSON: {e}", "endpoint"
                ) from None
            return SelectResult(names, rows)
        body = self._post(text, "application/n-triples")
        try:
            triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as e:
            raise EndpointError(
                f"{self.endpoint}: malformed N-Triples answer: {e}", "endpoint"
            ) from None
        return GraphResult(
            [
                (
                    to_rdflib(t.subject),
                    URIRef(t.predicate.value),  # type: ignore[misc]
                    to_rdflib(t.object),
                )
                for t in triples
            ]
        )

    def _unsupported(self) -> QueryError:
        return QueryError(f"{self.endpoint} is a remote endpoint: use `citykg push` to load it")

    def add(self, triples: Iterable[RDFTriple], graph: str) -> int:
        raise self._unsupported()

    def load_file(self, path: Path, graph: str, *, base_iri: str | None = None) -> int:
        raise self._unsupported()

    def clear(self, graph: str) -> None:
        raise self._unsupported()

    def graph_sizes(self) -> dict[str, int]:
        return _sizes(self.query(_SIZES_QUERY))

    def triples(self, graph: str | None = None) -> Iterator[RDFTriple]:
        where = (
            f"GRAPH <{_graph_node(graph).value}> {{ ?s ?p ?o }}"
            if graph
            else "GRAPH ?g { ?s ?p ?o }"
        )
        res = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}")
        assert isinstance(res, GraphResult)
        yield from res.triples
