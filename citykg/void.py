"""The release's metadata: a VoID description and a DCAT catalogue, as Oxigraph triples.

Both are computed from the canonical quads of the release (see
:mod:`citykg.publish`), so the figures are those of the files published.
Every resource gets an IRI under the release's base (``<base>#dataset``,
``<base>#graph/data``...), except the class and property partitions of VoID,
which are blank nodes (canonicalised when written).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha1

import pyoxigraph as ox

from .namespaces import (
    CKG,
    DCAT,
    DCTERMS,
    FOAF,
    GRAPH_NAMES,
    ID,
    ONTOLOGY_IRI,
    OWL,
    RDF,
    SKOS,
    VOID,
    WD,
    XSD,
    graph_iri,
)

SD = "http://www.w3.org/ns/sparql-service-description#"
SPDX = "http://spdx.org/rdf/terms#"
IANA = "https://www.iana.org/assignments/media-types/"
FORMATS = "http://www.w3.org/ns/formats/"

#: The W3C format IRIs (``void:feature``) of the dumps, by file name suffix.
FORMAT_FEATURES: dict[str, str] = {
    ".nq": "N-Quads",
    ".trig": "TriG",
    ".jsonld": "JSON-LD",
    ".nt.gz": "N-Triples",
    ".ttl": "Turtle",
    ".rdf": "RDF_XML",
}

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: its path in the release folder, size and checksum."""

    path: str
    size: int
    sha256: str
    media_type: str
    role: str = "dataset"  # dataset, ontology, shapes or metadata
    title: str = ""
    compressed: bool = False


def _n(iri: object) -> ox.NamedNode:
    if isinstance(iri, ox.NamedNode):
        return iri
    return ox.NamedNode(str(iri))


def _int(n: int, datatype: object = XSD.integer) -> ox.Literal:
    return ox.Literal(str(n), datatype=_n(datatype))


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


@dataclass
class VoidStats:
    """The figures of a VoID description, counted over the union of the named graphs."""

    triples: int
    entities: int
    subjects: int
    objects: int
    predicates: dict[str, int]  # property partition: distinct triples per property
    classes: dict[str, int]  # class partition: distinct instances per class
    sources: list[str]
    links: int  # skos:exactMatch to a Wikidata item
    per_graph: dict[str, int]  # triples per named graph
    license: str | None
    credits: list[tuple[str, str, str]]


def stats_of_triples(quads: Sequence[ox.Quad], triples: Sequence[ox.Triple]) -> VoidStats:
    """The figures counted in Python over a release's ``quads`` and their union ``triples``."""
    rdf_type = str(RDF.type)
    id_space = str(ID)
    subjects: set[object] = set()
    objects: set[object] = set()
    entities: set[str] = set()
    predicates: Counter[str] = Counter()
    classes: dict[str, set[object]] = defaultdict(set)
    sources: set[str] = set()
    links = 0
    exact_match, wd_space, source_class = str(SKOS.exactMatch), str(WD), str(CKG.Source)
    for t in triples:
        s = t.subject
        subjects.add(s)
        objects.add(t.object)
        p = t.predicate.value
        predicates[p] += 1
        if isinstance(s, ox.NamedNode) and s.value.startswith(id_space):
            entities.add(s.value)
        if p == rdf_type and isinstance(t.object, ox.NamedNode):
            classes[t.object.value].add(s)
            if t.object.value == source_class and isinstance(t.subject, ox.NamedNode):
                sources.add(t.subject.value)
        if (
            p == exact_match
            and isinstance(t.object, ox.NamedNode)
            and t.object.value.startswith(wd_space)
        ):
            links += 1

    per_graph: Counter[str] = Counter(
        q.graph_name.value
        for q in quads  # type: ignore[union-attr]
        if isinstance(q.graph_name, ox.NamedNode)
    )
    return VoidStats(
        len(triples),
        len(entities),
        len(subjects),
        len(objects),
        dict(predicates),
        {c: len(members) for c, members in classes.items()},
        sorted(sources),
        links,
        dict(per_graph),
        ontology_license(triples),
        source_credits(triples),
    )


def _one(store: ox.Store, text: str) -> int:
    res = store.query(text)
    assert isinstance(res, ox.QuerySolutions)
    row = next(iter(res))
    return int(row[0].value)  # type: ignore[union-attr]


def _pairs(store: ox.Store, text: str) -> dict[str, int]:
    res = store.query(text)
    assert isinstance(res, ox.QuerySolutions)
    return {r[0].value: int(r[1].value) for r in res}  # type: ignore[union-attr]


