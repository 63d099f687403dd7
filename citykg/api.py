"""The public Python API: everything the command line does, as calls.

:func:`load` builds the graph and returns a :class:`KnowledgeGraph`, which
validates, reasons, queries, exports, links, enriches, publishes and serves.
Where no graph is needed there is a small function: :func:`ingest_table`,
:func:`lint_ontology`, :func:`build_docs`, :func:`push_release`, :func:`check_dl`,
:func:`wikidata_client`.
Every ``citykg`` command is one of these calls (see the README's Python section).

>>> import citykg
>>> kg = citykg.load()
>>> kg.info()["graphs"]["data"] > 1000
True
>>> kg.sparql("ASK { <https://w3id.org/citykg/id/network/c40> a ckg:TransnationalMunicipalNetwork }").value
True
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import rdflib

from .config import Settings, load_settings
from .errors import (
    ConfigError,
    ForbiddenQueryError,
    NetworkRequiredError,
    QueryError,
    QueryLimitError,
    ReasonerError,
)
from .files import write_atomic
from .limits import (
    DEFAULT_LIMIT,
    DEFAULT_MEMORY,
    DEFAULT_TIMEOUT,
    Limits,
    page_message,
    run_limited,
)
from .loader import LoadPlan, SourceIndex
from .loader import load as load_files
from .namespaces import GRAPH_NAMES, PREFIXES, graph_iri
from .queries import QueryLibrary, StoredQuery
from .reasoning import RLReport, materialise
from .results import GraphResult, QueryResult, SelectResult
from .sandbox import QueryProcess
from .sparqltext import check_safe, with_prefixes
from .store import OxigraphStore, RemoteStore, Store, class_counts
from .validation import Report, load_shapes, relative_paths, validate_graph, validate_store

if TYPE_CHECKING:
    from .analytics import Analytics
    from .buildcache import Build
    from .docs import DocsResult
    from .enrichment import EnrichReport
    from .ingest import IngestResult
    from .linking import LinkReport
    from .lint import LintReport
    from .publish import Release
    from .push import PushReport
    from .reasoning import DLReport
    from .wikidata import WikidataClient

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
        #: the cached build this graph is read from (see :mod:`citykg.buildcache`), if any
        self.build_cache: Build | None = None
        self._shapes: rdflib.Graph | None = None
        self._analytics: Analytics | None = None
        self._sandbox: QueryProcess | None = None

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
        limits: Limits | None = None,
        checked: str | None = None,
        isolate: bool = True,
    ) -> QueryResult:
        allowed = NETWORK_SERVICES if allow_network else frozenset()
        check_safe(checked if checked is not None else text, allowed)
        if limits is None:
            return self.store.query(text, default_graphs=default_graphs, named_graphs=named_graphs)
        store = self.store
        rows = limits.rows_needed
        bounded = limits.timeout is not None or limits.memory is not None
        if (
            isolate
            and bounded
            and isinstance(store, OxigraphStore)
            and store.read_only
            and store.path is not None
        ):
            # A cached build on disk: the query runs in a child process that its
            # limits really stop (see citykg.sandbox); in this process a stopped
            # query would run on in its thread.
            if self._sandbox is None:
                self._sandbox = QueryProcess(store.path)
                # the child ends with this object (or at exit), not with the process only
                weakref.finalize(self, self._sandbox.close)
            result = self._sandbox.run(
                text,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                max_rows=rows,
                timeout=limits.timeout,
                memory=limits.memory,
            )
            return _page(result, limits)

        def work() -> QueryResult:
            if isinstance(store, OxigraphStore):
                return store.query(
                    text, default_graphs=default_graphs, named_graphs=named_graphs, max_rows=rows
                )
            return store.query(text, default_graphs=default_graphs, named_graphs=named_graphs)

        return _page(run_limited(work, limits), limits)

    def sparql(
        self,
        text: str,
        *,
        allow_network: bool = False,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        timeout: float | None = DEFAULT_TIMEOUT,
        memory: int | None = DEFAULT_MEMORY,
        isolate: bool = True,
    ) -> QueryResult:
        """Run an ad hoc SPARQL query (read-only; ``SERVICE`` refused unless allowed).

        The project's prefixes (``ckg:``, ``org:``, ``skos:``, ``wd:``... see
        :data:`citykg.namespaces.PREFIXES`) need no declaration; a prefix the
        query declares itself keeps the query's meaning. The default graph is the
        union of all named graphs. Bounded like :meth:`query`.
        """
        limits = Limits(limit, offset, timeout, memory)  # bounded: see citykg.limits
        return self._run(
            with_prefixes(text, PREFIXES),
            allow_network=allow_network,
            limits=limits,
            isolate=isolate,
        )

    def stored_query(self, name: str) -> StoredQuery:
        """A stored query by name."""
        return self.library.get(name)

    def query(
        self,
        name: str,
        *,
        allow_network: bool = False,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        timeout: float | None = DEFAULT_TIMEOUT,
        memory: int | None = DEFAULT_MEMORY,
        isolate: bool = True,
        **params: object,
    ) -> QueryResult:
        """Run a stored query with its parameters bound as RDF terms.

        Missing parameters take the header's defaults; a query tagged ``network``
        is refused unless ``allow_network`` is true. Bounded (see :mod:`citykg.limits`):
        ``limit`` rows from ``offset`` (the next page is ``offset + limit``; the
        result's ``truncated`` says when more follow), ``timeout`` seconds,
        ``memory`` bytes; ``None`` lifts a bound.

        On a cached build (the default of :func:`load`) a bounded query runs in a
        child process (:mod:`citykg.sandbox`): past a limit it is really stopped
        and its memory given back, so no parameter value can run this process out
        of memory. ``isolate=False`` runs it in this process (the command line
        does: it exits right after a stopped query).
        """
        limits = Limits(limit, offset, timeout, memory)
        q = self.library.get(name)
        if q.needs_network and not allow_network:
            raise NetworkRequiredError(
                f"query '{q.name}' is tagged 'network': it calls a remote SPARQL service "
                "(Wikidata) and is refused offline; pass --online (allow_network=True) to run it"
            )
        text = q.bind(params)
        try:
            # the stored text is checked once (and remembered); parameters are bound
            # as checked RDF terms, so the bound query is as safe as the stored one
            return self._run(
                text, allow_network=allow_network, limits=limits, checked=q.text, isolate=isolate
            )
        except (ForbiddenQueryError, QueryLimitError):
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

    def report(
        self,
        out: Path,
        *,
        network: str | None = None,
        country: str | None = None,
        top: int = 20,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Write an HTML report (map, timeline, network drawing, hubs, a CSV per table) to ``out``.

        ``citykg report``; needs the ``analytics`` extra. Returns the files written.
        """
        from .analytics import require
        from .report import build_report, write_report

        require("matplotlib")
        require("networkx")
        r = build_report(
            self.analytics, network=network, country=country, top=top, progress=progress
        )
        return write_report(r, out)

    # --- validation -------------------------------------------------------

    def shapes(self) -> rdflib.Graph:
        if self._shapes is None:
            self._shapes = load_shapes(self.settings.shapes_dirs)
        return self._shapes

    def to_rdflib(self, graphs: Sequence[str] = GRAPH_NAMES) -> rdflib.Graph:
        """The union of some named graphs as an in-memory rdflib graph."""
        if not self.embedded:
            g = rdflib.Graph()
            for name in graphs:
                for t in self.store.triples(name):
                    g.add(t)
            return g
        quads = self._embedded("to_rdflib").quads(graphs)
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
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
        if engine == "sparql" and self.build_cache is not None:
            from .buildcache import validation_report

            return relative_paths(validation_report(self.build_cache, self), Path.cwd())
        if engine == "sparql" and self.embedded:
            graphs = [ox.NamedNode(str(graph_iri(n))) for n in GRAPH_NAMES]
            store = self._embedded("validation").ox
            report = validate_store(store, self.shapes(), self.index, graphs)
        else:
            report = validate_graph(self.to_rdflib(), self.shapes(), self.index)
        return relative_paths(report, Path.cwd())

    # --- export and information ------------------------------------------

    def export(
        self,
        fmt: str = "nquads",
        graphs: Sequence[str] | None = None,
        out: str | os.PathLike[str] | None = None,
    ) -> bytes | None:
        """Serialise some graphs (all by default); write atomically to ``out`` if given.

        N-Quads and N-Triples output is sorted, so it is deterministic.
        """
        if fmt not in EXPORT_FORMATS:
            raise QueryError(
                f"unknown export format {fmt!r}; expected one of {sorted(EXPORT_FORMATS)}"
            )
        quads = self._embedded("export").quads(graphs or GRAPH_NAMES)
        rdf_format = EXPORT_FORMATS[fmt]
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            items: list[ox.Quad] | list[ox.Triple] = quads
        else:
            items = list({ox.Triple(q.subject, q.predicate, q.object) for q in quads})
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES):
            raw = ox.serialize(items, format=rdf_format) or b""
            lines = sorted(set(raw.decode("utf-8").splitlines()))
            data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
        else:
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
        return class_counts(self.store)

    # --- reasoning ----------------------------------------------------------

    def reason(self, *, progress: Progress | None = None) -> RLReport:
        """Materialise the OWL 2 RL inferences (and the SPARQL rules) into the inferred graph.

        A build with reasoning has done this already (``kg.build_report.reasoning``).
        """
        if self.build_cache is not None:
            raise ReasonerError(
                "this graph is a cached build, opened read-only: its reasoning is "
                "kg.build_report.reasoning; citykg.load(cache=False) builds one in memory "
                "that can be reasoned again"
            )
        store = self._embedded("reasoning")
        store.clear("inferred")
        report = materialise(
            store,
            self.rule_dirs(),
            progress=(lambda r, n: progress("reason", r, 0)) if progress else None,
        )
        if self.build_report is not None:
            self.build_report.reasoning = report
            self.build_report.sizes = store.graph_sizes()
        return report

    # --- Wikidata ----------------------------------------------------------

    def link(
        self,
        client: WikidataClient | None = None,
        *,
        links_dir: Path | None = None,
        kinds: Sequence[str] | None = None,
        entities: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        threshold: float | None = None,
        margin: float | None = None,
        today: str | None = None,
        dry_run: bool = False,
        allow_taken: bool = False,
    ) -> LinkOutcome:
        """Link entities without a Wikidata ID to Wikidata items; write links and review files.

        Clear winners go to ``links_dir/wikidata-links.ttl`` (generated), the rest
        to ``links_dir/review.csv``; a person's answers in ``decisions.csv``
        (curated, never written) apply on the next run. ``links_dir`` defaults to
        ``data/links`` in the working folder (never the installed package).
        With ``dry_run`` nothing is written. A clear winner that another entity
        already is (its ``ckg:wikidataId``, a curated link) goes to review unless
        ``allow_taken``. Raises :class:`~citykg.errors.LinkError`
        or :class:`~citykg.errors.EndpointError`.
        """
        from . import linking

        client = client or wikidata_client(user_agent=self.settings.user_agent)
        links_dir = links_dir or DEFAULT_LINKS_DIR
        out = links_dir / linking.LINKS_FILE
        hand = {links_dir / linking.CURATED_FILE}
        for d in self.settings.data_dirs:
            if (d / "links").is_dir():
                hand |= set((d / "links").glob("*.ttl"))
        hand |= set(links_dir.glob("*.ttl")) if links_dir.is_dir() else set()
        hand = {p for p in hand if p.resolve() != out.resolve()}
        only = [linking.entity_iri(x) for x in entities] if entities else None
        found = linking.entities_from_store(
            self.store, kinds=list(kinds) if kinds else None, only=only
        )
        threshold = linking.DEFAULT_THRESHOLD if threshold is None else threshold
        margin = linking.DEFAULT_MARGIN if margin is None else margin
        today = today or date.today().isoformat()
        report = linking.link(
            found,
            client,
            previous=linking.read_links_file(out),
            curated=linking.curated_links(hand),
            decisions=linking.read_decisions(links_dir / linking.DECISIONS_FILE),
            languages=tuple(languages) if languages is not None else linking.DEFAULT_LANGUAGES,
            threshold=threshold,
            margin=margin,
            today=today,
            taken=None if allow_taken else linking.held_wikidata_ids(self.store),
        )
        outcome = LinkOutcome(report, len(found), out, links_dir / linking.REVIEW_FILE, not dry_run)
        if not dry_run:
            stamp = f"endpoint {client.endpoint}; threshold {threshold}, margin {margin}"
            write_atomic(out, linking.render_links(report.links, generated_by=stamp))
            write_atomic(outcome.review_file, linking.render_review(report.review, today))
        return outcome

    def disagreements(self) -> SelectResult:
        """Where our data and the harvested Wikidata statements disagree (``link --check``)."""
        result = self.query("wikidata-disagreements")
        assert isinstance(result, SelectResult)
        return result

    def enrich(
        self,
        client: WikidataClient | None = None,
        *,
        properties: Sequence[str] | None = None,
        entities: Sequence[str] | None = None,
        out: Path | None = None,
    ) -> EnrichReport:
        """Harvest Wikidata statements about linked entities; write them to ``out``.

        ``out`` defaults to ``data/enrichment/wikidata.nt`` in the working folder
        (a generated file; never the installed package).
        """
        from .enrichment import HARVEST_QUERIES, harvest, linked_entities, render_enrichment
        from .linking import entity_iri

        client = client or wikidata_client(user_agent=self.settings.user_agent)
        only = [entity_iri(x) for x in entities] if entities else None
        linked = linked_entities(self.store, only)
        report = harvest(client, linked, properties=tuple(properties or HARVEST_QUERIES))
        target = out or DEFAULT_ENRICHMENT_FILE
        text = render_enrichment(report.graph, generated_by=f"endpoint {client.endpoint}")
        write_atomic(target, text)
        report.output = target
        return report

    # --- publishing and serving -------------------------------------------

    def publish(
        self,
        out: Path = Path("dist"),
        version: str | None = None,
        *,
        base_url: str | None = None,
        sparql_endpoint: str | None = None,
        changelog: Path | None = None,
        progress: Progress | None = None,
    ) -> Release:
        """Write a deterministic release ``<out>/<version>/``: dumps, VoID, DCAT, checksums."""
        from .publish import DEFAULT_BASE_URL, publish

        return publish(
            self._embedded("publishing"),
            out,
            version,
            base_url=base_url or DEFAULT_BASE_URL,
            sparql_endpoint=sparql_endpoint,
            changelog=changelog,
            ontology_dirs=self.settings.ontology_dirs,
            shapes_dirs=self.settings.shapes_dirs,
            progress=progress,
        )

    def void(
        self,
        *,
        version: str | None = None,
        base_url: str | None = None,
        sparql_endpoint: str | None = None,
        dumps: Sequence[str] = ("citykg.nq", "citykg.trig"),
        dump_base: str | None = None,
    ) -> list[ox.Triple]:
        """The VoID description of the graph, as :meth:`publish` writes it (:mod:`citykg.void`).

        The dataset IRI is the release's, ``<base_url><version>/#dataset``, with
        the version and base URL :meth:`publish` would use; so the server's VoID
        and a release's describe the same dataset. Every named graph is counted
        (those a TriG or N-Quads data file named too); ``dumps`` are file names
        under ``dump_base`` (default: the release's folder).
        """
        from .namespaces import ONTOLOGY_IRI
        from .publish import DEFAULT_BASE_URL, release_base, release_version
        from .void import stats_of_store, void_description

        store = self._embedded("describing")
        header = [
            q
            for q in store.ox.quads_for_pattern(ox.NamedNode(str(ONTOLOGY_IRI)), None, None)
            if not isinstance(q.graph_name, ox.DefaultGraph)
        ]
        version = release_version(header, version)
        return void_description(
            stats_of_store(store.ox),
            release_base=release_base(version, base_url or DEFAULT_BASE_URL),
            version=version,
            dumps=dumps,
            sparql_endpoint=sparql_endpoint,
            dump_base=dump_base,
        )

    def query_docs(self, fixture: KnowledgeGraph | None = None) -> str:
        """The stored queries documented as Markdown, with example results."""
        from .querydocs import query_docs

        return query_docs(self, fixture)

    def _embedded(self, what: str) -> OxigraphStore:
        if not isinstance(self.store, OxigraphStore):
            raise QueryError(f"{what} works on the embedded store, not on a remote endpoint")
        return self.store


