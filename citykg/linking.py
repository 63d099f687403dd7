"""Linking citykg entities to Wikidata items: candidates, scores, decisions.

For every city, country, subdivision, organisation, person and other place
(:data:`KINDS`) without a Wikidata ID, the linker asks the endpoint (through
:class:`~citykg.wikidata.WikidataClient`, batched ``VALUES`` lookups) for
items whose label or alias equals one of the entity's names in the configured
languages, with the facts that score them: whether the item is an instance of
a subclass (``wdt:P31/wdt:P279*``) of the Wikidata class that the ontology
aligns with the entity's class (``ckg:wikidataLinkClass``), its country
(``P17``), coordinates (``P625``) and population (``P1082``).

Scoring (each feature 1 = agrees, 0.5 = the item does not say, 0 = contradicts;
a feature our entity has no data for is left out and the weights renormalised):

======== ====== ==========================================================
feature  weight rule
======== ====== ==========================================================
name     0.35   1 for a label, 0.95 for an alias (exact string match)
type     0.25   1 P31/P279* the link class; 0.5 no P31; 0 other P31
country  0.25   1 P17 is our country; 0.5 no P17; 0 another country
distance 0.15   1 within 25 km; linear to 0 at 100 km; 0.5 no P625
======== ====== ==========================================================

Population only orders tied candidates (for the review file). A candidate is
accepted only if it scores at least ``threshold``, beats the runner-up by
``margin``, contradicts nothing, is confirmed in type (where the class has a
link class; kinds without one are never linked automatically) and, for places
other than countries, is confirmed by country or distance. Everything else
with candidates goes to the review file, which a person answers in the
curated decisions file; decisions are reapplied on every run.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from .errors import LinkError, ParseError
from .namespaces import CKG, ID, WD, graph_iri
from .results import SelectResult
from .store import Store
from .wikidata import Binding, WikidataClient, sparql_string, value

#: Entity kinds the linker handles, in the order they are linked (countries
#: first, so that a city can be scored against its freshly linked country).
KINDS: tuple[tuple[str, URIRef], ...] = (
    ("country", CKG.Country),
    ("subdivision", CKG.Subdivision),
    ("city", CKG.City),
    ("organization", CKG.Organization),
    ("person", CKG.Person),
    # last: a place of no other kind (the Covenant's and the Net Zero Tracker's
    # signatory places, twinned places outside the gazetteer, world regions)
    ("place", CKG.Place),
)

#: The kinds' root classes as SPARQL ``VALUES`` rows ``(?root ?kind)``.
_KIND_ROOTS = " ".join(f'(<{c}> "{k}")' for k, c in KINDS)

#: Languages whose labels are matched by default; "" is an untagged label.
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "mul", "de", "fr", "es", "it", "")

WEIGHTS: dict[str, float] = {"name": 0.35, "type": 0.25, "country": 0.25, "distance": 0.15}

DEFAULT_THRESHOLD = 0.9
DEFAULT_MARGIN = 0.25

#: The generated links file, the review queue and the curated files, inside the links folder.
LINKS_FILE = "wikidata-links.ttl"
REVIEW_FILE = "review.csv"
DECISIONS_FILE = "decisions.csv"
CURATED_FILE = "curated.ttl"

DECISION_COLUMNS = ("entity", "wikidata_id", "decision", "reviewer", "date", "note")
REVIEW_COLUMNS = (
    "entity",
    "label",
    "kind",
    "reason",
    "rank",
    "wikidata_id",
    "wikidata_label",
    "score",
    "margin",
    "evidence",
    "found",
)

QID_RE = re.compile(r"^Q[1-9][0-9]*$")
_POINT_RE = re.compile(r"^\s*point\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$", re.I)


# --- data ------------------------------------------------------------------


@dataclass
class Entity:
    """Something of ours to link: its names and the facts that can confirm a candidate."""

    iri: str
    kind: str
    names: list[str]
    country_qid: str | None = None
    point: tuple[float, float] | None = None
    link_classes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.names[0] if self.names else self.iri.rsplit("/", 1)[-1]


@dataclass
class Candidate:
    """A Wikidata item whose label or alias matched one of an entity's names."""

    qid: str
    matched: set[tuple[str, str, str]] = field(default_factory=set)  # (text, lang, "label"|"alias")
    typed: bool | None = None  # None: the query had no class to test
    has_type: bool = False
    countries: set[str] = field(default_factory=set)
    points: set[tuple[float, float]] = field(default_factory=set)
    population: float | None = None
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    evidence: str = ""
    retrieved: str = ""  # the day the endpoint gave the answer (not the day it was read)

    @property
    def label(self) -> str:
        labels = sorted(self.matched, key=lambda m: (m[2] != "label", m[1] != "en", m[0]))
        return labels[0][0] if labels else self.qid