def stats_of_store(store: ox.Store) -> VoidStats:
    """The same figures as :func:`stats_of_triples`, counted by Oxigraph.

    A handful of aggregate queries over the named graphs instead of a Python
    pass over every triple: on the shipped graph (1.1M triples) a few seconds
    and no copy of the graph in memory, where the Python pass took about 30 s
    and a gigabyte. A test holds the two to the same figures.
    """
    union = "{ SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    picked: list[ox.Quad] = []
    for pred in (DCTERMS.bibliographicCitation, DCTERMS.license):
        picked += [
            q
            for q in store.quads_for_pattern(None, ox.NamedNode(str(pred)), None)
            if isinstance(q.graph_name, ox.NamedNode)
        ]
    # the entities among the distinct subjects, tested in Python: STRSTARTS in
    # the query reads every subject's string from disk (6 s on the shipped graph)
    res = store.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(res, ox.QuerySolutions)
    subjects = entities = 0
    id_space = str(ID)
    for row in res:
        subjects += 1
        s = row[0]
        entities += isinstance(s, ox.NamedNode) and s.value.startswith(id_space)
    # distinct triples per property; their sum is the number of distinct triples
    predicates = _pairs(store, f"SELECT ?p (COUNT(*) AS ?n) WHERE {union} GROUP BY ?p")
    return VoidStats(
        triples=sum(predicates.values()),
        entities=entities,
        subjects=subjects,
        objects=_one(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"),
        predicates=predicates,
        classes=_pairs(
            store,
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{RDF.type}> ?c }} "
            "FILTER (isIRI(?c)) } GROUP BY ?c",
        ),
        sources=sorted(
            r[0].value  # type: ignore[union-attr, index]
            for r in store.query(  # type: ignore[union-attr]
                f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s <{RDF.type}> <{CKG.Source}> }} "
                "FILTER (isIRI(?s)) }"
            )
        ),
        links=_one(
            store,
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?o WHERE { "
            f"GRAPH ?g {{ ?s <{SKOS.exactMatch}> ?o }} "
            f'FILTER (isIRI(?o) && STRSTARTS(STR(?o), "{WD}")) }} }}',
        ),
        per_graph=_pairs(
            store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        ),
        license=ontology_license(
            [
                q
                for q in store.quads_for_pattern(ox.NamedNode(str(ONTOLOGY_IRI)), None, None)
                if isinstance(q.graph_name, ox.NamedNode)
            ]
        ),
        credits=source_credits(picked),
    )


def void_graph(
    quads: Sequence[ox.Quad],
    triples: Sequence[ox.Triple],
    **kwargs: object,
) -> list[ox.Triple]:
    """The VoID description of a release's ``quads`` (``triples``: their union);
    see :func:`void_description` for the keywords."""
    return void_description(stats_of_triples(quads, triples), **kwargs)  # type: ignore[arg-type]