@dataclass
class LinkOutcome:
    """What :meth:`KnowledgeGraph.link` did: the report, and where it wrote."""

    report: LinkReport
    entities: int
    links_file: Path
    review_file: Path
    written: bool


#: Where ``link`` keeps its files unless told otherwise: the working folder's ``data/links``.
DEFAULT_LINKS_DIR = Path("data") / "links"
#: Where ``enrich`` writes unless told otherwise (in the working folder).
DEFAULT_ENRICHMENT_FILE = Path("data") / "enrichment" / "wikidata.nt"


def check_sparql(text: str, *, allow_network: bool = False) -> str:
    """Judge an ad hoc query as :meth:`KnowledgeGraph.sparql` does, before any graph is opened.

    Returns the query form; raises :class:`~citykg.errors.ForbiddenQueryError`
    for an update or a ``SERVICE`` that is not allowed, and
    :class:`~citykg.errors.QueryError` for text that does not parse. The project's
    prefixes need no declaration, as in :meth:`KnowledgeGraph.sparql`.

    >>> check_sparql("SELECT ?n WHERE { ?n a ckg:TransnationalMunicipalNetwork }")
    'SELECT'
    """
    allowed = NETWORK_SERVICES if allow_network else frozenset()
    return check_safe(with_prefixes(text, PREFIXES), allowed)


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
    cache: bool = True,
    force: bool = False,
) -> KnowledgeGraph:
    """Build the knowledge graph (shipped resources plus the user's folders) and return it.

    With ``endpoint`` the graph is a remote SPARQL endpoint and nothing is built
    locally. Otherwise the build is persistent and content-addressed, as for
    the command line (:mod:`citykg.buildcache`): kept in the folder ``store``
    (default: ``$CITYKG_CACHE_DIR``, else the user cache folder), reused when
    nothing changed (a new notebook kernel opens it at once), updated
    incrementally when only data changed, rebuilt in full with ``force``. The
    cached build is opened read-only. ``cache=False`` builds in memory for this
    process instead (writable: :meth:`KnowledgeGraph.reason` can re-run).
    """
    settings = load_settings(
        Path(config) if config else None,
        extra_data=[Path(d) for d in data],
        extra_queries=[Path(q) for q in queries],
        store_path=Path(store) if store else None,
        endpoint=endpoint,
        reasoning=reasoning,
    )
    if build and not settings.endpoint and (cache or settings.store_path is not None):
        return open_kg(settings, force=force, progress=progress)
    kg = KnowledgeGraph(settings)
    if build and kg.embedded:
        kg.build(progress=progress)
    return kg


