"""Reconcile any table of names against Wikidata (or citykg's own graph).

``reconcile_table("members.csv", name="city", country="country")`` returns the
table with five more columns for **every** row, in the input order:
``qid``, ``qid_label``, ``score``, ``decision`` (``linked``, ``review`` or
``none``) and ``reason`` (the evidence, in words).

How a row is matched
--------------------
1. The country cell is resolved locally (:mod:`citykg.countries`): a name in
   any common form or language, an ISO code, or a QID.
2. Candidate names. The name as written and its case variants are looked up as
   exact labels and aliases (batched ``VALUES``). Where the row has a country,
   the labels of that country's items of the wanted type are fetched once per
   country (one cached request) and compared locally, case-, accent- and
   punctuation-insensitively, after transliteration (``anyascii``, with
   German ``ae/oe/ue`` folded), and with a bounded fuzzy match (``rapidfuzz``
   ratio >= 88 on names of five letters or more, at most three); the labels
   found are then looked up exactly, so that *every* item carrying that name
   becomes a candidate, of whatever type or country.
3. Each candidate is scored on name (the kind of match), type (instance of a
   subclass of the wanted class), country (``P17``) and distance (``P625``
   against the row's coordinates). A candidate that contradicts the row (typed
   otherwise, another country, more than 100 km away) is ruled out.
4. The best remaining candidate is **linked** only when it is confirmed in type
   and by the country or the coordinates, a fuzzy match is also confirmed by
   the coordinates, and no other same-name candidate remains that the data
   cannot rule out: a candidate confirmed by the country alone is sent to
   **review** when another item of that name (say, an untyped Saint-Denis
   without country) is still possible; one confirmed by coordinates within
   25 km is linked unless another candidate is as close. With no ``type``
   given, a place may be a settlement or a municipality; when both a
   settlement and a separate municipality match (Stockholm Q1754 and
   Q506250), the row goes to review naming both.

Library code: it returns values, raises :class:`ReconcileError` and never
prints. Every answer comes through the polite, cached
:class:`~citykg.wikidata.WikidataClient`, so a rerun sends no request.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .countries import Country, CountryIndex, default_index, fold
from .errors import LinkError, SourceNotFoundError
from .wikidata import Binding, CachedAnswer, WikidataClient, sparql_string, value

if TYPE_CHECKING:
    import pandas as pd

#: ``type`` -> the Wikidata classes a candidate must be an instance of (a subclass of).
TYPES: dict[str, tuple[str, ...]] = {
    "city": ("Q486972",),  # human settlement
    "municipality": ("Q15284",),  # municipality
    "region": ("Q10864048",),  # first-level administrative country subdivision
    "country": ("Q6256",),  # country
    "organization": ("Q43229",),  # organization
}
#: With no type given: a settlement or a municipality (both named in review when both match).
PLACE_CLASSES: tuple[str, ...] = ("Q486972", "Q15284")
CLASS_NAMES = {
    "Q486972": "settlement",
    "Q15284": "municipality",
    "Q10864048": "region",
    "Q6256": "country",
    "Q43229": "organization",
}

#: Label languages looked up ("" is an untagged label).
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "mul", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "hu", "tr", "",
)  # fmt: skip

#: Output columns added to the table.
OUTPUT_COLUMNS = ("qid", "qid_label", "score", "decision", "reason")
REVIEW_COLUMNS = ("row", "name", "country", "rank", "qid", "label", "score", "match", "evidence")

WEIGHTS = {"name": 0.35, "type": 0.25, "country": 0.25, "distance": 0.15}
NEAR_KM = 25.0
FAR_KM = 100.0
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 5
FUZZY_LIMIT = 3

_POINT = re.compile(r"^\s*point\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$", re.I)


class ReconcileError(LinkError):
    """A table cannot be reconciled as asked (a missing column, an unreadable file)."""


# --- names --------------------------------------------------------------------


@lru_cache(maxsize=262144)
def translit(text: str) -> str:
    """A name folded and transliterated to ASCII, German ``ae/oe/ue`` folded too.

    >>> translit("Köln") == translit("Koeln") == translit("KOLN")
    True
    >>> translit("Москва")
    'moskva'
    """
    from anyascii import anyascii

    t = fold(anyascii(text))
    return re.sub(r"(?<=[a-z])([aou])e", r"\1", t)


def match_kind(name: str, label: str) -> tuple[str, float] | None:
    """How ``label`` matches ``name``: the kind of match and a similarity, or ``None``.

    >>> match_kind("Berlin", "Berlin"), match_kind("berlin", "Berlin")
    (('exact', 1.0), ('case', 1.0))
    >>> match_kind("Dusseldorf", "Düsseldorf"), match_kind("Koeln", "Köln")
    (('accents', 0.98), ('transliteration', 0.95))
    >>> match_kind("Gotenburg", "Gothenburg")
    ('fuzzy 95', 0.8526)
    >>> match_kind("Linz", "Lenz") is None
    True
    """
    if label == name:
        return "exact", 1.0
    if label.casefold() == name.casefold():
        return "case", 1.0
    if fold(label) == fold(name):
        return "accents", 0.98
    a, b = translit(name), translit(label)
    if a == b:
        return "transliteration", 0.95
    if min(len(a), len(b)) >= FUZZY_MIN_LENGTH:
        from rapidfuzz import fuzz

        r = fuzz.ratio(a, b)
        if r >= FUZZY_CUTOFF:
            return f"fuzzy {r:.0f}", round(0.9 * r / 100, 4)
    return None


def variants(name: str) -> list[str]:
    """Exact-lookup forms of a name: as written, stripped, title-cased, capitalised.

    >>> variants("  frankfurt am main")
    ['Frankfurt Am Main', 'Frankfurt am main', 'frankfurt am main']
    """
    n = " ".join(name.split())
    out = {n, n.title(), n[:1].upper() + n[1:]}
    if n.isupper():
        out.add(n.capitalize())
    return sorted(v for v in out if v)


# --- geometry ---------------------------------------------------------------------


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


def parse_point(text: str) -> tuple[float, float] | None:
    """``(lon, lat)`` of a WKT point literal, or ``None``."""
    m = _POINT.match(text)
    if not m:
        return None
    try:
        return float(m.group(1)), float(m.group(2))
    except ValueError:
        return None


def parse_coordinate(text: object, limit: float) -> float | None:
    """A latitude or longitude from a table cell ("52.37", "52,37"), or ``None``.

    >>> parse_coordinate("52,37", 90), parse_coordinate("-", 90), parse_coordinate("200", 180)
    (52.37, None, None)
    """
    if text is None:
        return None
    s = str(text).strip().replace(",", ".")
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) and abs(v) <= limit else None


# --- what is asked and what is found ----------------------------------------------


@dataclass
class RowQuery:
    """One row to reconcile: its name and the facts that can confirm a candidate."""

    name: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return (self.lon, self.lat)


@dataclass
class Hit:
    """An item carrying one of the names asked for, with its facts."""

    id: str
    labels: set[tuple[str, str, str]] = field(default_factory=set)  # (text, lang, label|alias)
    classes: dict[str, bool] = field(default_factory=dict)  # wanted class -> instance of it
    has_type: bool = False
    countries: set[str] = field(default_factory=set)
    points: set[tuple[float, float]] = field(default_factory=set)
    description: str = ""
    retrieved: str = ""

    @property
    def display_label(self) -> str:
        best = sorted(self.labels, key=lambda m: (m[2] != "label", m[1] != "en", m[1], m[0]))
        return best[0][0] if best else self.id


@dataclass
class Scored:
    """A candidate scored for one row."""

    hit: Hit
    label: str
    lang: str
    prop: str
    match: str
    score: float
    features: dict[str, float]
    evidence: str
    kinds: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.hit.id

    @property
    def fuzzy(self) -> bool:
        return self.match.startswith("fuzzy")

    @property
    def ruled_out(self) -> bool:
        return any(v == 0.0 for v in self.features.values())

    @property
    def typed(self) -> bool:
        return self.features.get("type") == 1.0

    @property
    def near(self) -> bool:
        return self.features.get("distance") == 1.0

    @property
    def same_country(self) -> bool:
        return self.features.get("country") == 1.0


@dataclass
class Result:
    """The verdict on one row."""

    decision: str  # linked | review | none
    reason: str
    best: Scored | None = None
    candidates: list[Scored] = field(default_factory=list)

    @property
    def qid(self) -> str:
        return self.best.id if self.best else ""


class CandidateSource(Protocol):
    """Where candidates come from: Wikidata (through the client) or citykg's graph."""

    def candidates(
        self,
        queries: Sequence[RowQuery],
        countries: Sequence[Country | None],
        classes: tuple[str, ...],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[Hit]]:
        """For each query, the items carrying a name that matches it."""
        ...