@dataclass
class LinkRecord:
    """A link in the generated links file, with what justified it."""

    entity: str
    qid: str
    score: float | None
    margin: float | None
    evidence: str
    date: str
    reviewer: str | None = None


@dataclass
class Decision:
    """A person's answer to a review row (curated ``decisions.csv``)."""

    entity: str
    qid: str
    accept: bool
    reviewer: str
    date: str
    note: str = ""


@dataclass
class Outcome:
    """The linker's verdict on one entity."""

    entity: Entity
    candidates: list[Candidate]
    accepted: Candidate | None = None
    reason: str = ""


@dataclass
class LinkReport:
    """What a linking run did."""

    links: list[LinkRecord] = field(default_factory=list)
    new_links: list[LinkRecord] = field(default_factory=list)
    review: list[Outcome] = field(default_factory=list)
    no_candidates: list[Entity] = field(default_factory=list)
    skipped_curated: int = 0
    kept: int = 0
    considered: int = 0


# --- parsing small things ----------------------------------------------------


def parse_point(text: str) -> tuple[float, float] | None:
    """``(lon, lat)`` from a WKT or Wikidata point, or ``None``.

    >>> parse_point("Point(11.32 50.98)")
    (11.32, 50.98)
    >>> parse_point("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(1 2)") is None
    True
    """
    m = _POINT_RE.match(text)
    if not m:
        return None
    try:
        return float(m.group(1)), float(m.group(2))
    except ValueError:
        return None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two ``(lon, lat)`` points.

    >>> round(haversine_km((2.35, 48.86), (13.40, 52.52)))
    877
    """
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def qid_of(iri: str) -> str | None:
    """The QID of a Wikidata entity IRI, or ``None``.

    >>> qid_of("http://www.wikidata.org/entity/Q90")
    'Q90'
    """
    if iri.startswith(str(WD)):
        q = iri[len(str(WD)) :]
        return q if QID_RE.match(q) else None
    return None


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def entity_iri(text: str) -> str:
    """A full entity IRI from a decisions-file cell (``city/irvine`` or the IRI).

    >>> entity_iri("city/irvine")
    'https://w3id.org/citykg/id/city/irvine'
    """
    text = text.strip()
    return text if "://" in text else str(ID) + text.lstrip("/")


# --- candidates ---------------------------------------------------------------


def candidate_query(
    names: Sequence[str], link_classes: Sequence[str], languages: Sequence[str]
) -> str:
    """The SELECT query for the label/alias matches of a batch of names.

    ``?key`` repeats the name asked for, so a batched answer can be split per name.
    """
    rows = []
    for name in names:
        key = sparql_string(name)
        for lang in languages:
            lit = key if lang == "" else f"{key}@{lang}"
            rows.append(f"    ({key} {lit})")
    typed = ""
    if link_classes:
        # one constant class per branch: a VALUES inside EXISTS makes some
        # engines (Oxigraph 0.5) walk the whole P279 tree for every row
        paths = " UNION ".join(f"{{ ?item wdt:P31/wdt:P279* wd:{c} }}" for c in link_classes)
        typed = f"  BIND(EXISTS {{ {paths} }} AS ?typed)\n"
    return (
        "PREFIX wd: <http://www.wikidata.org/entity/>\n"
        "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?key ?item ?label ?prop ?typed ?hasType ?country ?coord ?pop WHERE {\n"
        "  VALUES (?key ?label) {\n" + "\n".join(rows) + "\n  }\n"
        "  { ?item rdfs:label ?label BIND(rdfs:label AS ?prop) }\n"
        "  UNION { ?item skos:altLabel ?label BIND(skos:altLabel AS ?prop) }\n"
        '  FILTER(STRSTARTS(STR(?item), "http://www.wikidata.org/entity/Q"))\n'
        + typed
        + "  BIND(EXISTS { ?item wdt:P31 ?anyClass } AS ?hasType)\n"
        "  OPTIONAL { ?item wdt:P17 ?country }\n"
        "  OPTIONAL { ?item wdt:P625 ?coord }\n"
        "  OPTIONAL { ?item wdt:P1082 ?pop }\n"
        "}"
    )


def _truth(text: str | None) -> bool:
    return text in ("true", "1")


def candidates_from_rows(rows: Iterable[Binding], with_type: bool) -> dict[str, Candidate]:
    """Candidates (by QID) from the rows a candidate query returned."""
    out: dict[str, Candidate] = {}
    for row in rows:
        qid = qid_of(value(row, "item") or "")
        if qid is None:
            continue
        c = out.setdefault(qid, Candidate(qid))
        label = row.get("label", {})
        prop = "label" if (value(row, "prop") or "").endswith("#label") else "alias"
        c.matched.add((label.get("value", ""), label.get("xml:lang", ""), prop))
        if with_type:
            c.typed = bool(c.typed) or _truth(value(row, "typed"))
        c.has_type = c.has_type or _truth(value(row, "hasType"))
        country = qid_of(value(row, "country") or "")
        if country:
            c.countries.add(country)
        point = parse_point(value(row, "coord") or "")
        if point:
            c.points.add(point)
        pop = value(row, "pop")
        if pop:
            try:
                p = float(pop)
            except ValueError:
                p = None
            if p is not None and (c.population is None or p > c.population):
                c.population = p
    return out


def find_candidates(
    client: WikidataClient,
    entities: Sequence[Entity],
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[Candidate]]:
    """Candidates for each entity (by IRI), asked in batches grouped by link class."""
    groups: dict[tuple[str, ...], list[Entity]] = {}
    for e in entities:
        groups.setdefault(e.link_classes, []).append(e)
    result: dict[str, list[Candidate]] = {}
    for classes, members in sorted(groups.items()):
        names = {n for e in members for n in e.names}

        def make(batch: Sequence[str], classes: tuple[str, ...] = classes) -> str:
            return candidate_query(batch, classes, languages)

        answers = client.lookup(names, make, lambda row: value(row, "key"), progress=progress)
        for e in members:
            rows = [r for n in e.names for r in answers[n].bindings]
            found = list(candidates_from_rows(rows, bool(classes)).values())
            days = [answers[n].retrieved.date().isoformat() for n in e.names]
            for c in found:  # the oldest answer the candidate rests on
                c.retrieved = min(days) if days else ""
            result[e.iri] = found
    return result


# --- scoring ------------------------------------------------------------------


def score(entity: Entity, c: Candidate) -> Candidate:
    """Score one candidate for one entity (in place); return it."""
    f: dict[str, float] = {}
    notes: list[str] = []
    best_name = 0.0
    for text, lang, prop in sorted(c.matched):
        sim = max(
            (SequenceMatcher(None, _norm(text), _norm(n)).ratio() for n in entity.names),
            default=0.0,
        )
        sim *= 1.0 if prop == "label" else 0.95
        if sim > best_name:
            best_name = sim
            tag = f"@{lang}" if lang else " (untagged)"
            notes_name = f'{prop} "{text}"{tag}'
    f["name"] = best_name
    if best_name:
        notes.append(notes_name)
    if entity.link_classes:
        classes = ", ".join(f"wd:{q}" for q in entity.link_classes)
        if c.typed:
            f["type"] = 1.0
            notes.append(f"P31/P279* {classes}")
        elif c.has_type:
            f["type"] = 0.0
            notes.append(f"P31 not under {classes}")
        else:
            f["type"] = 0.5
            notes.append("no P31")
    if entity.country_qid and entity.kind != "country":
        if entity.country_qid in c.countries:
            f["country"] = 1.0
            notes.append(f"P17 wd:{entity.country_qid} as ours")
        elif c.countries:
            f["country"] = 0.0
            notes.append(
                f"P17 {' '.join('wd:' + q for q in sorted(c.countries))}, "
                f"ours wd:{entity.country_qid}"
            )
        else:
            f["country"] = 0.5
            notes.append("no P17")
    if entity.point is not None:
        if c.points:
            d = min(haversine_km(entity.point, p) for p in c.points)
            f["distance"] = 1.0 if d <= 25 else max(0.0, (100 - d) / 75)
            notes.append(f"{d:.1f} km")
        else:
            f["distance"] = 0.5
            notes.append("no P625")
    if c.population is not None:
        notes.append(f"population {c.population:,.0f}")
    total = sum(WEIGHTS[k] for k in f)
    c.features = f
    c.score = round(sum(WEIGHTS[k] * v for k, v in f.items()) / total, 4) if total else 0.0
    c.evidence = "; ".join(notes)
    return c


def decide(
    entity: Entity,
    candidates: list[Candidate],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
) -> Outcome:
    """Score and rank the candidates; accept only a clear, confirmed winner."""
    ranked = sorted(
        (score(entity, c) for c in candidates),
        key=lambda c: (-c.score, -(c.population or 0), int(c.qid[1:])),
    )
    out = Outcome(entity, ranked)
    if not ranked:
        out.reason = "no candidate"
        return out
    best = ranked[0]
    runner = ranked[1].score if len(ranked) > 1 else 0.0
    gap = best.score - runner
    if not entity.link_classes:
        out.reason = "no Wikidata class is aligned with this kind: always reviewed"
    elif any(v == 0.0 for v in best.features.values()):
        out.reason = "the best candidate contradicts our data"
    elif best.features.get("type") != 1.0:
        out.reason = "the best candidate is not confirmed in type"
    elif entity.kind != "country" and 1.0 not in (
        best.features.get("country"),
        best.features.get("distance"),
    ):
        out.reason = "the best candidate is confirmed by neither country nor coordinates"
    elif best.score < threshold:
        out.reason = f"best score {best.score:.3f} below the threshold {threshold}"
    elif gap < margin:
        out.reason = f"ambiguous: margin {gap:.3f} over the runner-up is below {margin}"
    else:
        out.accepted = best
        out.reason = f"accepted: score {best.score:.3f}, margin {gap:.3f}"
    return out


def margin_of(outcome: Outcome) -> float:
    """The best candidate's lead over the runner-up."""
    c = outcome.candidates
    if not c:
        return 0.0
    return round(c[0].score - (c[1].score if len(c) > 1 else 0.0), 4)