def open_kg(
    settings: Settings,
    *,
    force: bool = False,
    progress: Progress | None = None,
    validate: bool = True,
) -> KnowledgeGraph:
    """A :class:`KnowledgeGraph` over the cached build of ``settings`` (:mod:`citykg.buildcache`).

    ``validate=False`` leaves validation out of a build it makes (it then runs
    in full the first time :meth:`KnowledgeGraph.validate` is called).
    """
    from .buildcache import StoredIndex, open_build

    build = open_build(settings, force=force, progress=progress, validate=validate)
    assert build.store is not None
    kg = KnowledgeGraph(settings, store=build.store)
    kg.index = StoredIndex(build.folder / "index.json")
    kg.build_report = BuildReport(**build.report_fields())
    kg.build_cache = build
    return kg


#: The dump formats :func:`load_dump` reads (quads keep their named graphs).
DUMP_FORMATS: dict[str, ox.RdfFormat] = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


def load_dump(path: str | Path, settings: Settings | None = None) -> KnowledgeGraph:
    """A :class:`KnowledgeGraph` over an N-Quads or TriG dump, read into memory as it is.

    The dump of ``citykg export`` or of a release (``citykg.nq``, ``citykg.trig``)
    holds every named graph, inferences included: nothing is built or reasoned.
    ``settings`` give the stored queries (and the rest of the configuration).
    Raises :class:`~citykg.errors.SourceNotFoundError` or, naming the file and
    line, :class:`~citykg.errors.ParseError`.
    """
    from .errors import ParseError, SourceNotFoundError

    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: no such dump")
    fmt = DUMP_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(path, f"a dump is N-Quads (.nq) or TriG (.trig), not {path.suffix!r}")
    store = OxigraphStore()
    try:
        store.ox.bulk_load(path=str(path), format=fmt)
    except SyntaxError as e:
        msg = e.msg or str(e)
        if msg.startswith("Parser error at line") and ": " in msg:
            msg = msg.split(": ", 1)[1]
        raise ParseError(path, msg, e.lineno, e.offset) from None
    except (OSError, ValueError) as e:
        raise ParseError(path, str(e)) from None
    return KnowledgeGraph(settings, store=store)