# --- Wikidata -------------------------------------------------------------------------


def lookup_query(labels: Sequence[str], classes: Sequence[str], languages: Sequence[str]) -> str:
    """The SELECT query for the items whose label or alias is one of ``labels``."""
    rows = []
    for text in labels:
        key = sparql_string(text)
        for lang in languages:
            rows.append(f"    ({key} {key if lang == '' else f'{key}@{lang}'})")
    typed = "".join(
        f"  BIND(EXISTS {{ ?item wdt:P31/wdt:P279* wd:{c} }} AS ?t_{c})\n" for c in classes
    )
    return (
        "PREFIX wd: <http://www.wikidata.org/entity/>\n"
        "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?key ?item ?label ?prop ?hasType ?country ?coord "
        + " ".join(f"?t_{c}" for c in classes)
        + " WHERE {\n  VALUES (?key ?label) {\n"
        + "\n".join(rows)
        + "\n  }\n"
        "  { ?item rdfs:label ?label BIND(rdfs:label AS ?prop) }\n"
        "  UNION { ?item skos:altLabel ?label BIND(skos:altLabel AS ?prop) }\n"
        '  FILTER(STRSTARTS(STR(?item), "http://www.wikidata.org/entity/Q"))\n'
        + typed
        + "  BIND(EXISTS { ?item wdt:P31 ?anyClass } AS ?hasType)\n"
        "  OPTIONAL { ?item wdt:P17 ?country }\n"
        "  OPTIONAL { ?item wdt:P625 ?coord }\n"
        "}"
    )


