"""What the HTML pages and the ``/data`` documents show, read from the read-only store.

Every function here takes a :class:`pyoxigraph.Store` and returns plain
values for the templates (which escape everything); nothing here builds HTML.
Reads are pattern lookups with caps, never open-ended SPARQL, so a page stays
fast whatever the size of the graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import CKG, DCTERMS, GEO, ID, RDF, RDFS, SDO, SKOS, WD
from .negotiation import pick_language

ID_BASE = str(ID)
ONTOLOGY_NS = str(CKG)
ONTOLOGY_DOC = ONTOLOGY_NS.rstrip("#")
LABEL_PREDICATES = (str(RDFS.label), str(SKOS.prefLabel), str(DCTERMS.title), str(SDO.name))
RDF_TYPE = ox.NamedNode(str(RDF.type))
MAX_OUT = 2000
MAX_IN = 200
_POINT = re.compile(r"POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)", re.IGNORECASE)

#: The documents a thing's data is served as, by suffix.
DATA_SUFFIXES: dict[str, tuple[str, ox.RdfFormat]] = {
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}


#: Schemes a page may link to; any other (``javascript:``, ``data:``...) is shown as text.
SAFE_SCHEMES = ("http", "https", "ftp", "mailto")


def safe_href(href: str | None) -> str | None:
    """``href`` if it is a path on this server or a URL of a safe scheme, else None.

    >>> safe_href("https://www.wikidata.org/wiki/Q62"), safe_href("/page/city/q62")
    ('https://www.wikidata.org/wiki/Q62', '/page/city/q62')
    >>> safe_href("javascript:alert(1)") is None, safe_href(" JavaScript:x") is None
    (True, True)
    """
    if href is None:
        return None
    if href.startswith("/") and not href.startswith("//"):
        return href
    scheme, sep, _ = href.partition(":")
    if sep and scheme.lower() in SAFE_SCHEMES and href == href.strip():
        return href
    return None


@dataclass
class Link:
    """A term as a page shows it: text, an optional link, and a note (language, type).

    The link is kept only if :func:`safe_href` allows it: data can hold any IRI,
    and a ``javascript:`` IRI must never become a live link.
    """

    text: str
    href: str | None = None
    note: str = ""
    iri: str | None = None

    def __post_init__(self) -> None:
        self.href = safe_href(self.href)


@dataclass
class PropertyRow:
    """One property of an entity and its values."""

    predicate: Link
    values: list[Link] = field(default_factory=list)


@dataclass
class Citation:
    """A source and how it supports the entity."""

    source: Link | None
    locator: str = ""
    tier: str = ""
    about: str = ""


@dataclass
class EntityView:
    """Everything an entity page shows."""

    iri: str
    label: str
    labels: list[tuple[str, str]]
    types: list[Link]
    properties: list[PropertyRow]
    incoming: list[tuple[Link, Link]]
    incoming_truncated: bool
    citations: list[Citation]
    point: tuple[float, float] | None
    wikidata: list[str]
    key: str


def local_path(iri: str) -> str | None:
    """The server path of a citykg IRI (without the base path), or None for other IRIs.

    >>> local_path("https://w3id.org/citykg/id/city/q62")
    '/page/city/q62'
    >>> local_path("https://w3id.org/citykg/ontology#City")
    '/ontology#City'
    """
    if iri.startswith(ID_BASE) and len(iri) > len(ID_BASE):
        return "/page/" + iri[len(ID_BASE) :]
    if iri.startswith(ONTOLOGY_NS):
        return "/ontology#" + iri[len(ONTOLOGY_NS) :]
    if iri == ONTOLOGY_DOC:
        return "/ontology"
    return None


def _literals(
    store: ox.Store, node: ox.NamedNode | ox.BlankNode, predicates: Iterable[str]
) -> list[ox.Literal]:
    out: list[ox.Literal] = []
    for p in predicates:
        for q in store.quads_for_pattern(node, ox.NamedNode(p), None, None):
            if isinstance(q.object, ox.Literal) and q.object not in out:
                out.append(q.object)
        if out:
            return out
    return out


def pick_label(literals: Sequence[ox.Literal], langs: Sequence[str]) -> str | None:
    """The literal in the reader's language, else English, else any."""
    if not literals:
        return None
    by_lang: dict[str, str] = {}
    for lit in literals:
        by_lang.setdefault(lit.language or "", lit.value)
    chosen = pick_language(list(by_lang), langs)
    return by_lang[chosen] if chosen is not None else literals[0].value


def label_of(store: ox.Store, node: ox.NamedNode | ox.BlankNode, langs: Sequence[str]) -> str:
    """A readable name for a node: its label in the reader's language, else its local name."""
    found = pick_label(_literals(store, node, LABEL_PREDICATES), langs)
    if found:
        return found
    if isinstance(node, ox.BlankNode):
        return "(unnamed node)"
    v = node.value
    return re.split(r"[#/]", v.rstrip("/#"))[-1] or v