def wikidata_client(
    endpoint: str | None = None,
    *,
    user_agent: str | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    **options: Any,
) -> WikidataClient:
    """The polite, caching Wikidata client that ``link`` and ``enrich`` use.

    ``options`` are :class:`~citykg.wikidata.WikidataClient`'s (``timeout``,
    ``retries``, ``backoff``, ``min_interval``, ``batch_size``).

    >>> wikidata_client().endpoint
    'https://query.wikidata.org/sparql'
    """
    from .wikidata import DEFAULT_CACHE_DIR, DEFAULT_ENDPOINT, DEFAULT_USER_AGENT, WikidataClient

    return WikidataClient(
        endpoint or DEFAULT_ENDPOINT,
        user_agent=user_agent or DEFAULT_USER_AGENT,
        cache_dir=(cache_dir or DEFAULT_CACHE_DIR) if use_cache else None,
        **options,
    )


def ingest_table(
    source: Path | None,
    mapping: Path,
    out: Path | None = None,
    *,
    validate: bool = True,
    requires: Sequence[Path] | None = None,
    encoding: str | None = None,
    data: Sequence[str | Path] = (),
    settings: Settings | None = None,
) -> IngestResult:
    """Convert a CSV/TSV table to Turtle through a CSVW mapping, validated before writing.

    With ``validate`` the new triples are checked with the SHACL shapes together
    with the ontology and the current data (so references to existing entities
    resolve, and the sources the rows cite must be described there: ``data``
    names extra data folders); a violation on a new entity raises
    :class:`~citykg.errors.IngestError` and nothing is written. ``out`` is
    written atomically; without it the Turtle is in the result.
    """
    from .ingest import ingest as run

    settings = settings or Settings()
    if data:
        extra = tuple(Path(d).resolve() for d in data)
        settings = settings.with_(data_dirs=settings.data_dirs + extra)
    context = list(requires or [])
    check = _shapes_check(settings, context, out) if validate else None
    return run(source, mapping, out, validate=check, requires=context or None, encoding=encoding)


