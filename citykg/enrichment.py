"""Harvesting Wikidata statements about linked entities into the ``enrichment`` graph.

For every entity with a Wikidata link (``ckg:wikidataId`` in the data graph or
``skos:exactMatch wd:Q…`` in the links graph) the harvester asks, in batched
``VALUES`` lookups through :class:`~citykg.wikidata.WikidataClient`, for:

========  ===================================  =====================================
Wikidata  citykg                                form
========  ===================================  =====================================
P1082     ``ckg:population``                   and ``ckg:populationDate`` (P585)
P625      ``ckg:coordinates``                  ``"POINT(lon lat)"^^geo:wktLiteral``
P571      ``ckg:foundingDate``                 organisations; ``ckg:inceptionDate`` for places
P17       ``ckg:country``                      to ``id/country/q…`` or our linked entity
P6        ``ckg:headOfGovernment``             P580/P582 as ``ckg:startDate``/``ckg:endDate``
                                               on the statement node
P190      ``ckg:Twinning`` ``twinning/qA-qB``  ``ckg:recordedOnSideOf`` the harvested side
P463      ``org:Membership``                   agents only (a place is never a member)
========  ===================================  =====================================

Every harvested triple is cited: an ``rdf:Statement`` node (IRI
``id/wikidata-statement/<hash>``) with ``ckg:citation`` to
``id/citation/wikidata-<date>``, whose ``ckg:citedSource`` is the dataset
``id/dataset/wikidata-<date>`` (``ckg:snapshotDate`` the retrieval date,
``dcterms:source`` the endpoint, CC0). Relationship nodes (twinnings,
memberships) carry the citation themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS, XSD

from .errors import LinkError
from .linking import qid_of
from .namespaces import CKG, GEO, ID, WD, graph_iri
from .results import SelectResult
from .store import Store
from .wikidata import Binding, CachedAnswer, WikidataClient, value

CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
PREFIXES = (
    "PREFIX wd: <http://www.wikidata.org/entity/>\n"
    "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
    "PREFIX p: <http://www.wikidata.org/prop/>\n"
    "PREFIX ps: <http://www.wikidata.org/prop/statement/>\n"
    "PREFIX pq: <http://www.wikidata.org/prop/qualifier/>\n"
    "PREFIX pqv: <http://www.wikidata.org/prop/qualifier/value/>\n"
    "PREFIX wikibase: <http://wikiba.se/ontology#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)

#: One query per harvested property; ``{values}`` is the batch of items.
HARVEST_QUERIES: dict[str, str] = {
    "P1082": "SELECT ?item ?v ?when ?prec WHERE { VALUES ?item { {values} } ?item wdt:P1082 ?v "
    "OPTIONAL { ?item p:P1082 ?st . ?st ps:P1082 ?v ; pq:P585 ?when "
    "OPTIONAL { ?st pqv:P585/wikibase:timePrecision ?prec } } }",
    "P625": "SELECT ?item ?v WHERE { VALUES ?item { {values} } ?item wdt:P625 ?v }",
    "P571": "SELECT ?item ?v WHERE { VALUES ?item { {values} } ?item wdt:P571 ?v }",
    "P17": "SELECT ?item ?v WHERE { VALUES ?item { {values} } ?item wdt:P17 ?v }",
    "P6": "SELECT ?item ?v ?start ?end ?vLabel WHERE { VALUES ?item { {values} } "
    "{ ?item wdt:P6 ?v } UNION { ?item p:P6 ?st . ?st ps:P6 ?v "
    "OPTIONAL { ?st pq:P580 ?start } OPTIONAL { ?st pq:P582 ?end } } "
    'OPTIONAL { ?v rdfs:label ?vLabel FILTER(LANG(?vLabel) = "en") } }',
    "P190": "SELECT ?item ?v ?vLabel WHERE { VALUES ?item { {values} } ?item wdt:P190 ?v "
    'OPTIONAL { ?v rdfs:label ?vLabel FILTER(LANG(?vLabel) IN ("en", "")) } }',
    "P463": "SELECT ?item ?v ?vLabel WHERE { VALUES ?item { {values} } ?item wdt:P463 ?v "
    'OPTIONAL { ?v rdfs:label ?vLabel FILTER(LANG(?vLabel) = "en") } }',
}


@dataclass
class Linked:
    """An entity of ours with its Wikidata item and what it is."""

    iri: str
    qid: str
    is_place: bool
    government: str | None = None


@dataclass
class EnrichReport:
    """What a harvest did."""

    graph: Graph
    entities: int = 0
    statements: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    output: Path | None = None


def _table(store: Store, text: str) -> list[tuple[str | None, ...]]:
    res = store.query(text)
    if not isinstance(res, SelectResult):
        raise LinkError("an entity query did not return a table")
    return [tuple(None if t is None else str(t) for t in row) for row in res.rows]


def linked_entities(store: Store, only: Sequence[str] | None = None) -> list[Linked]:
    """Entities with a Wikidata link, from the data and links graphs (``only``: these IRIs)."""
    data, links, onto = graph_iri("data"), graph_iri("links"), graph_iri("ontology")
    rows = _table(
        store,
        f"""
        PREFIX ckg: <{CKG}> PREFIX skos: <{SKOS}>
        SELECT DISTINCT ?x ?q ?gov WHERE {{
          {{ GRAPH <{data}> {{ ?x ckg:wikidataId ?id }} BIND(STR(?id) AS ?q) }}
          UNION {{ GRAPH <{links}> {{ ?x skos:exactMatch ?w }}
                  FILTER(STRSTARTS(STR(?w), "{WD}")) BIND(STRAFTER(STR(?w), "{WD}") AS ?q) }}
          FILTER(isIRI(?x))
          OPTIONAL {{ GRAPH <{data}> {{ ?x ckg:governedBy ?gov }} }}
        }} ORDER BY ?x ?q""",
    )
    classes = [
        t
        for (t,) in _table(
            store,
            f"""SELECT ?t WHERE {{ GRAPH <{onto}> {{
        ?t <{RDFS.subClassOf}>* <{CKG.Place}> }} }}""",
        )
        if t
    ]
    places: set[str] = set()
    if classes:
        values = " ".join(f"<{c}>" for c in classes)
        places = {
            x
            for (x,) in _table(
                store,
                f"""SELECT DISTINCT ?x WHERE {{
            VALUES ?t {{ {values} }} GRAPH <{data}> {{ ?x a ?t }} }}""",
            )
            if x
        }
    wanted = set(only) if only else None
    out: dict[str, Linked] = {}
    for x, q, gov in rows:
        if x is None or q is None or qid_of(str(WD) + q) is None:
            continue
        if wanted is not None and x not in wanted:
            continue
        out.setdefault(x, Linked(x, q, x in places, gov))
    return list(out.values())


def _date_literal(text: str, precision: str | None = None) -> Literal | None:
    """An ``xsd:date``/``gYearMonth``/``gYear`` from a Wikidata time value and precision."""
    t = text.lstrip("+")
    if len(t) < 10 or t[4] != "-":
        return None
    if precision == "9":
        return Literal(t[:4], datatype=XSD.gYear)
    if precision == "10":
        return Literal(t[:7], datatype=XSD.gYearMonth)
    return Literal(t[:10], datatype=XSD.date)


class _Builder:
    """Adds harvested triples with their citations to one rdflib graph."""

    def __init__(self, endpoint: str, by_qid: dict[str, str]) -> None:
        self.g = Graph()
        self.endpoint = endpoint
        self.by_qid = by_qid
        self.citations: dict[str, URIRef] = {}

    def citation(self, retrieved: datetime) -> URIRef:
        day = retrieved.date().isoformat()
        if day not in self.citations:
            cit, ds = URIRef(f"{ID}citation/wikidata-{day}"), URIRef(f"{ID}dataset/wikidata-{day}")
            g = self.g
            g.add((ds, RDF.type, CKG.Dataset))
            g.add((ds, RDFS.label, Literal(f"Wikidata, as retrieved on {day}", lang="en")))
            g.add((ds, DCTERMS.title, Literal(f"Wikidata, as retrieved on {day}", lang="en")))
            g.add((ds, DCTERMS.source, URIRef(self.endpoint)))
            g.add((ds, DCTERMS.license, CC0))
            g.add((ds, CKG.snapshotDate, Literal(day, datatype=XSD.date)))
            g.add((cit, RDF.type, CKG.Citation))
            g.add((cit, CKG.citedSource, ds))
            g.add((cit, CKG.evidenceTier, CKG.TakenFromDataset))
            self.citations[day] = cit
        return self.citations[day]

    def stated(self, s: URIRef, p: URIRef, o: URIRef | Literal, retrieved: datetime) -> URIRef:
        """Add a triple and its reified, cited statement; return the statement node."""
        self.g.add((s, p, o))
        h = hashlib.sha256(f"{s} {p} {o.n3()}".encode()).hexdigest()[:16]
        node = URIRef(f"{ID}wikidata-statement/{h}")
        for t in (
            (node, RDF.type, RDF.Statement),
            (node, RDF.subject, s),
            (node, RDF.predicate, p),
            (node, RDF.object, o),
            (node, CKG.citation, self.citation(retrieved)),
        ):
            self.g.add(t)
        return node

    def thing(self, qid: str, kind: str, cls: URIRef, label: str | None) -> URIRef:
        """Our entity for an item, or a new ``id/<kind>/q…`` typed ``cls``."""
        if qid in self.by_qid:
            return URIRef(self.by_qid[qid])
        iri = URIRef(f"{ID}{kind}/{qid.lower()}")
        self.g.add((iri, RDF.type, cls))
        self.g.add((iri, CKG.wikidataId, Literal(qid)))
        if label:
            self.g.add((iri, RDFS.label, Literal(label, lang="en")))
        return iri


def harvest(
    client: WikidataClient,
    entities: Sequence[Linked],
    *,
    properties: Sequence[str] = tuple(HARVEST_QUERIES),
    progress: Callable[[int, int], None] | None = None,
) -> EnrichReport:
    """Ask for the selected statements of every linked entity; map them to citykg."""
    unknown = set(properties) - set(HARVEST_QUERIES)
    if unknown:
        raise LinkError(
            f"cannot harvest {', '.join(sorted(unknown))}; known: {', '.join(HARVEST_QUERIES)}"
        )
    by_qid = {e.qid: e.iri for e in entities}
    b = _Builder(client.endpoint, by_qid)
    report = EnrichReport(b.g, entities=len(entities))
    qids = sorted(by_qid, key=lambda q: int(q[1:]))
    for pid in properties:
        template = PREFIXES + HARVEST_QUERIES[pid]

        def make(batch: Sequence[str], template: str = template) -> str:
            return template.replace("{values}", " ".join(f"wd:{q}" for q in batch))

        answers = client.lookup(
            qids, make, lambda row: qid_of(value(row, "item") or ""), progress=progress
        )
        for e in entities:
            ans = answers.get(e.qid)
            if ans is not None:
                n = _map(b, pid, e, ans)
                report.statements[pid] = report.statements.get(pid, 0) + n
                if n < 0:
                    report.skipped[pid] = report.skipped.get(pid, 0) - n
    return report


def _map(b: _Builder, pid: str, e: Linked, ans: CachedAnswer) -> int:
    """Map one entity's answer for one property; return statements added (negative: skipped)."""
    s, when = URIRef(e.iri), ans.retrieved
    rows: list[Binding] = sorted(
        ans.bindings, key=lambda r: sorted((k, v.get("value", "")) for k, v in r.items())
    )
    added = 0
    if pid == "P1082":
        best: dict[str, Binding] = {}
        for r in rows:  # the truthy value; prefer the row that has its point in time
            v = value(r, "v") or ""
            if v not in best or value(r, "when"):
                best[v] = r
        for v, r in best.items():
            try:
                n = int(float(v))
            except ValueError:
                continue
            b.stated(s, CKG.population, Literal(n, datatype=XSD.nonNegativeInteger), when)
            d = _date_literal(value(r, "when") or "", value(r, "prec"))
            if d is not None:  # ckg:populationDate is a property of the place
                b.stated(s, CKG.populationDate, d, when)
            added += 1
    elif pid == "P625":
        for r in rows:
            v = value(r, "v") or ""
            if v.lower().startswith("point("):
                b.stated(
                    s, CKG.coordinates, Literal("POINT(" + v[6:], datatype=GEO.wktLiteral), when
                )
                added += 1
    elif pid == "P571":
        # ckg:foundingDate's domain is ckg:Organization; a place's inception is its own term
        prop = CKG.inceptionDate if e.is_place else CKG.foundingDate
        for r in rows:
            d = _date_literal(value(r, "v") or "")
            if d is not None:
                b.stated(s, prop, d, when)
                added += 1
    elif pid == "P17":
        for r in rows:
            q = qid_of(value(r, "v") or "")
            if q:
                b.stated(s, CKG.country, b.thing(q, "country", CKG.Country, None), when)
                added += 1
    elif pid == "P6":
        for r in rows:
            q = qid_of(value(r, "v") or "")
            if not q:
                continue
            person = b.thing(q, "person", CKG.Person, value(r, "vLabel"))
            node = b.stated(s, CKG.headOfGovernment, person, when)
            for var, prop in (("start", CKG.startDate), ("end", CKG.endDate)):
                d = _date_literal(value(r, var) or "")
                if d is not None:
                    b.g.add((node, prop, d))
            added += 1
    elif pid == "P190":
        for r in rows:
            q = qid_of(value(r, "v") or "")
            if not q or q == e.qid:
                continue
            other = b.thing(q, "place", CKG.Place, value(r, "vLabel"))
            lo, hi = sorted((int(e.qid[1:]), int(q[1:])))
            tw = URIRef(f"{ID}twinning/q{lo}-q{hi}")
            for t in (
                (tw, RDF.type, CKG.Twinning),
                (tw, CKG.twinningParty, s),
                (tw, CKG.twinningParty, other),
                (tw, CKG.recordedOnSideOf, s),
                (tw, CKG.citation, b.citation(when)),
            ):
                b.g.add(t)
            added += 1
    elif pid == "P463":
        member = (
            URIRef(e.government) if e.is_place and e.government else (None if e.is_place else s)
        )
        for r in rows:
            q = qid_of(value(r, "v") or "")
            if not q:
                continue
            if member is None:
                added -= 1  # a place is never a member; its government is unknown
                continue
            org = b.thing(q, "organization", CKG.Organization, value(r, "vLabel"))
            m = URIRef(f"{ID}membership/{member.rsplit('/', 1)[-1]}-{q.lower()}")
            for t in (
                (m, RDF.type, CKG.Membership),
                (m, ORG.member, member),
                (m, ORG.organization, org),
                (m, CKG.citation, b.citation(when)),
            ):
                b.g.add(t)
            added += 1
    return added


def render_enrichment(g: Graph, *, generated_by: str) -> str:
    """The enrichment graph as sorted N-Triples with a generated-file header."""
    body = sorted(set(g.serialize(format="nt").splitlines()) - {""})
    head = [
        "# GENERATED by `citykg enrich`: do not edit; rerun the command instead.",
        f"# {generated_by}",
    ]
    return "\n".join(head + body) + "\n"


__all__ = [
    "HARVEST_QUERIES",
    "EnrichReport",
    "Linked",
    "harvest",
    "linked_entities",
    "render_enrichment",
]