def void_description(
    stats: VoidStats,
    *,
    release_base: str,
    version: str,
    dumps: Sequence[str],
    sparql_endpoint: str | None = None,
    license: str | None = None,
    dump_base: str | None = None,
) -> list[ox.Triple]:
    """The VoID description of a release (or of the graph a server serves).

    The figures (``void:triples``, ``void:entities``, distinct subjects and
    objects, class and property partitions, the Wikidata linkset) count the
    union of the named graphs, and each named graph is a ``void:subset`` with
    its own triple count (citykg's graphs always; any other graph after them).
    The dataset is ``<release_base>#dataset``; the ``dumps`` are file names
    under ``dump_base`` (default: ``release_base``).
    """
    out: list[ox.Triple] = []
    ds = _n(f"{release_base}#dataset")

    def add(
        s: ox.NamedNode | ox.BlankNode, p: object, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(s, _n(p), o))

    license = license or stats.license
    predicates, classes, per_graph = stats.predicates, stats.classes, stats.per_graph
    id_space = str(ID)

    add(ds, RDF.type, _n(VOID.Dataset))
    add(ds, DCTERMS.title, _en("citykg: a knowledge graph of city diplomacy"))
    add(
        ds,
        DCTERMS.description,
        _en(
            "Cities, their governments, networks, twinnings, policies and actions in world "
            "politics (paradiplomacy), with sources for every statement."
        ),
    )
    add(ds, OWL.versionInfo, ox.Literal(version))
    add(ds, FOAF.homepage, _n("https://w3id.org/citykg"))
    if license:
        add(ds, DCTERMS.license, _n(license))
    for src in stats.sources:
        add(ds, DCTERMS.source, _n(src))
    for src, cite, lic in stats.credits:
        add(_n(src), DCTERMS.bibliographicCitation, _en(cite))
        add(_n(src), DCTERMS.license, _n(lic))
        add(ds, DCTERMS.rights, _en(f"Contains data from {cite} Licence: {lic}"))
    add(ds, VOID.uriSpace, ox.Literal(id_space))
    add(ds, VOID.vocabulary, _n(ONTOLOGY_IRI))
    add(ds, VOID.triples, _int(stats.triples))
    add(ds, VOID.entities, _int(stats.entities))
    add(ds, VOID.distinctSubjects, _int(stats.subjects))
    add(ds, VOID.distinctObjects, _int(stats.objects))
    add(ds, VOID.properties, _int(len(predicates)))
    add(ds, VOID.classes, _int(len(classes)))
    for dump in dumps:
        add(ds, VOID.dataDump, _n((dump_base or release_base) + dump))
        for suffix, feature in FORMAT_FEATURES.items():
            if dump.endswith(suffix):
                add(ds, VOID.feature, _n(FORMATS + feature))
    if sparql_endpoint:
        add(ds, VOID.sparqlEndpoint, _n(sparql_endpoint))
    add(ds, VOID.exampleResource, _n(f"{id_space}network/c40"))

    for cls in sorted(classes):
        part = ox.BlankNode()
        add(ds, VOID.classPartition, part)
        add(part, VOID["class"], _n(cls))
        add(part, VOID.entities, _int(classes[cls]))
    for prop in sorted(predicates):
        part = ox.BlankNode()
        add(ds, VOID.propertyPartition, part)
        add(part, VOID.property, _n(prop))
        add(part, VOID.triples, _int(predicates[prop]))

    for name in GRAPH_NAMES:
        sub = _n(f"{release_base}#graph/{name}")
        add(ds, VOID.subset, sub)
        add(sub, RDF.type, _n(VOID.Dataset))
        add(sub, _n(SD + "name"), _n(graph_iri(name)))
        add(sub, DCTERMS.title, _en(f"the {name} graph"))
        add(sub, VOID.triples, _int(per_graph.get(str(graph_iri(name)), 0)))
    own = {str(graph_iri(name)) for name in GRAPH_NAMES}
    for iri in sorted(set(per_graph) - own):  # graphs a TriG or N-Quads data file named
        sub = _n(f"{release_base}#graph/other-{sha1(iri.encode('utf-8')).hexdigest()[:12]}")
        add(ds, VOID.subset, sub)
        add(sub, RDF.type, _n(VOID.Dataset))
        add(sub, _n(SD + "name"), _n(iri))
        add(sub, VOID.triples, _int(per_graph[iri]))

    wd = _n(f"{release_base}#wikidata")
    add(wd, RDF.type, _n(VOID.Dataset))
    add(wd, DCTERMS.title, _en("Wikidata"))
    add(wd, FOAF.homepage, _n("https://www.wikidata.org/"))
    add(wd, VOID.uriSpace, ox.Literal(str(WD)))
    add(wd, VOID.sparqlEndpoint, _n(WIKIDATA_SPARQL))
    ls = _n(f"{release_base}#wikidata-links")
    add(ds, VOID.subset, ls)
    add(ls, RDF.type, _n(VOID.Linkset))
    add(ls, DCTERMS.title, _en("citykg entities matched to Wikidata items"))
    add(ls, VOID.subjectsTarget, ds)
    add(ls, VOID.objectsTarget, wd)
    add(ls, VOID.linkPredicate, _n(SKOS.exactMatch))
    add(ls, VOID.triples, _int(stats.links))
    return out


def source_credits(triples: Sequence[ox.Triple] | Sequence[ox.Quad]) -> list[tuple[str, str, str]]:
    """``(source IRI, bibliographic citation, licence IRI)`` of every source whose
    description states both: the attribution its licence asks a release to carry
    (CC BY datasets such as the Covenant of Mayors and the Net Zero Tracker)."""
    cites: dict[str, str] = {}
    licences: dict[str, str] = {}
    citation, licence = str(DCTERMS.bibliographicCitation), str(DCTERMS.license)
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode):
            continue
        if t.predicate.value == citation and isinstance(t.object, ox.Literal):
            cites.setdefault(t.subject.value, t.object.value)
        elif t.predicate.value == licence and isinstance(t.object, ox.NamedNode):
            licences.setdefault(t.subject.value, t.object.value)
    return sorted((s, cites[s], licences[s]) for s in cites if s in licences)


def credits_markdown(credits: Sequence[tuple[str, str, str]]) -> str:
    """The release note's credits section (empty without credits).

    >>> print(credits_markdown([("https://w3id.org/citykg/id/dataset/x", "A. Author. 2024. X.",
    ...                          "https://creativecommons.org/licenses/by/4.0/")]), end="")
    <BLANKLINE>
    ## Credits
    <BLANKLINE>
    This release contains data from these sources, under their licences; citykg's changes to each are described in its dataset description (`dcterms:description`) and in `data/README.md`.
    <BLANKLINE>
    - A. Author. 2024. X. Licence: https://creativecommons.org/licenses/by/4.0/ (https://w3id.org/citykg/id/dataset/x)
    """
    if not credits:
        return ""
    lines = [
        "",
        "## Credits",
        "",
        "This release contains data from these sources, under their licences; citykg's changes "
        "to each are described in its dataset description (`dcterms:description`) and in "
        "`data/README.md`.",
        "",
    ]
    lines += [f"- {cite} Licence: {lic} ({src})" for src, cite, lic in credits]
    return "\n".join(lines) + "\n"