# --- entities from the graph ------------------------------------------------------


def _rows(store: Store, text: str) -> list[tuple[str | None, ...]]:
    res = store.query(text)
    if not isinstance(res, SelectResult):
        raise LinkError("an entity query did not return a table")
    return [tuple(None if t is None else str(t) for t in row) for row in res.rows]


def link_class_lookup(store: Store) -> Callable[[Iterable[str], str], tuple[str, ...]]:
    """A function ``(classes, kind) -> QIDs``: the Wikidata link classes of an entity.

    An entity of a kind takes the ``ckg:wikidataLinkClass`` values of the
    *nearest* classes that declare one, looking from its own classes up to the
    class of its kind and no further: a ``ckg:Country`` takes only ``wd:Q6256``
    and a ``ckg:City`` only ``wd:Q486972``, not also what ``ckg:Place`` declares;
    a ``ckg:Subdivision`` (kind "subdivision") does not inherit ``ckg:Place``'s
    human settlement, so that a settlement of the same name in the same country
    (the city of Madrid for the Community of Madrid) can never be accepted for it.
    """
    onto = graph_iri("ontology")
    rows = _rows(
        store,
        f"""
        PREFIX rdfs: <{RDFS}> PREFIX ckg: <{CKG}>
        SELECT DISTINCT ?kind ?c ?lc ?wdclass WHERE {{
          VALUES (?root ?kind) {{ {_KIND_ROOTS} }}
          GRAPH <{onto}> {{
            ?lc ckg:wikidataLinkClass ?wdclass .
            ?lc rdfs:subClassOf* ?root .
            ?c rdfs:subClassOf* ?lc .
          }}
        }}""",
    )
    declared: dict[str, set[str]] = {}  # declaring class -> QIDs
    above: dict[tuple[str, str], set[str]] = {}  # (kind, class) -> declaring classes at or above
    for kind, c, lc, wdclass in rows:
        assert kind is not None and c is not None and lc is not None
        q = qid_of(wdclass or "")
        if q is None:
            continue
        declared.setdefault(lc, set()).add(q)
        above.setdefault((kind, c), set()).add(lc)

    def strictly_below(a: str, b: str, kind: str) -> bool:
        ups = above.get((kind, a), set())
        return a != b and b in ups and a not in above.get((kind, b), set())

    def lookup(classes: Iterable[str], kind: str) -> tuple[str, ...]:
        cands = {lc for c in classes for lc in above.get((kind, c), ())}
        nearest = {lc for lc in cands if not any(strictly_below(o, lc, kind) for o in cands)}
        return tuple(sorted({q for lc in nearest for q in declared[lc]}))

    return lookup


