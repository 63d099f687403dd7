"""The public Python API: build the graph, query it, validate it, export it.

>>> import citykg
>>> kg = citykg.load(reasoning=False)  # doctest: +SKIP
>>> kg.query("members-of-network", network="https://w3id.org/citykg/id/network/c40").to_dataframe()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib

from .config import Settings, load_settings
from .errors import (
    ConfigError,
    ForbiddenQueryError,
    NetworkRequiredError,
    QueryError,
    SourceNotFoundError,
)
from .loader import LoadPlan, SourceIndex
from .loader import load as load_files
from .namespaces import GRAPH_NAMES, graph_iri
from .queries import QueryLibrary, StoredQuery
from .reasoning import RLReport, materialise
from .results import QueryResult, SelectResult
from .sparqltext import check_safe
from .store import OxigraphStore, RemoteStore, Store
from .validation import Report, load_shapes, relative_paths, validate_graph, validate_store

if TYPE_CHECKING:
    from .analytics import Analytics

#: SERVICE endpoints that stored queries tagged ``network`` may call when allowed.
NETWORK_SERVICES = frozenset({"https://query.wikidata.org/sparql"})

Progress = Callable[[str, int, int], None]

EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "turtle": ox.RdfFormat.TURTLE,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


@dataclass
class BuildReport:
    """What a build did: triples per graph, instances per class, reasoning figures."""

    loaded: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    files: int = 0
    reasoning: RLReport | None = None


class KnowledgeGraph:
    """The citykg knowledge graph, over an embedded Oxigraph store or a remote endpoint."""

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None) -> None:
        self.settings = settings or Settings()
        if store is not None:
            self.store: Store = store
        elif self.settings.endpoint:
            self.store = RemoteStore(
                self.settings.endpoint,
                timeout=self.settings.query_timeout,
                user_agent=self.settings.user_agent,
            )
        else:
            self.store = OxigraphStore(self.settings.store_path)
        self.index = SourceIndex()
        self.library = QueryLibrary(list(self.settings.query_dirs))
        self.build_report: BuildReport | None = None
        self._shapes: rdflib.Graph | None = None
        self._analytics: Analytics | None = None

    @property
    def embedded(self) -> bool:
        return isinstance(self.store, OxigraphStore)

    # --- building ---------------------------------------------------------

    def rule_dirs(self) -> list[Path]:
        return [d / "rules" for d in self.settings.ontology_dirs]

    def build(
        self, *, reasoning: bool | None = None, progress: Progress | None = None
    ) -> BuildReport:
        """Load every file into its named graph and materialise the inferences."""
        if not isinstance(self.store, OxigraphStore):
            raise QueryError("the graph on a remote endpoint is built there: use `citykg push`")
        for name in GRAPH_NAMES:
            self.store.clear(name)
        self._analytics = None
        plan = LoadPlan.from_folders(self.settings.ontology_dirs, self.settings.data_dirs)
        total = len(plan.files)
        done = [0]

        def step(path: Path) -> None:
            done[0] += 1
            if progress:
                progress(f"load {path.name}", done[0], total)

        report = BuildReport(files=total)
        report.loaded = load_files(self.store, plan, self.index, step)
        if reasoning if reasoning is not None else self.settings.reasoning:
            report.reasoning = materialise(
                self.store,
                self.rule_dirs(),
                progress=(lambda r, n: progress("reason", r, 0)) if progress else None,
            )
        report.sizes = self.store.graph_sizes()
        self.build_report = report
        return report

    # --- querying ---------------------------------------------------------

    def _run(
        self,
        text: str,
        *,
        allow_network: bool = False,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        allowed = NETWORK_SERVICES if allow_network else frozenset()
        check_safe(text, allowed)
        return self.store.query(text, default_graphs=default_graphs, named_graphs=named_graphs)

    def sparql(self, text: str, *, allow_network: bool = False) -> QueryResult:
        """Run an ad hoc SPARQL query (read-only; ``SERVICE`` refused unless allowed).

        By default the default graph is the union of all named graphs.
        """
        return self._run(text, allow_network=allow_network)

    def stored_query(self, name: str) -> StoredQuery:
        """A stored query by name."""
        return self.library.get(name)

    def query(self, name: str, *, allow_network: bool = False, **params: object) -> QueryResult:
        """Run a stored query with its parameters bound as RDF terms.

        Missing parameters take the header's defaults; a query tagged ``network``
        is refused unless ``allow_network`` is true.
        """
        q = self.library.get(name)
        if q.needs_network and not allow_network:
            raise NetworkRequiredError(
                f"query '{q.name}' is tagged 'network': it calls a remote SPARQL service "
                "(Wikidata) and is refused offline; pass --online (allow_network=True) to run it"
            )
        text = q.bind(params)
        try:
            return self._run(text, allow_network=allow_network)
        except ForbiddenQueryError:
            raise
        except QueryError as e:
            raise QueryError(f"query '{q.name}' ({q.path}): {e}") from None

    def explain(self, name: str, **params: object) -> str:
        """The final text of a stored query with its parameters bound."""
        return self.library.get(name).bind(params)

    @property
    def analytics(self) -> Analytics:
        """Network analytics over this graph (needs the ``analytics`` extra for graphs and figures)."""
        if self._analytics is None:
            from .analytics import Analytics, kg_runner

            self._analytics = Analytics(kg_runner(self))
        return self._analytics

    # --- validation -------------------------------------------------------

    def shapes(self) -> rdflib.Graph:
        if self._shapes is None:
            self._shapes = load_shapes(self.settings.shapes_dirs)
        return self._shapes

    def to_rdflib(self, graphs: Sequence[str] = GRAPH_NAMES) -> rdflib.Graph:
        """The union of some named graphs as an in-memory rdflib graph."""
        if not isinstance(self.store, OxigraphStore):
            g = rdflib.Graph()
            for name in graphs:
                for t in self.store.triples(name):
                    g.add(t)
            return g
        triples = (
            ox.Triple(q.subject, q.predicate, q.object)
            for name in graphs
            for q in self.store.ox.quads_for_pattern(
                None, None, None, ox.NamedNode(str(graph_iri(name)))
            )
        )
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        g = rdflib.Graph()
        if data:
            g.parse(data=data.decode("utf-8"), format="nt")
        return g

    def validate(self, engine: str = "sparql") -> Report:
        """Validate the graph against the shapes; never raises for non-conformance.

        ``engine="sparql"`` (the default on the embedded store) runs the shapes
        compiled to SPARQL on Oxigraph; ``"pyshacl"`` runs pySHACL on an rdflib
        copy (slower; the two agree, as the tests show).
        """
        if engine not in ("sparql", "pyshacl"):
            raise ConfigError(f"unknown validation engine {engine!r}: use sparql or pyshacl")
        if engine == "sparql" and isinstance(self.store, OxigraphStore):
            graphs = [ox.NamedNode(str(graph_iri(n))) for n in GRAPH_NAMES]
            report = validate_store(self.store.ox, self.shapes(), self.index, graphs)
        else:
            report = validate_graph(self.to_rdflib(), self.shapes(), self.index)
        return relative_paths(report, Path.cwd())

    # --- export and information ------------------------------------------

    def export(
        self, fmt: str = "nquads", graphs: Sequence[str] | None = None, out: Path | None = None
    ) -> bytes | None:
        """Serialise some graphs (all by default); write atomically to ``out`` if given.

        N-Quads and N-Triples output is sorted, so it is deterministic.
        """
        if fmt not in EXPORT_FORMATS:
            raise QueryError(
                f"unknown export format {fmt!r}; expected one of {sorted(EXPORT_FORMATS)}"
            )
        if not isinstance(self.store, OxigraphStore):
            raise QueryError("export works on the embedded store")
        names = list(graphs or GRAPH_NAMES)
        rdf_format = EXPORT_FORMATS[fmt]
        nodes = [ox.NamedNode(str(graph_iri(n))) for n in names]
        quads = [
            q for node in nodes for q in self.store.ox.quads_for_pattern(None, None, None, node)
        ]
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            items: list[ox.Quad] | list[ox.Triple] = quads
        else:
            items = list({ox.Triple(q.subject, q.predicate, q.object) for q in quads})
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES):
            raw = ox.serialize(items, format=rdf_format) or b""
            lines = sorted(set(raw.decode("utf-8").splitlines()))
            data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
        else:
            from .namespaces import PREFIXES

            data = ox.serialize(items, format=rdf_format, prefixes=PREFIXES) or b""
        if out is None:
            return data
        write_atomic(out, data)
        return None

    def info(self) -> dict[str, object]:
        """Triples per named graph and instances per class."""
        sizes = self.store.graph_sizes()
        return {"graphs": sizes, "classes": self.class_counts()}

    def class_counts(self) -> dict[str, int]:
        """Instances per ``ckg:`` class (asserted and inferred), largest first."""
        res = self.store.query(
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a ?c } "
            "FILTER(STRSTARTS(STR(?c), 'https://w3id.org/citykg/ontology#')) "
            f"FILTER(?g != <{graph_iri('ontology')}>) }} GROUP BY ?c ORDER BY DESC(?n) ?c"
        )
        assert isinstance(res, SelectResult)
        return {
            str(c).rsplit("#", 1)[-1]: int(str(n))
            for c, n in res.rows
            if c is not None and n is not None
        }


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file under a temporary name in the same folder, then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(
    *,
    data: Sequence[str | Path] = (),
    queries: Sequence[str | Path] = (),
    store: str | Path | None = None,
    endpoint: str | None = None,
    config: str | Path | None = None,
    reasoning: bool | None = None,
    build: bool = True,
    progress: Progress | None = None,
) -> KnowledgeGraph:
    """Build the knowledge graph (shipped resources plus the user's folders) and return it.

    With ``endpoint`` the graph is a remote SPARQL endpoint and nothing is built
    locally.
    """
    settings = load_settings(
        Path(config) if config else None,
        extra_data=[Path(d) for d in data],
        extra_queries=[Path(q) for q in queries],
        store_path=Path(store) if store else None,
        endpoint=endpoint,
        reasoning=reasoning,
    )
    kg = KnowledgeGraph(settings)
    if build and kg.embedded:
        kg.build(progress=progress)
    return kg


__all__ = ["BuildReport", "KnowledgeGraph", "SourceNotFoundError", "load", "write_atomic"]