def gazetteer_query(
    country_qids: Sequence[str], classes: Sequence[str], langs: Sequence[str]
) -> str:
    """The labels of a country's items of the wanted classes (one query per country)."""
    where = " UNION ".join(f"{{ ?item wdt:P31/wdt:P279* wd:{c} }}" for c in classes)
    in_langs = ", ".join(f'"{lang}"' for lang in langs)
    countries = " ".join(f"wd:{q}" for q in sorted(country_qids))
    return (
        "PREFIX wd: <http://www.wikidata.org/entity/>\n"
        "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT DISTINCT ?label WHERE {\n"
        f"  VALUES ?country {{ {countries} }}\n"
        "  ?item wdt:P17 ?country .\n"
        f"  {where}\n"
        "  { ?item rdfs:label ?label } UNION { ?item skos:altLabel ?label }\n"
        f"  FILTER(LANG(?label) IN ({in_langs}))\n"
        "}"
    )


def _qid(iri: str | None) -> str | None:
    if iri and iri.startswith("http://www.wikidata.org/entity/Q"):
        q = iri.rsplit("/", 1)[-1]
        return q if re.fullmatch(r"Q[1-9][0-9]*", q) else None
    return None


def hits_from_rows(rows: Iterable[Binding], classes: Sequence[str], retrieved: str) -> list[Hit]:
    """Hits (one per item) from the rows of :func:`lookup_query`."""
    out: dict[str, Hit] = {}
    for row in rows:
        q = _qid(value(row, "item"))
        if q is None:
            continue
        h = out.setdefault(q, Hit(q, retrieved=retrieved))
        lab = row.get("label", {})
        prop = "label" if (value(row, "prop") or "").endswith("#label") else "alias"
        h.labels.add((lab.get("value", ""), lab.get("xml:lang", ""), prop))
        for c in classes:
            h.classes[c] = h.classes.get(c, False) or value(row, f"t_{c}") in ("true", "1")
        h.has_type = h.has_type or value(row, "hasType") in ("true", "1")
        country = _qid(value(row, "country"))
        if country:
            h.countries.add(country)
        point = parse_point(value(row, "coord") or "")
        if point:
            h.points.add(point)
        if retrieved and (not h.retrieved or retrieved < h.retrieved):
            h.retrieved = retrieved
    return list(out.values())