def term_link(store: ox.Store, term: object, langs: Sequence[str], prefix: str) -> Link:
    """A term as a link: citykg IRIs to their page, other IRIs as they are, literals as text."""
    if isinstance(term, ox.NamedNode):
        local = local_path(term.value)
        return Link(
            label_of(store, term, langs), prefix + local if local else term.value, iri=term.value
        )
    if isinstance(term, ox.BlankNode):
        return Link(label_of(store, term, langs))
    if isinstance(term, ox.Literal):
        note = term.language or ""
        dt = term.datatype.value
        if not note and dt not in (
            "http://www.w3.org/2001/XMLSchema#string",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
        ):
            note = dt.rsplit("#", 1)[-1]
        href = term.value if dt == "http://www.w3.org/2001/XMLSchema#anyURI" else None
        return Link(term.value, href, note)
    return Link(str(term))


def exists(store: ox.Store, iri: str) -> bool:
    """Whether the graph says anything about the IRI (as subject or object)."""
    node = ox.NamedNode(iri)
    for _ in store.quads_for_pattern(node, None, None, None):
        return True
    for _ in store.quads_for_pattern(None, None, node, None):
        return True
    return False


def describe(store: ox.Store, iri: str, limit: int = MAX_OUT) -> list[ox.Triple]:
    """The concise bounded description of an IRI, over all graphs, without duplicates.

    Its triples, those of the blank nodes and of its own hash IRIs (``<iri#geometry>``)
    they reach, and the reified statements (``rdf:Statement``) about it.
    """
    seen: set[ox.Triple] = set()
    out: list[ox.Triple] = []
    todo: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(iri)]
    visited: set[ox.NamedNode | ox.BlankNode] = set()
    for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.subject)), ox.NamedNode(iri), None):
        if isinstance(q.subject, ox.BlankNode):
            todo.append(q.subject)
    while todo and len(out) < limit:
        node = todo.pop(0)
        if node in visited:
            continue
        visited.add(node)
        for q in store.quads_for_pattern(node, None, None, None):
            t = ox.Triple(q.subject, q.predicate, q.object)
            if t in seen:
                continue
            seen.add(t)
            out.append(t)
            if isinstance(q.object, ox.BlankNode) or (
                isinstance(q.object, ox.NamedNode) and q.object.value.startswith(iri + "#")
            ):
                todo.append(q.object)
    return out


def serialize_triples(triples: list[ox.Triple], rdf_format: ox.RdfFormat) -> bytes:
    """Triples as a document, with citykg's prefixes where the syntax has them."""
    from ..namespaces import PREFIXES

    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=rdf_format, prefixes=PREFIXES) or b""
    return ox.serialize(triples, format=rdf_format) or b""


def _point(store: ox.Store, node: ox.NamedNode) -> tuple[float, float] | None:
    for g in store.quads_for_pattern(node, ox.NamedNode(str(GEO.hasGeometry)), None, None):
        if not isinstance(g.object, ox.NamedNode | ox.BlankNode):
            continue
        for w in store.quads_for_pattern(g.object, ox.NamedNode(str(GEO.asWKT)), None, None):
            m = _POINT.search(w.object.value) if isinstance(w.object, ox.Literal) else None
            if m:
                lon, lat = float(m.group(1)), float(m.group(2))
                if -180 <= lon <= 180 and -90 <= lat <= 90:
                    return lon, lat
    return None


def _citations(
    store: ox.Store, node: ox.NamedNode, langs: Sequence[str], prefix: str
) -> list[Citation]:
    cite = ox.NamedNode(str(CKG.citation))
    holders: list[tuple[ox.NamedNode | ox.BlankNode, str]] = [(node, "")]
    for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.subject)), node, None):
        if isinstance(q.subject, ox.NamedNode | ox.BlankNode):
            preds = list(
                store.quads_for_pattern(q.subject, ox.NamedNode(str(RDF.predicate)), None, None)
            )
            about = (
                label_of(store, preds[0].object, langs)
                if preds and isinstance(preds[0].object, ox.NamedNode)
                else "a statement"
            )
            holders.append((q.subject, about))
    out: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for holder, about in holders:
        for q in store.quads_for_pattern(holder, cite, None, None):
            c = q.object
            if not isinstance(c, ox.NamedNode | ox.BlankNode) or (str(c), about) in seen:
                continue
            seen.add((str(c), about))
            src = next(
                iter(store.quads_for_pattern(c, ox.NamedNode(str(CKG.citedSource)), None, None)),
                None,
            )
            loc = pick_label(_literals(store, c, [str(CKG.locator)]), langs) or ""
            tier_q = next(
                iter(store.quads_for_pattern(c, ox.NamedNode(str(CKG.evidenceTier)), None, None)),
                None,
            )
            tier = (
                label_of(store, tier_q.object, langs)
                if tier_q is not None and isinstance(tier_q.object, ox.NamedNode)
                else ""
            )
            out.append(
                Citation(
                    term_link(store, src.object, langs, prefix) if src else None, loc, tier, about
                )
            )
    return out