def entities_from_store(
    store: Store, *, kinds: Sequence[str] | None = None, only: Sequence[str] | None = None
) -> list[Entity]:
    """The entities of the data graph without a ``ckg:wikidataId``, with their facts.

    An entity's kind is the first of :data:`KINDS` whose class it is an instance
    of (a city typed both ``ckg:City`` and ``ckg:Place`` is a "city"); ``kinds``
    keeps only entities of those kinds. Link classes come from the ontology
    graph (see :func:`link_class_lookup`).
    """
    data = graph_iri("data")
    rows = _rows(
        store,
        f"""
        PREFIX rdfs: <{RDFS}> PREFIX ckg: <{CKG}>
        SELECT DISTINCT ?x ?kind ?t WHERE {{
          VALUES (?root ?kind) {{ {_KIND_ROOTS} }}
          GRAPH <{data}> {{ ?x a ?t }}
          GRAPH <{graph_iri("ontology")}> {{ ?t rdfs:subClassOf* ?root }}
          FILTER(isIRI(?x))
          FILTER NOT EXISTS {{ GRAPH <{data}> {{ ?x ckg:wikidataId ?id }} }}
        }}""",
    )
    order = {k: i for i, (k, _) in enumerate(KINDS)}
    types: dict[str, dict[str, set[str]]] = {}  # entity -> kind -> its classes under that kind
    for x, kind, t in rows:
        assert x is not None and kind is not None and t is not None
        if only and x not in only:
            continue
        types.setdefault(x, {}).setdefault(kind, set()).add(t)
    lookup = link_class_lookup(store)
    found: dict[str, Entity] = {}
    for x, by_kind in types.items():
        kind = min(by_kind, key=order.__getitem__)  # a City is a "city", not a "place"
        if kinds is not None and kind not in kinds:
            continue
        found[x] = Entity(x, kind, [], link_classes=lookup(by_kind[kind], kind))
    if not found:
        return []
    facts = _rows(
        store,
        f"""
        PREFIX rdfs: <{RDFS}> PREFIX skos: <{SKOS}> PREFIX ckg: <{CKG}>
        PREFIX geo: <http://www.opengis.net/ont/geosparql#>
        SELECT ?x ?p ?v ?lang WHERE {{
          GRAPH <{data}> {{
            {{ ?x rdfs:label ?v BIND("label" AS ?p) }}
            UNION {{ ?x skos:altLabel ?v BIND("alias" AS ?p) }}
            UNION {{ ?x ckg:country ?c BIND("country" AS ?p)
                     OPTIONAL {{ ?c ckg:wikidataId ?cid }} BIND(COALESCE(?cid, STR(?c)) AS ?v) }}
            UNION {{ ?x ckg:coordinates ?v BIND("point" AS ?p) }}
            UNION {{ ?x geo:hasGeometry/geo:asWKT ?v BIND("point" AS ?p) }}
          }}
          BIND(LANG(?v) AS ?lang)
        }} ORDER BY ?x ?p ?lang ?v""",
    )
    names: dict[str, list[tuple[int, int, str]]] = {}
    for x, p, v, lang in facts:
        e = found.get(x or "")
        if e is None or v is None:
            continue
        if p in ("label", "alias"):
            names.setdefault(e.iri, []).append((p == "alias", lang != "en", v))
        elif p == "country":
            q = v.rsplit("/", 1)[-1].upper()
            # a country without a Wikidata ID keeps its IRI: link() resolves it
            # once the countries of this run are linked
            e.country_qid = q if QID_RE.match(q) else v
        elif p == "point" and e.point is None:
            e.point = parse_point(v)
    for iri, items in names.items():  # labels before aliases, English first
        for *_, v in sorted(items):
            if v not in found[iri].names:
                found[iri].names.append(v)
    return [
        found[x] for x in sorted(found, key=lambda i: (order[found[i].kind], i)) if found[x].names
    ]