class Gazetteer:
    """A country's labels, indexed for case/accent/transliteration and fuzzy matching."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.by_key: dict[str, set[str]] = {}
        for label in labels:
            self.by_key.setdefault(translit(label), set()).add(label)
        self.keys = sorted(self.by_key)

    def find(self, name: str) -> set[str]:
        """The labels matching ``name`` after folding; else up to three fuzzy matches."""
        key = translit(name)
        if key in self.by_key:
            return set(self.by_key[key])
        if len(key) < FUZZY_MIN_LENGTH:
            return set()
        from rapidfuzz import fuzz, process

        found: set[str] = set()
        for k, _, _ in process.extract(
            key, self.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_LIMIT
        ):
            found |= self.by_key[k]
        return found


class WikidataSource:
    """Candidates from a SPARQL endpoint in Wikidata's shape, through the polite client."""

    def __init__(
        self, client: WikidataClient, languages: Sequence[str] = DEFAULT_LANGUAGES
    ) -> None:
        self.client = client
        self.languages = tuple(languages)

    def gazetteer(self, country: Country, classes: tuple[str, ...]) -> Gazetteer:
        """The labels of ``country``'s items of ``classes`` (one cached request)."""
        answer = self.client.select(gazetteer_query(sorted(country.qids), classes, self.languages))
        return Gazetteer(value(r, "label") or "" for r in answer.bindings)

    def candidates(
        self,
        queries: Sequence[RowQuery],
        countries: Sequence[Country | None],
        classes: tuple[str, ...],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[Hit]]:
        gaz: dict[frozenset[str], Gazetteer] = {}
        if classes != TYPES["country"]:
            for c in countries:
                if c is not None and c.qids not in gaz:
                    gaz[c.qids] = self.gazetteer(c, classes)
        keys_of: list[set[str]] = []
        for q, c in zip(queries, countries, strict=True):
            keys = set(variants(q.name)) if q.name.strip() else set()
            if c is not None and c.qids in gaz and q.name.strip():
                keys |= gaz[c.qids].find(q.name)
            keys_of.append(keys)

        def make(batch: Sequence[str]) -> str:
            return lookup_query(batch, classes, self.languages)

        answers: dict[str, CachedAnswer] = self.client.lookup(
            {k for ks in keys_of for k in ks},
            make,
            lambda row: value(row, "key"),
            progress=progress,
        )
        out = []
        for keys in keys_of:
            merged: dict[str, Hit] = {}
            for k in sorted(keys):
                a = answers[k]
                for h in hits_from_rows(a.bindings, classes, a.retrieved.date().isoformat()):
                    _merge(merged, h)
            out.append(list(merged.values()))
        return out


def _merge(into: dict[str, Hit], h: Hit) -> None:
    old = into.get(h.id)
    if old is None:
        into[h.id] = h
        return
    old.labels |= h.labels
    for c, v in h.classes.items():
        old.classes[c] = old.classes.get(c, False) or v
    old.has_type = old.has_type or h.has_type
    old.countries |= h.countries
    old.points |= h.points
    if h.retrieved and (not old.retrieved or h.retrieved < old.retrieved):
        old.retrieved = h.retrieved


# --- scoring and deciding --------------------------------------------------------------