def _shapes_check(
    settings: Settings, context: list[Path], out: Path | None
) -> Callable[[rdflib.Graph], list[str]]:
    from .loader import rdf_files

    def check(graph: rdflib.Graph) -> list[str]:
        shapes = load_shapes(settings.shapes_dirs)
        if len(shapes) == 0:
            return []
        store = OxigraphStore()
        store.add(graph, "ingest")  # type: ignore[arg-type]
        for f in [f for d in settings.ontology_dirs for f in rdf_files(d)]:
            store.load_file(f, "ontology")
        existing = [
            f
            for d in settings.data_dirs
            for f in rdf_files(d)
            if out is None or f.resolve() != out.resolve()
        ]
        for f in existing + [f for f in context if f not in existing]:
            store.load_file(f, "data")
        graphs = [ox.NamedNode(str(graph_iri(n))) for n in ("ingest", "ontology", "data")]
        report = validate_store(store.ox, shapes, None, graphs)
        subjects = {str(s) for s in graph.subjects()}
        return [
            r.one_line()
            for r in report.sorted_results()
            if r.severity == "Violation" and r.focus in subjects
        ]

    return check


def lint_ontology(
    files: Sequence[Path] = (),
    *,
    data: Sequence[Path] = (),
    queries: Sequence[Path] = (),
    changelog: Path | None = None,
) -> LintReport:
    """Lint the ontology (the shipped one, or ``files``) and every use of its terms.

    Problems are returned (``report.ok``, ``report.to_text()``), not raised;
    :meth:`~citykg.lint.LintReport.raise_for_problems` raises them.

    With no arguments it lints everything shipped (what ``citykg lint`` does);
    given files, only those (here the ontology, without the data's uses of it):

    >>> from citykg.loader import rdf_files
    >>> from citykg.resources import resource_dir
    >>> report = lint_ontology(rdf_files(resource_dir("ontology")))
    >>> report.ok, report.problems
    (True, [])
    """
    from .lint import LintSources, data_files, query_files
    from .lint import lint as run

    sources = LintSources(ontology=list(files)) if files else LintSources.shipped()
    for folder in data:
        sources.data += data_files(folder)
    for folder in queries:
        sources.queries += query_files(folder)
    return run(sources, changelog=changelog)