def held_wikidata_ids(store: Store) -> dict[str, set[str]]:
    """Entity IRI -> the QIDs it carries as ``ckg:wikidataId`` in the data graph."""
    rows = _rows(
        store,
        f"""PREFIX ckg: <{CKG}>
        SELECT DISTINCT ?x ?id WHERE {{ GRAPH <{graph_iri("data")}> {{ ?x ckg:wikidataId ?id }} }}""",
    )
    out: dict[str, set[str]] = {}
    for x, v in rows:
        q = (v or "").strip().rsplit("/", 1)[-1].upper()
        if x is not None and QID_RE.match(q):
            out.setdefault(x, set()).add(q)
    return out


# --- files ----------------------------------------------------------------------


def read_links_file(path: Path) -> dict[str, LinkRecord]:
    """The link records of a generated links file (by entity IRI)."""
    if not path.is_file():
        return {}
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as e:  # noqa: BLE001  (rdflib raises many kinds of parse errors)
        raise ParseError(path, f"cannot read the generated links file: {e}") from None
    out: dict[str, LinkRecord] = {}
    for node in g.subjects(RDF.type, CKG.LinkDecision):
        s, o = g.value(node, RDF.subject), g.value(node, RDF.object)
        qid = qid_of(str(o)) if o is not None else None
        if s is None or qid is None:
            continue

        def num(p: URIRef, node: Node = node) -> float | None:
            v = g.value(node, p)
            return float(str(v)) if v is not None else None

        reviewer = g.value(node, CKG.reviewer)
        out[str(s)] = LinkRecord(
            str(s),
            qid,
            num(CKG.linkScore),
            num(CKG.linkMargin),
            str(g.value(node, CKG.linkEvidence) or ""),
            str(g.value(node, CKG.date) or ""),
            str(reviewer) if reviewer is not None else None,
        )
    return out