def score_hit(
    q: RowQuery, country: Country | None, h: Hit, classes: tuple[str, ...]
) -> Scored | None:
    """Score one item for one row, or ``None`` when none of its names matches the row's."""
    best: tuple[float, str, str, str, str] | None = None
    for text, lang, prop in h.labels:
        m = match_kind(q.name, text)
        if m is None:
            continue
        sim = m[1] * (1.0 if prop == "label" else 0.97)
        if best is None or sim > best[0]:
            best = (sim, m[0], text, lang, prop)
    if best is None:
        return None
    sim, kind, text, lang, prop = best
    f: dict[str, float] = {"name": sim}
    tag = f"@{lang}" if lang else " (untagged)"
    notes = [f'{kind} match of {prop} "{text}"{tag}']
    kinds = tuple(CLASS_NAMES.get(c, c.rsplit("#", 1)[-1]) for c in classes if h.classes.get(c))
    wanted = " or ".join(f"wd:{c}" for c in classes)
    if kinds:
        f["type"] = 1.0
        notes.append(f"a {' and '.join(kinds)} (P31/P279* {wanted})")
    elif h.has_type:
        f["type"] = 0.0
        notes.append(f"P31 not under {wanted}")
    else:
        f["type"] = 0.5
        notes.append("no P31")
    if country is not None and classes != TYPES["country"]:
        if h.countries & country.qids:
            f["country"] = 1.0
            notes.append(f"P17 wd:{sorted(h.countries & country.qids)[0]} as given")
        elif h.countries:
            f["country"] = 0.0
            notes.append(f"P17 {' '.join('wd:' + c for c in sorted(h.countries))}, not ours")
        else:
            f["country"] = 0.5
            notes.append("no P17")
    if q.point is not None:
        if h.points:
            d = min(haversine_km(q.point, p) for p in h.points)
            f["distance"] = 1.0 if d <= NEAR_KM else max(0.0, (FAR_KM - d) / (FAR_KM - NEAR_KM))
            notes.append(f"{d:.1f} km away")
        else:
            f["distance"] = 0.5
            notes.append("no P625")
    total = sum(WEIGHTS[k] for k in f)
    s = round(sum(WEIGHTS[k] * v for k, v in f.items()) / total, 4)
    return Scored(h, text, lang, prop, kind, s, f, "; ".join(notes), kinds)


def _short(s: Scored) -> str:
    return f'{s.id} "{s.hit.display_label}" ({s.evidence})'


def decide(
    q: RowQuery,
    country: Country | None,
    hits: Sequence[Hit],
    classes: tuple[str, ...],
) -> Result:
    """Score the hits for one row and decide: ``linked``, ``review`` or ``none``."""
    scored = [s for h in hits if (s := score_hit(q, country, h, classes)) is not None]
    scored.sort(key=lambda s: (-s.score, int(s.id[1:]) if s.id[1:].isdigit() else 0, s.id))
    if not q.name.strip():
        return Result("none", "no name in this row")
    if not scored:
        return Result("none", f'no item has a label or alias matching "{q.name}"')
    alive = [s for s in scored if not s.ruled_out]
    out = [s for s in scored if s.ruled_out]
    if not alive:
        return Result(
            "none",
            f"{len(out)} candidate(s), all ruled out: " + "; ".join(_short(s) for s in out[:3]),
            None,
            scored,
        )

    def strength(s: Scored) -> tuple[int, int, float]:
        return (int(s.typed), int(s.near) * 2 + int(s.same_country), s.score)

    best = max(alive, key=strength)
    ordered = [best] + [s for s in scored if s is not best]
    others = [s for s in alive if s is not best and (best.fuzzy or not s.fuzzy)]
    ruled = f"; {len(out)} other candidate(s) ruled out" if out else ""
    is_country = classes == TYPES["country"]

    def review(why: str) -> Result:
        return Result("review", f"review: {why}; best {_short(best)}", best, ordered)

    if not best.typed:
        return review("the best candidate is not confirmed in type")
    if classes == PLACE_CLASSES and len(best.kinds) == 1:
        # a settlement and a separate municipality of that name (Stockholm Q1754, Q506250)
        split = [s for s in others if s.typed and len(s.kinds) == 1 and s.kinds != best.kinds]
        if split:
            return Result(
                "review",
                "review: both a settlement and a municipality match; choose with type city "
                "or municipality: " + "; ".join(_short(s) for s in [best, *split][:4]),
                best,
                ordered,
            )
    if not is_country and not (best.near or best.same_country):
        return review("the best candidate is confirmed by neither country nor coordinates")
    if best.fuzzy and not best.near:
        return review(f"a spelling variant ({best.match}) not confirmed by coordinates")
    if best.near:
        rivals = [s for s in others if s.near]
        if rivals:
            return review(
                "another candidate is as close: " + "; ".join(_short(s) for s in rivals[:3])
            )
    elif others:
        return review(
            "confirmed by the country alone while other item(s) of that name cannot be "
            "ruled out: " + "; ".join(_short(s) for s in others[:3])
        )
    return Result("linked", f"linked: {best.evidence}{ruled}", best, ordered)