def ontology_license(triples: Sequence[ox.Triple] | Sequence[ox.Quad]) -> str | None:
    """The licence IRI the ontology header states, if any."""
    onto = str(ONTOLOGY_IRI)
    for t in triples:
        if (
            isinstance(t.subject, ox.NamedNode)
            and t.subject.value == onto
            and t.predicate.value == str(DCTERMS.license)
            and isinstance(t.object, ox.NamedNode)
        ):
            return t.object.value
    return None


#: The DCAT dataset each kind of release file belongs to.
ROLE_DATASETS: dict[str, tuple[str, str]] = {
    "dataset": ("dataset", "citykg: a knowledge graph of city diplomacy"),
    "metadata": ("dataset", "citykg: a knowledge graph of city diplomacy"),
    "ontology": ("ontology", "the citykg ontology"),
    "shapes": ("shapes", "the citykg SHACL shapes"),
}


def catalog_graph(
    files: Sequence[ReleaseFile],
    *,
    release_base: str,
    version: str,
    ontology_dir: str,
    license: str | None = None,
    credits: Sequence[tuple[str, str, str]] = (),
) -> list[ox.Triple]:
    """The DCAT catalogue of a release: one distribution per file.

    Each distribution has ``dcat:downloadURL``, ``dcat:mediaType`` (an IANA
    IRI), ``dcat:byteSize`` and an ``spdx:checksum`` (SHA-256); gzip files add
    ``dcat:compressFormat``. The files belong to three datasets: the graph
    (dumps and metadata), the ontology (published at its version IRI) and the
    shapes.
    """
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: object, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(s, _n(p), o))

    cat = _n(f"{release_base}#catalog")
    add(cat, RDF.type, _n(DCAT.Catalog))
    add(cat, DCTERMS.title, _en(f"citykg release {version}"))
    add(cat, FOAF.homepage, _n("https://w3id.org/citykg"))
    if license:
        add(cat, DCTERMS.license, _n(license))
    datasets: dict[str, ox.NamedNode] = {}
    for key, title in sorted(set(ROLE_DATASETS.values())):
        ds = _n(f"{release_base}#{key}")
        datasets[key] = ds
        add(cat, DCAT.dataset, ds)
        add(ds, RDF.type, _n(DCAT.Dataset))
        add(ds, DCTERMS.title, _en(title))
        add(ds, str(DCAT) + "version", ox.Literal(version))
        if license:
            add(ds, DCTERMS.license, _n(license))
    for src, cite, lic in credits:  # the attribution the sources' licences ask for
        add(datasets["dataset"], DCTERMS.source, _n(src))
        add(datasets["dataset"], DCTERMS.rights, _en(f"Contains data from {cite} Licence: {lic}"))
    add(datasets["ontology"], DCTERMS.identifier, ox.Literal(str(ONTOLOGY_IRI)))
    add(datasets["ontology"], DCAT.landingPage, _n(f"https://w3id.org/citykg/{ontology_dir}"))
    for f in sorted(files, key=lambda f: f.path):
        dist = _n(f"{release_base}#dist/{f.path}")
        ds = datasets[ROLE_DATASETS[f.role][0]]
        add(ds, DCAT.distribution, dist)
        add(dist, RDF.type, _n(DCAT.Distribution))
        if f.title:
            add(dist, DCTERMS.title, _en(f.title))
        add(dist, DCAT.downloadURL, _n(release_base + f.path))
        add(dist, DCAT.accessURL, _n(release_base + f.path))
        add(dist, DCAT.mediaType, _n(IANA + f.media_type))
        if f.compressed:
            add(dist, DCAT.compressFormat, _n(IANA + "application/gzip"))
        add(dist, DCAT.byteSize, _int(f.size, XSD.nonNegativeInteger))
        ck = _n(f"{release_base}#sha256/{f.path}")
        add(dist, SPDX + "checksum", ck)
        add(ck, RDF.type, _n(SPDX + "Checksum"))
        add(ck, SPDX + "algorithm", _n(SPDX + "checksumAlgorithm_sha256"))
        add(ck, SPDX + "checksumValue", ox.Literal(f.sha256, datatype=_n(XSD.hexBinary)))
    return out


__all__ = ["catalog_graph", "void_graph"]