def curated_links(paths: Iterable[Path]) -> dict[str, set[str]]:
    """Entity IRI -> QIDs linked by hand in Turtle files (``skos:exactMatch``/``owl:sameAs``)."""
    out: dict[str, set[str]] = {}
    for path in paths:
        if not path.is_file():
            continue
        g = Graph()
        try:
            g.parse(path, format="turtle")
        except Exception as e:  # noqa: BLE001  (rdflib raises many kinds of parse errors)
            raise ParseError(path, f"cannot read curated links: {e}") from None
        for p in (SKOS.exactMatch, URIRef("http://www.w3.org/2002/07/owl#sameAs")):
            for s, o in g.subject_objects(p):
                q = qid_of(str(o))
                if q:
                    out.setdefault(str(s), set()).add(q)
    return out


def read_decisions(path: Path) -> list[Decision]:
    """A person's decisions (``entity,wikidata_id,decision,reviewer,date,note``)."""
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = set(DECISION_COLUMNS[:3]) - set(reader.fieldnames or ())
        if missing:
            raise LinkError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):
            ent = (row.get("entity") or "").strip()
            if not ent or ent.startswith("#"):
                continue
            qid = (row.get("wikidata_id") or "").strip().rsplit("/", 1)[-1].upper()
            verdict = (row.get("decision") or "").strip().lower()
            if not QID_RE.match(qid):
                raise LinkError(f"{path}:{n}: {qid!r} is not a Wikidata ID")
            if verdict not in ("accept", "reject"):
                raise LinkError(
                    f"{path}:{n}: decision must be 'accept' or 'reject', got {verdict!r}"
                )
            out.append(
                Decision(
                    entity_iri(ent),
                    qid,
                    verdict == "accept",
                    (row.get("reviewer") or "").strip(),
                    (row.get("date") or "").strip(),
                    (row.get("note") or "").strip(),
                )
            )
    return out


def _ttl_string(text: str) -> str:
    return Literal(text).n3()


def _decision_key(entity: str, qid: str) -> str:
    tail = entity[len(str(ID)) :] if entity.startswith(str(ID)) else re.sub(r"\W+", "-", entity)
    return f"{tail.replace('/', '-').strip('-').lower()}-{qid.lower()}"