# --- tables ------------------------------------------------------------------------------


def sniff_encoding(raw: bytes) -> str:
    """The encoding of a table's bytes: a BOM, else UTF-8 if it decodes, else cp1252/latin-1.

    >>> sniff_encoding("Málaga".encode("cp1252")), sniff_encoding("Málaga".encode())
    ('cp1252', 'utf-8')
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for enc in ("utf-8", "cp1252"):
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def read_table(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> pd.DataFrame:
    """A CSV file as a DataFrame of strings; encoding and delimiter sniffed unless given."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise SourceNotFoundError(f"{p}: no such file")
    raw = p.read_bytes()
    enc = encoding or sniff_encoding(raw)
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as e:
        raise ReconcileError(f"{p}: cannot decode as {enc}: {e}") from None
    if not text.strip():
        raise ReconcileError(f"{p}: the file is empty")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line is no row
            if len(row) != len(header):
                raise ReconcileError(
                    f"{p}:{reader.line_num}: {len(row)} field(s) where the header has "
                    f"{len(header)} (delimiter {delimiter!r})"
                )
            rows.append(row)
    except csv.Error as e:
        raise ReconcileError(f"{p}:{reader.line_num}: not a readable CSV row: {e}") from None
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ReconcileError(f"{p}:1: repeated column name(s) {', '.join(map(repr, dupes))}")
    return pd.DataFrame(rows, columns=header, dtype=str)


@lru_cache(maxsize=1)
def _countries() -> CountryIndex:
    return default_index()