def entity_view(store: ox.Store, iri: str, langs: Sequence[str], prefix: str = "") -> EntityView:
    """What the page of one entity shows; ``prefix`` is the server's base path."""
    node = ox.NamedNode(iri)
    all_labels = _literals(store, node, [str(RDFS.label)])
    label = label_of(store, node, langs)
    types: list[Link] = []
    by_pred: dict[str, PropertyRow] = {}
    seen: set[tuple[str, str]] = set()
    wikidata: list[str] = []
    skip = {str(RDF.type), str(RDFS.label), str(CKG.citation), str(GEO.hasGeometry)}
    n = 0
    for q in store.quads_for_pattern(node, None, None, None):
        key = (q.predicate.value, str(q.object))
        if key in seen:
            continue
        seen.add(key)
        n += 1
        if n > MAX_OUT:
            break
        p = q.predicate.value
        if p == str(RDF.type):
            types.append(term_link(store, q.object, langs, prefix))
            continue
        if p == str(CKG.wikidataId) and isinstance(q.object, ox.Literal):
            wikidata.append(str(WD[q.object.value]))
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(str(WD)):
            wikidata.append(q.object.value)
        if p in skip:
            continue
        row = by_pred.get(p)
        if row is None:
            row = by_pred[p] = PropertyRow(term_link(store, q.predicate, langs, prefix))
        row.values.append(term_link(store, q.object, langs, prefix))
    incoming: list[tuple[Link, Link]] = []
    seen_in: set[tuple[str, str]] = set()
    truncated = False
    for q in store.quads_for_pattern(None, None, node, None):
        if q.predicate.value in (str(RDF.subject), str(RDF.object)):
            continue
        if not isinstance(q.subject, ox.NamedNode):
            continue
        key = (q.subject.value, q.predicate.value)
        if key in seen_in:
            continue
        seen_in.add(key)
        if len(incoming) >= MAX_IN:
            truncated = True
            break
        incoming.append(
            (
                term_link(store, q.subject, langs, prefix),
                term_link(store, q.predicate, langs, prefix),
            )
        )
    incoming.sort(key=lambda pair: (pair[1].text, pair[0].text))
    props = sorted(by_pred.values(), key=lambda r: r.predicate.text.lower())
    for row in props:
        row.values.sort(key=lambda v: v.text.lower())
    return EntityView(
        iri=iri,
        label=label,
        labels=sorted((lit.language or "", lit.value) for lit in all_labels),
        types=sorted(types, key=lambda t: t.text),
        properties=props,
        incoming=incoming,
        incoming_truncated=truncated,
        citations=_citations(store, node, langs, prefix),
        point=_point(store, node),
        wikidata=sorted(set(wikidata)),
        key=iri[len(ID_BASE) :] if iri.startswith(ID_BASE) else iri,
    )


@dataclass
class Term:
    """An ontology term for the documentation page."""

    name: str
    iri: str
    label: str
    definition: str
    kind: str
    parents: list[Link]


def ontology_terms(store: ox.Store, langs: Sequence[str], prefix: str = "") -> list[Term]:
    """Every ``ckg:`` class, property and concept with its label and definition, by name."""
    kinds = {
        "http://www.w3.org/2002/07/owl#Class": "Class",
        "http://www.w3.org/2002/07/owl#ObjectProperty": "Object property",
        "http://www.w3.org/2002/07/owl#DatatypeProperty": "Datatype property",
        "http://www.w3.org/2002/07/owl#AnnotationProperty": "Annotation property",
        str(SKOS.Concept): "Concept",
        str(SKOS.ConceptScheme): "Concept scheme",
    }
    found: dict[str, Term] = {}
    for kind_iri, kind in kinds.items():
        for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(kind_iri), None):
            s = q.subject
            if not isinstance(s, ox.NamedNode) or not s.value.startswith(ONTOLOGY_NS):
                continue
            if s.value in found:
                continue
            parents = [
                term_link(store, p.object, langs, prefix)
                for pred in (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.broader)
                for p in store.quads_for_pattern(s, ox.NamedNode(str(pred)), None, None)
                if isinstance(p.object, ox.NamedNode) and p.object != s
            ]
            definition = (
                pick_label(_literals(store, s, [str(SKOS.definition), str(RDFS.comment)]), langs)
                or ""
            )
            found[s.value] = Term(
                s.value[len(ONTOLOGY_NS) :],
                s.value,
                label_of(store, s, langs),
                definition,
                kind,
                parents,
            )
    return sorted(found.values(), key=lambda t: (t.kind, t.name.lower()))


def world_svg_point(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular position of a point on a 360 by 180 map.

    >>> world_svg_point(-122.4, 37.8)
    (57.6, 52.2)
    """
    return round(lon + 180, 3), round(90 - lat, 3)