def render_links(records: Iterable[LinkRecord], *, generated_by: str) -> str:
    """The generated links file: one ``skos:exactMatch`` and one decision node per link."""
    lines = [
        "# GENERATED by `citykg link`: do not edit. Hand-made links go to curated.ttl,",
        "# answers to review.csv go to decisions.csv (both kept and reapplied).",
        f"# {generated_by}",
        "",
        f"@prefix ckg: <{CKG}> .",
        f"@prefix rdf: <{RDF}> .",
        f"@prefix skos: <{SKOS}> .",
        f"@prefix xsd: <{XSD}> .",
        f"@prefix wd: <{WD}> .",
        f"@prefix dcterms: <{DCTERMS}> .",
        f"@prefix rdfs: <{RDFS}> .",
        "",
    ]
    records = list(records)
    # Every decision cites Wikidata as it was queried that day (the same dataset
    # and citation IRIs as `citykg enrich` uses for that day).
    for day in sorted({r.date for r in records}):
        cit, ds = f"<{ID}citation/wikidata-{day}>", f"<{ID}dataset/wikidata-{day}>"
        lines.append(f"{ds}\n  a ckg:Dataset ;")
        lines.append(f'  rdfs:label "Wikidata, as retrieved on {day}"@en ;')
        lines.append(f'  dcterms:title "Wikidata, as retrieved on {day}"@en ;')
        lines.append("  dcterms:license <https://creativecommons.org/publicdomain/zero/1.0/> ;")
        lines.append(f'  ckg:snapshotDate "{day}"^^xsd:date .')
        lines.append(f"{cit}\n  a ckg:Citation ;\n  ckg:citedSource {ds} ;")
        lines.append("  ckg:evidenceTier ckg:TakenFromDataset .")
        lines.append("")
    for r in sorted(records, key=lambda r: (r.entity, r.qid)):
        node = f"<{ID}link-decision/{_decision_key(r.entity, r.qid)}>"
        lines.append(f"<{r.entity}> skos:exactMatch wd:{r.qid} .")
        lines.append(f"{node}\n  a ckg:LinkDecision, rdf:Statement ;")
        lines.append(f"  rdf:subject <{r.entity}> ;\n  rdf:predicate skos:exactMatch ;")
        lines.append(f"  rdf:object wd:{r.qid} ;")
        if r.score is not None:
            lines.append(f'  ckg:linkScore "{r.score:.4f}"^^xsd:decimal ;')
        if r.margin is not None:
            lines.append(f'  ckg:linkMargin "{r.margin:.4f}"^^xsd:decimal ;')
        if r.reviewer:
            lines.append(f"  ckg:reviewer {_ttl_string(r.reviewer)} ;")
        lines.append(f"  ckg:linkEvidence {_ttl_string(r.evidence)} ;")
        lines.append(f"  ckg:citation <{ID}citation/wikidata-{r.date}> ;")
        lines.append(f'  ckg:date "{r.date}"^^xsd:date .')
        lines.append("")
    return "\n".join(lines)