def reconcile_rows(
    queries: Sequence[RowQuery],
    source: CandidateSource,
    *,
    type: str | None = None,
    countries: CountryIndex | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """Reconcile rows against a source; one :class:`Result` per row, in order."""
    if type is not None and type not in TYPES:
        raise ReconcileError(f"unknown type {type!r}; expected one of {', '.join(TYPES)}")
    classes = TYPES[type] if type else PLACE_CLASSES
    index = countries or _countries()
    resolved = [index.resolve(q.country) for q in queries]
    results: list[Result | None] = [None] * len(queries)
    todo = list(range(len(queries)))
    if type == "country":  # countries resolve locally, without a request
        todo = []
        for i, q in enumerate(queries):
            c = index.resolve(q.name)
            if c is None:
                todo.append(i)
                continue
            h = Hit(c.qid, {(c.name, "en", "label")}, {"Q6256": True}, True)
            s = Scored(h, c.name, "en", "label", "country index", 1.0, {"name": 1.0},
                       "name or code resolved by the Natural Earth and ISO 3166 country index",
                       ("country",))  # fmt: skip
            results[i] = Result("linked", f"linked: {s.evidence}", s, [s])
    hits = source.candidates(
        [queries[i] for i in todo], [resolved[i] for i in todo], classes, progress
    )
    for i, found in zip(todo, hits, strict=True):
        r = decide(queries[i], resolved[i], found, classes)
        q = queries[i]
        if q.country and resolved[i] is None:
            r.reason += f'; country "{q.country}" not recognised, not used'
        results[i] = r
    return [r for r in results if r is not None]


def _query_rows(
    df: pd.DataFrame, name: str, country: str | None, lat: str | None, lon: str | None
) -> list[RowQuery]:
    for col in (name, country, lat, lon):
        if col is not None and col not in df.columns:
            raise ReconcileError(
                f"no column {col!r} in the table (columns: {', '.join(map(str, df.columns))})"
            )
    if (lat is None) != (lon is None):
        raise ReconcileError("give both a latitude and a longitude column, or neither")
    out = []
    for rec in df.to_dict("records"):
        out.append(
            RowQuery(
                str(rec[name] or ""),
                str(rec[country]) if country and rec[country] else None,
                parse_coordinate(rec[lat], 90) if lat else None,
                parse_coordinate(rec[lon], 180) if lon else None,
            )
        )
    return out


def reconcile_frame(
    df: pd.DataFrame,
    *,
    name: str,
    source: CandidateSource,
    country: str | None = None,
    lat: str | None = None,
    lon: str | None = None,
    type: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, list[Result]]:
    """The table with the output columns added to every row, and the results."""
    clash = [c for c in OUTPUT_COLUMNS if c in df.columns]
    if clash:
        raise ReconcileError(
            f"the table already has column(s) {', '.join(clash)}: rename them first"
        )
    results = reconcile_rows(
        _query_rows(df, name, country, lat, lon), source, type=type, progress=progress
    )
    out = df.copy()
    out["qid"] = [
        r.qid if r.decision == "linked" else (r.best.id if r.best else "") for r in results
    ]
    out["qid_label"] = [r.best.hit.display_label if r.best else "" for r in results]
    out["score"] = [f"{r.best.score:.4f}" if r.best else "" for r in results]
    out["decision"] = [r.decision for r in results]
    out["reason"] = [
        r.reason
        + (f"; retrieved {r.best.hit.retrieved}" if r.best and r.best.hit.retrieved else "")
        for r in results
    ]
    return out, results


def reconcile_table(
    table: str | Path | pd.DataFrame,
    *,
    name: str,
    country: str | None = None,
    lat: str | None = None,
    lon: str | None = None,
    type: str | None = None,
    client: WikidataClient | None = None,
    endpoint: str | None = None,
    source: CandidateSource | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Reconcile a CSV file (or a DataFrame) against Wikidata; the table with five more columns.

    ``qid`` is the linked item, or the best candidate of a row to review;
    ``decision`` says which. The results (all candidates) are in
    ``df.attrs["results"]``; the client's counts in ``df.attrs["stats"]``.
    """
    import pandas as pd

    df = (
        table
        if isinstance(table, pd.DataFrame)
        else read_table(table, encoding=encoding, delimiter=delimiter)
    )
    if source is None:
        if client is None:
            client = (
                WikidataClient(endpoint, cache_dir=default_cache_dir())
                if endpoint
                else (WikidataClient(cache_dir=default_cache_dir()))
            )
        source = WikidataSource(client)
    out, results = reconcile_frame(
        df, name=name, source=source, country=country, lat=lat, lon=lon, type=type,
        progress=progress,
    )  # fmt: skip
    out.attrs["results"] = results
    if client is not None:
        out.attrs["stats"] = client.stats
    return out


def render_review(
    df: pd.DataFrame, results: Sequence[Result], name: str, country: str | None, top: int = 5
) -> str:
    """The candidates of every row to review, as CSV (row numbers count the header as 1)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REVIEW_COLUMNS)
    names = df[name].tolist()
    ctry = df[country].tolist() if country else [""] * len(df)
    for i, r in enumerate(results):
        if r.decision != "review":
            continue
        for rank, s in enumerate(r.candidates[:top], start=1):
            w.writerow(
                [i + 2, names[i], ctry[i], rank, s.id, s.hit.display_label, f"{s.score:.4f}",
                 s.match, s.evidence]
            )  # fmt: skip
    return buf.getvalue()


def default_cache_dir() -> Path:
    """The user's cache folder for Wikidata answers (never inside the installed package)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("citykg", appauthor=False)) / "wikidata"


def summary(results: Sequence[Result]) -> dict[str, int]:
    """How many rows were linked, sent to review, or left without a match."""
    out = {"linked": 0, "review": 0, "none": 0}
    for r in results:
        out[r.decision] += 1
    return out


__all__ = [
    "DEFAULT_LANGUAGES",
    "OUTPUT_COLUMNS",
    "PLACE_CLASSES",
    "TYPES",
    "CandidateSource",
    "Gazetteer",
    "Hit",
    "ReconcileError",
    "Result",
    "RowQuery",
    "Scored",
    "WikidataSource",
    "decide",
    "default_cache_dir",
    "gazetteer_query",
    "lookup_query",
    "match_kind",
    "read_table",
    "reconcile_frame",
    "reconcile_rows",
    "reconcile_table",
    "render_review",
    "score_hit",
    "summary",
    "translit",
    "variants",
]