def build_docs(out: Path = Path("dist/docs"), files: Sequence[Path] | None = None) -> DocsResult:
    """Write the ontology's HTML documentation (pyLODE) and class diagram to ``out``.

    Needs the ``docs`` extra (``pip install 'citykg[docs]'``).
    """
    from .docs import build_docs as run

    return run(out, list(files) if files else None)


def check_dl(files: Sequence[Path] | None = None) -> DLReport:
    """Check OWL 2 DL consistency and classification with HermiT (the ontology by default).

    Needs Java and the ``dl`` extra (``pip install 'citykg[dl]'``).
    """
    from .loader import rdf_files
    from .reasoning import check_dl as run
    from .resources import resource_dir

    return run(list(files) if files else rdf_files(resource_dir("ontology")))


def push_release(
    release: Path,
    endpoint: str,
    *,
    graph_store: str | None = None,
    update_endpoint: str | None = None,
    user: str | None = None,
    password: str | None = None,
    method: str = "auto",
    batch_size: int | None = None,
    retries: int = 3,
    timeout: float = 300.0,
    progress: Progress | None = None,
) -> PushReport:
    """Load a published release into a SPARQL server and check the counts per graph.

    The Graph Store Protocol when the server has it, SPARQL Update otherwise;
    raises :class:`~citykg.errors.PublishError` or :class:`~citykg.errors.EndpointError`.
    """
    from .errors import PublishError
    from .push import DEFAULT_BATCH, Target
    from .push import push as run

    if not release.is_dir():
        raise PublishError(
            f"{release}: no such release folder; run `citykg publish` first or give --release DIR"
        )
    target = Target.guess(
        endpoint,
        graph_store=graph_store,
        update_endpoint=update_endpoint,
        user=user,
        password=password,
        timeout=timeout,
    )
    return run(
        release,
        target,
        method=method,
        batch_size=batch_size or DEFAULT_BATCH,
        retries=retries,
        progress=progress,
    )