def render_review(outcomes: Iterable[Outcome], found: str, top: int = 5) -> str:
    """The review queue as CSV: the top candidates of every undecided entity."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REVIEW_COLUMNS)
    for o in sorted(outcomes, key=lambda o: o.entity.iri):
        m = margin_of(o)
        for rank, c in enumerate(o.candidates[:top], start=1):
            w.writerow(
                [
                    o.entity.iri,
                    o.entity.label,
                    o.entity.kind,
                    o.reason,
                    rank,
                    c.qid,
                    c.label,
                    f"{c.score:.4f}",
                    f"{m:.4f}" if rank == 1 else "",
                    c.evidence,
                    found,
                ]
            )
    return buf.getvalue()


# --- the whole run -----------------------------------------------------------------


def link(
    entities: Sequence[Entity],
    client: WikidataClient,
    *,
    previous: dict[str, LinkRecord] | None = None,
    curated: dict[str, set[str]] | None = None,
    decisions: Sequence[Decision] = (),
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
    today: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    taken: dict[str, set[str]] | None = None,
) -> LinkReport:
    """Link entities: keep earlier links, apply decisions, ask about the rest.

    Hand-curated links win over everything; a person's decision wins over the
    scores; links accepted on an earlier run are kept unless a person rejected
    them. Countries are linked first so that cities can use their QIDs.
    ``taken`` (entity IRI -> QIDs, see :func:`held_wikidata_ids`) names the
    items other entities already are: when it is given, a clear winner that is
    one of them, or one of the curated or kept links, goes to review. A clear
    winner for two entities of this run always goes to review.
    """
    today = today or date.today().isoformat()
    previous = previous or {}
    curated = curated or {}
    accepts = {d.entity: d for d in decisions if d.accept}
    rejects: dict[str, set[str]] = {}
    for d in decisions:
        if not d.accept:
            rejects.setdefault(d.entity, set()).add(d.qid)
    report = LinkReport()
    country_links: dict[str, str] = {}
    todo: list[Entity] = []
    for e in entities:
        if e.iri in curated:
            report.skipped_curated += 1
            if e.kind == "country":
                country_links[e.iri] = sorted(curated[e.iri])[0]
            continue
        old = previous.get(e.iri)
        acc = accepts.get(e.iri)
        if acc is None and old is not None and old.qid not in rejects.get(e.iri, set()):
            report.links.append(old)
            report.kept += 1
            if e.kind == "country":
                country_links[e.iri] = old.qid
            continue
        todo.append(e)
    report.considered = len(todo)
    # one item, one entity: an item that is already another entity's (its
    # ckg:wikidataId, a curated link, a link kept from an earlier run) is not
    # accepted again automatically (a person may still accept it in review)
    held: dict[str, str] = {}
    if taken is not None:
        for iri, qids in sorted(taken.items()):
            for q in qids:
                held.setdefault(q, iri)
        for iri, qids in sorted(curated.items()):
            for q in qids:
                held.setdefault(q, iri)
        for rec in report.links:
            held.setdefault(rec.qid, rec.entity)
    claims: dict[str, list[tuple[LinkRecord, Outcome]]] = {}
    by_kind: dict[str, list[Entity]] = {}
    for e in todo:
        by_kind.setdefault(e.kind, []).append(e)
    for kind, _ in KINDS:
        batch = by_kind.get(kind, [])
        if not batch:
            continue
        for e in batch:  # a city's country may have been linked a moment ago
            if e.country_qid and e.country_qid.startswith("http"):
                e.country_qid = country_links.get(e.country_qid)
        found = find_candidates(client, batch, languages, progress)
        for e in batch:
            cands = [c for c in found.get(e.iri, []) if c.qid not in rejects.get(e.iri, set())]
            acc = accepts.get(e.iri)
            if acc is not None:
                hit = next((c for c in cands if c.qid == acc.qid), None)
                s = score(e, hit) if hit else None
                rec = LinkRecord(
                    e.iri,
                    acc.qid,
                    s.score if s else None,
                    None,
                    (f"accepted in review: {acc.note}; " if acc.note else "accepted in review; ")
                    + (s.evidence if s else "not a candidate"),
                    acc.date or today,
                    acc.reviewer or "unknown",
                )
                report.links.append(rec)
                report.new_links.append(rec)
                if kind == "country":
                    country_links[e.iri] = acc.qid
                continue
            outcome = decide(e, cands, threshold=threshold, margin=margin)
            holder = held.get(outcome.accepted.qid) if outcome.accepted is not None else None
            if outcome.accepted is not None and holder not in (None, e.iri):
                outcome.reason = (
                    f"wd:{outcome.accepted.qid} is already the Wikidata item of <{holder}>"
                )
                outcome.accepted = None
            if outcome.accepted is not None:
                c = outcome.accepted
                rec = LinkRecord(
                    e.iri, c.qid, c.score, margin_of(outcome), c.evidence, c.retrieved or today
                )
                report.links.append(rec)
                report.new_links.append(rec)
                claims.setdefault(c.qid, []).append((rec, outcome))
                if kind == "country":
                    country_links[e.iri] = c.qid
            elif outcome.candidates:
                report.review.append(outcome)
            else:
                report.no_candidates.append(e)
    for qid, claimed in sorted(claims.items()):  # one item, one entity: two claims go to review
        if len(claimed) < 2:
            continue
        names = ", ".join(f"<{rec.entity}>" for rec, _ in claimed)
        for rec, outcome in claimed:
            report.links.remove(rec)
            report.new_links.remove(rec)
            outcome.accepted = None
            outcome.reason = f"wd:{qid} was the clear winner for several entities: {names}"
            report.review.append(outcome)
    return report


__all__ = [
    "DEFAULT_LANGUAGES",
    "DEFAULT_MARGIN",
    "DEFAULT_THRESHOLD",
    "KINDS",
    "Candidate",
    "Decision",
    "Entity",
    "LinkRecord",
    "LinkReport",
    "Outcome",
    "candidate_query",
    "candidates_from_rows",
    "curated_links",
    "decide",
    "entities_from_store",
    "find_candidates",
    "haversine_km",
    "held_wikidata_ids",
    "link",
    "link_class_lookup",
    "read_decisions",
    "read_links_file",
    "render_links",
    "render_review",
    "score",
]