def reconcile_table(table: Path, **options: Any) -> Any:
    """Reconcile the names of a CSV table with Wikidata (``citykg reconcile``).

    Returns a pandas DataFrame of every input row with ``qid``, ``qid_label``,
    ``score``, ``decision`` and ``reason``; ``options`` are those of
    :func:`citykg.reconcile.reconcile_table` (``name``, ``country``, ``client``...).
    Needs the ``notebook`` extra (pandas).
    """
    from .extras import require

    require("pandas", "notebook", "reconcile_table (its tables are pandas DataFrames)")
    from .reconcile import reconcile_table as run

    return run(table, **options)


__all__ = [
    "DEFAULT_ENRICHMENT_FILE",
    "DEFAULT_LINKS_DIR",
    "BuildReport",
    "KnowledgeGraph",
    "LinkOutcome",
    "build_docs",
    "check_dl",
    "check_sparql",
    "ingest_table",
    "lint_ontology",
    "load",
    "load_dump",
    "open_kg",
    "push_release",
    "reconcile_table",
    "wikidata_client",
]


def _page(result: QueryResult, limits: Limits) -> QueryResult:
    """The page ``limits`` asks for, with a note when more rows follow."""
    if limits.limit is None and not limits.offset:
        return result
    end = None if limits.limit is None else limits.offset + limits.limit
    if isinstance(result, SelectResult):
        more = end is not None and len(result.rows) > end
        result.rows = result.rows[limits.offset : end]
        if more:
            result.truncated = page_message(len(result.rows), limits)
    elif isinstance(result, GraphResult):
        more = end is not None and len(result.triples) > end
        result.triples = result.triples[limits.offset : end]
        if more:
            result.truncated = page_message(len(result.triples), limits)
    return result
