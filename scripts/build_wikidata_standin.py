"""Build a local stand-in for Wikidata, for tests, from real public data.

The output is ``tests/fixtures/wikidata/standin.nt.gz``: N-Triples, one triple
a line, lines sorted, gzip with mtime 0, so that a rebuild from the same inputs
is byte-identical. It uses Wikidata's IRIs and "truthy" shape: entities
``wd:Q…``, direct claims ``wdt:P…``, labels under ``rdfs:label`` and aliases
under ``skos:altLabel``. Every mapping and assumption is written up in
``tests/fixtures/wikidata/README.md``; a change here must change that file too.

Inputs (all inside the repository; nothing is fetched):

* ``data/raw/naturalearth/naturalearth-populated-places.csv`` (public domain)
* ``data/raw/naturalearth/naturalearth-countries.csv`` (public domain)
* ``data/raw/naturalearth/naturalearth-admin1.csv`` (public domain)
* ``data/raw/wikidata-p190-2016/p190-twinning-2016.tsv`` (Wikidata, CC0)
* ``data/raw/wikidata-p190-2016/p190-labels-2016.tsv`` (Wikidata, CC0)
* ``tests/fixtures/wikidata/raw/settlement-subclasses.json`` (Wikidata, CC0)
* ``tests/fixtures/wikidata/raw/wbgetentities-Q3955.json`` (Wikidata, CC0)

Run ``python scripts/build_wikidata_standin.py [--out PATH]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parents[1]
NE_DIR = ROOT / "data" / "raw" / "naturalearth"
P190_DIR = ROOT / "data" / "raw" / "wikidata-p190-2016"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "wikidata"
RAW_DIR = FIXTURE_DIR / "raw"
DEFAULT_OUT = FIXTURE_DIR / "standin.nt.gz"

POPULATED_PLACES = NE_DIR / "naturalearth-populated-places.csv"
COUNTRIES = NE_DIR / "naturalearth-countries.csv"
ADMIN1 = NE_DIR / "naturalearth-admin1.csv"
P190_EDGES = P190_DIR / "p190-twinning-2016.tsv"
P190_LABELS = P190_DIR / "p190-labels-2016.tsv"
SUBCLASSES = RAW_DIR / "settlement-subclasses.json"
WEIMAR = RAW_DIR / "wbgetentities-Q3955.json"

# Wikidata's namespaces are not in rdflib; these are the IRIs Wikidata uses.
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
WKT_LITERAL = "http://www.opengis.net/ont/geosparql#wktLiteral"
ID = "https://w3id.org/citykg/id/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
PUBLIC_DOMAIN_MARK = "https://creativecommons.org/publicdomain/mark/1.0/"

# Class items the project allows (issue 7): no other class QID is typed here,
# apart from those that appear in settlement-subclasses.json.
HUMAN_SETTLEMENT = "Q486972"
CITY = "Q515"
COUNTRY = "Q6256"
PROJECT_CLASS_LABELS = {HUMAN_SETTLEMENT: "human settlement", COUNTRY: "country"}

# Natural Earth name columns -> the BCP 47 tag Wikidata uses for that language.
# NAME_ZH holds simplified-script names; Wikidata's generic "zh" is used for it.
NE_LANGUAGES: dict[str, str] = {
    "EN": "en", "DE": "de", "ES": "es", "FR": "fr", "PT": "pt", "RU": "ru",
    "ZH": "zh", "AR": "ar", "BN": "bn", "EL": "el", "HI": "hi", "HU": "hu",
    "ID": "id", "IT": "it", "JA": "ja", "KO": "ko", "NL": "nl", "PL": "pl",
    "SV": "sv", "TR": "tr", "VI": "vi", "FA": "fa", "HE": "he", "UK": "uk",
    "UR": "ur", "ZHT": "zh-hant",
}  # fmt: skip

# Populated-place feature classes that are not human settlements (research
# stations, one abandoned historic place): they get no P31.
NOT_SETTLEMENTS = frozenset({"Scientific station", "Historic place"})

# Natural Earth admin-0 TYPE values of sovereign states. A unit is typed
# wd:Q6256 only if its TYPE is one of these AND it is its own sovereign
# (ADMIN == SOVEREIGNT): that excludes Jersey, Greenland, Hong Kong, Aruba ...
# ("Country" in Natural Earth, but not sovereign) and all dependencies,
# disputed and indeterminate areas. "Sovereignty" is Natural Earth's TYPE for
# Kazakhstan and Cuba.
SOVEREIGN_TYPES = frozenset({"Sovereign country", "Country", "Sovereignty"})

# Known errors in the sources, dropped on purpose (see the data README).
# Natural Earth admin-1 gives Gorno-Altay (RU-AL) the QID of Altay Krai.
ADMIN1_WRONG_QID = frozenset({("RU-AL", "Q5971")})

QID = re.compile(r"Q[1-9][0-9]*")


class BuildError(Exception):
    """An input breaks an assumption the stand-in relies on."""


@dataclass
class Item:
    """What the stand-in says about one Wikidata item."""

    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    untagged_label: str | None = None
    claims: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add_name(self, lang: str, value: str) -> None:
        """The first name given in a language is the label; others are aliases."""
        value = value.strip()
        if not value:
            return
        if lang not in self.labels:
            self.labels[lang] = value
        elif self.labels[lang] != value:
            self.alt_labels[lang].add(value)


@dataclass
class Stats:
    """Figures reported at the end of a build (and copied into the README)."""

    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


# --- N-Triples terms ---------------------------------------------------------


def iri(value: str) -> str:
    return f"<{value}>"


def wd(qid: str) -> str:
    return iri(WD + qid)


def wdt(pid: str) -> str:
    return iri(WDT + pid)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}


def literal(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    text = "".join(_ESCAPES.get(ch, ch) for ch in value)
    if lang is not None:
        return f'"{text}"@{lang}'
    if datatype is not None:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


# --- reading -----------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_tsv_pairs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                raise BuildError(f"{path.name}:{number}: expected two tab-separated fields")
            yield parts[0], parts[1]


def check_qid(value: str, where: str) -> str:
    if not QID.fullmatch(value):
        raise BuildError(f"{where}: {value!r} is not a QID")
    return value


def check_coordinate(lon: str, lat: str, where: str) -> str:
    try:
        x, y = float(lon), float(lat)
    except ValueError as exc:
        raise BuildError(f"{where}: bad coordinate {lon!r} {lat!r}") from exc
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise BuildError(f"{where}: coordinate out of range {lon} {lat}")
    return f"Point({lon} {lat})"


# --- sources -----------------------------------------------------------------


def index_countries(
    rows: list[dict[str, str]],
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Admin-0 rows by ADMIN, and ADMIN -> QID for the units that are sovereign states."""
    by_admin = {row["ADMIN"]: row for row in rows}
    if len(by_admin) != len(rows):
        raise BuildError("naturalearth-countries.csv: ADMIN is not unique")
    sovereign_qid: dict[str, str] = {}
    for row in rows:
        qid = check_qid(row["WIKIDATAID"], f"country {row['ADMIN']}")
        if row["ADMIN"] == row["SOVEREIGNT"] and row["TYPE"] in SOVEREIGN_TYPES:
            sovereign_qid[row["ADMIN"]] = qid
    return by_admin, sovereign_qid


def add_countries(
    items: dict[str, Item],
    rows: list[dict[str, str]],
    sovereign_qid: dict[str, str],
    stats: Stats,
) -> None:
    for row in sorted(rows, key=lambda r: r["WIKIDATAID"]):
        qid = row["WIKIDATAID"]
        item = items.setdefault(qid, Item())
        for column, lang in NE_LANGUAGES.items():
            item.add_name(lang, row[f"NAME_{column}"])
        # ADMIN and NAME_LONG are Natural Earth's English names; NAME is a
        # map-label abbreviation ("Fr. Polynesia") and is not used.
        item.add_name("en", row["ADMIN"])
        item.add_name("en", row["NAME_LONG"])
        if row["ADMIN"] in sovereign_qid:
            item.claims["P31"].add(COUNTRY)
            stats.counts["countries typed Q6256"] += 1
        else:
            stats.counts[f"countries without P31 (TYPE {row['TYPE']})"] += 1
        state = sovereign_qid.get(row["SOVEREIGNT"])
        if state is None:
            stats.notes.append(
                f"country {row['ADMIN']} ({qid}): sovereign {row['SOVEREIGNT']!r} is not a "
                "sovereign state in Natural Earth; no P17"
            )
        else:
            item.claims["P17"].add(state)
    stats.counts["countries"] = len(rows)


def join_country(
    row: dict[str, str],
    by_admin: dict[str, dict[str, str]],
    by_iso: dict[str, dict[str, str]],
    by_any_name: dict[str, dict[str, str]],
) -> tuple[dict[str, str] | None, str]:
    """The admin-0 unit a populated place lies in, and which key joined it."""
    if row["ADM0NAME"] in by_admin:
        return by_admin[row["ADM0NAME"]], "ADM0NAME=ADMIN"
    if row["ISO_A2"] in by_iso:
        return by_iso[row["ISO_A2"]], "ISO_A2=ISO_A2"
    if row["SOV0NAME"] in by_any_name:
        return by_any_name[row["SOV0NAME"]], "SOV0NAME=ADMIN/NAME/NAME_LONG"
    return None, "unjoined"


def add_populated_places(
    items: dict[str, Item],
    rows: list[dict[str, str]],
    countries: dict[str, dict[str, str]],
    sovereign_qid: dict[str, str],
    stats: Stats,
) -> set[str]:
    by_iso = {r["ISO_A2"]: r for r in countries.values() if r["ISO_A2"] != "-99"}
    by_any_name: dict[str, dict[str, str]] = {}
    for r in countries.values():
        for key in (r["ADMIN"], r["NAME"], r["NAME_LONG"]):
            by_any_name.setdefault(key, r)
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: (r["WIKIDATAID"], r["NE_ID"])):
        where = f"populated place {row['NAME']} (NE_ID {row['NE_ID']})"
        if not row["WIKIDATAID"]:
            stats.counts["populated places without QID (skipped)"] += 1
            stats.notes.append(f"{where}: no WIKIDATAID, skipped")
            continue
        qid = check_qid(row["WIKIDATAID"], where)
        if qid in seen:
            raise BuildError(f"{where}: QID {qid} used by two populated places")
        seen.add(qid)
        item = items.setdefault(qid, Item())
        for column, lang in NE_LANGUAGES.items():
            item.add_name(lang, row[f"NAME_{column}"])
        # NAMEASCII is an ASCII spelling ("Sao Paulo", "Ft. Worth"): kept as an
        # English alias. NAME (local or romanised, language unknown) and
        # NAMEALT (metro-area names, truncated strings, notes) are not used.
        item.add_name("en", row["NAMEASCII"])
        if row["FEATURECLA"] in NOT_SETTLEMENTS:
            stats.counts[f"populated places without P31 ({row['FEATURECLA']})"] += 1
        else:
            item.claims["P31"].add(HUMAN_SETTLEMENT)
        item.claims["P625"].add(check_coordinate(row["LONGITUDE"], row["LATITUDE"], where))
        unit, how = join_country(row, countries, by_iso, by_any_name)
        stats.counts[f"populated places joined to a country by {how}"] += 1
        if unit is None:
            stats.notes.append(
                f"{where} {qid}: country not joined "
                f"(ADM0NAME {row['ADM0NAME']!r}, SOV0NAME {row['SOV0NAME']!r}, "
                f"ISO_A2 {row['ISO_A2']!r}); no P17"
            )
            continue
        state = sovereign_qid.get(unit["SOVEREIGNT"])
        if state is None:
            stats.counts["populated places in a unit with no sovereign state (no P17)"] += 1
            stats.notes.append(
                f"{where} {qid}: in {unit['ADMIN']}, sovereign {unit['SOVEREIGNT']!r} "
                "is not a sovereign state; no P17"
            )
            continue
        item.claims["P17"].add(state)
        if state != unit["WIKIDATAID"]:
            stats.counts["populated places whose P17 is the sovereign of a dependency"] += 1
    stats.counts["populated places"] = len(seen)
    return seen


def add_admin1(
    items: dict[str, Item],
    rows: list[dict[str, str]],
    countries: dict[str, dict[str, str]],
    sovereign_qid: dict[str, str],
    stats: Stats,
) -> set[str]:
    by_iso = {r["ISO_A2"]: r for r in countries.values() if r["ISO_A2"] != "-99"}
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: (r["wikidataid"], r["iso_3166_2"])):
        where = f"admin-1 {row['name_en']} ({row['iso_3166_2']})"
        if (row["iso_3166_2"], row["wikidataid"]) in ADMIN1_WRONG_QID:
            stats.notes.append(f"{where}: known wrong QID {row['wikidataid']}, skipped")
            stats.counts["admin-1 rows skipped (known wrong QID)"] += 1
            continue
        qid = check_qid(row["wikidataid"], where)
        if qid in seen:
            raise BuildError(f"{where}: QID {qid} used by two admin-1 rows")
        seen.add(qid)
        item = items.setdefault(qid, Item())
        item.add_name("en", row["name_en"])
        for column, lang in NE_LANGUAGES.items():
            if column != "EN":
                item.add_name(lang, row[f"name_{column.lower()}"])
        # No P31 (no class QID for first-level divisions is given to us), no
        # P625 (Natural Earth gives a label point, not a coordinate of record).
        unit = by_iso.get(row["iso_a2"])
        state = sovereign_qid.get(unit["SOVEREIGNT"]) if unit else None
        if state is None:
            stats.notes.append(f"{where}: country {row['iso_a2']!r} not joined; no P17")
            continue
        item.claims["P17"].add(state)
    stats.counts["admin-1 divisions"] = len(seen)
    return seen


def add_subclasses(items: dict[str, Item], rows: list[dict[str, str]], stats: Stats) -> None:
    for row in rows:
        sub = check_qid(row["citySubclassId"], "settlement-subclasses.json")
        sup = check_qid(row["ancestorClassId"], "settlement-subclasses.json")
        items.setdefault(sub, Item()).claims["P279"].add(sup)
        for qid, label in ((sub, row["citySubclassLabel"]), (sup, row["ancestorClassLabel"])):
            # The source query used Wikidata's label service in English; where
            # an item had no English label the service returned the QID itself.
            if label != qid:
                items.setdefault(qid, Item()).add_name("en", label)
    stats.counts["P279 rows from settlement-subclasses.json"] = len(rows)
    # Not in any source we hold; true on Wikidata (stated in the README).
    items.setdefault(CITY, Item()).claims["P279"].add(HUMAN_SETTLEMENT)
    for qid, label in PROJECT_CLASS_LABELS.items():
        items.setdefault(qid, Item()).add_name("en", label)


def truthy(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wikidata's truthy statements: the best non-deprecated rank."""
    preferred = [s for s in statements if s.get("rank") == "preferred"]
    return preferred or [s for s in statements if s.get("rank") == "normal"]


def add_weimar(items: dict[str, Item], allowed_classes: set[str], stats: Stats) -> None:
    """Q3955 (Weimar) from a real 2016-09-07 wbgetentities response."""
    with WEIMAR.open(encoding="utf-8") as handle:
        data = json.load(handle, parse_float=str, parse_int=str)
    for qid, entity in sorted(data["entities"].items()):
        item = items.setdefault(check_qid(qid, WEIMAR.name), Item())
        for lang, label in sorted(entity.get("labels", {}).items()):
            item.add_name(lang, label["value"])
        for lang, aliases in sorted(entity.get("aliases", {}).items()):
            for alias in aliases:
                item.add_name(lang, alias["value"])
        claims = entity.get("claims", {})
        for pid in ("P31", "P17", "P190"):
            for st in truthy(claims.get(pid, [])):
                value = st["mainsnak"].get("datavalue", {}).get("value", {}).get("id")
                if value is None:
                    continue
                if pid == "P31" and value not in allowed_classes:
                    stats.notes.append(f"{qid} P31 {value}: class not allowed, dropped")
                    continue
                item.claims[pid].add(value)
        for st in truthy(claims.get("P625", [])):
            value = st["mainsnak"]["datavalue"]["value"]
            item.claims["P625"].add(
                check_coordinate(value["longitude"], value["latitude"], f"{qid} P625")
            )
        for st in truthy(claims.get("P1082", [])):
            item.claims["P1082"].add(st["mainsnak"]["datavalue"]["value"]["amount"])


def add_p190(items: dict[str, Item], stats: Stats) -> None:
    edges = [
        (check_qid(a, P190_EDGES.name), check_qid(b, P190_EDGES.name))
        for a, b in read_tsv_pairs(P190_EDGES)
    ]
    stats.counts["P190 edge lines"] = len(edges)
    stats.counts["P190 distinct edges"] = len(set(edges))
    for a, b in edges:
        items.setdefault(a, Item()).claims["P190"].add(b)
        items.setdefault(b, Item())
    labels = dict(read_tsv_pairs(P190_LABELS))
    stats.counts["P190 items"] = len({q for e in edges for q in e})
    for qid, label in sorted(labels.items()):
        item = items.setdefault(check_qid(qid, P190_LABELS.name), Item())
        # Language unknown (German preferred, then en, fr, it, es): used only
        # where no other source gives a tagged label, as an untagged literal.
        if not item.labels:
            item.untagged_label = label.strip()
            stats.counts["items labelled only by the 2016 crawl (untagged)"] += 1


# --- output ------------------------------------------------------------------


def item_triples(qid: str, item: Item) -> Iterator[str]:
    subject = wd(qid)
    label = iri(str(RDFS.label))
    alt = iri(str(SKOS.altLabel))
    for lang, value in item.labels.items():
        yield f"{subject} {label} {literal(value, lang=lang)} ."
    for lang, values in item.alt_labels.items():
        for value in values:
            yield f"{subject} {alt} {literal(value, lang=lang)} ."
    if item.untagged_label:
        yield f"{subject} {label} {literal(item.untagged_label)} ."
    for pid, values in item.claims.items():
        for value in values:
            if pid == "P625":
                obj = literal(value, datatype=WKT_LITERAL)
            elif pid == "P1082":
                obj = literal(value, datatype=str(XSD.decimal))
            else:
                obj = wd(value)
            yield f"{subject} {wdt(pid)} {obj} ."


SOURCES: dict[str, tuple[str, str, str]] = {
    # key: (title, origin, licence IRI)
    "naturalearth-populated-places": (
        "Natural Earth v5.0.0 ne_50m_populated_places",
        "https://www.naturalearthdata.com/",
        PUBLIC_DOMAIN_MARK,
    ),
    "naturalearth-admin0-countries": (
        "Natural Earth v5.0.0 ne_50m_admin_0_countries",
        "https://www.naturalearthdata.com/",
        PUBLIC_DOMAIN_MARK,
    ),
    "naturalearth-admin1": (
        "Natural Earth v5.0.1 ne_50m_admin_1_states_provinces",
        "https://www.naturalearthdata.com/",
        PUBLIC_DOMAIN_MARK,
    ),
    "wikidata-p190-2016": (
        "Wikidata P190 (twinned administrative body) crawl, September 2016",
        "https://github.com/L3viathan/sister-cities",
        CC0,
    ),
    "wikidata-settlement-subclasses": (
        "Wikidata P279 subclasses of city, municipality, city or town, local government area",
        "https://github.com/c-riq/city-vote",
        CC0,
    ),
    "wikidata-wbgetentities-q3955": (
        "Wikidata wbgetentities response for Q3955, 2016-09-07",
        "https://www.wikidata.org/wiki/Q3955",
        CC0,
    ),
}


def provenance_triples() -> Iterator[str]:
    dataset = iri(ID + "dataset/wikidata-standin")
    yield f"{dataset} {iri(str(RDF.type))} {iri(str(DCAT.Dataset))} ."
    yield (
        f"{dataset} {iri(str(DCTERMS.title))} "
        f"{literal('Local Wikidata stand-in for citykg tests', lang='en')} ."
    )
    yield (
        f"{dataset} {iri(str(DCTERMS.description))} "
        + literal(
            "A subset of Wikidata rebuilt from Natural Earth and dated Wikidata extracts, "
            "for tests only; see tests/fixtures/wikidata/README.md.",
            lang="en",
        )
        + " ."
    )
    for key, (title, origin, licence) in SOURCES.items():
        source = iri(ID + f"dataset/{key}")
        yield f"{dataset} {iri(str(PROV.wasDerivedFrom))} {source} ."
        yield f"{source} {iri(str(RDF.type))} {iri(str(DCAT.Dataset))} ."
        yield f"{source} {iri(str(DCTERMS.title))} {literal(title, lang='en')} ."
        yield f"{source} {iri(str(DCTERMS.source))} {iri(origin)} ."
        yield f"{source} {iri(str(DCTERMS.license))} {iri(licence)} ."


def build(stats: Stats) -> list[str]:
    items: dict[str, Item] = {}
    with SUBCLASSES.open(encoding="utf-8") as handle:
        subclass_rows: list[dict[str, str]] = json.load(handle)
    allowed_classes = {HUMAN_SETTLEMENT, CITY, COUNTRY} | {
        q for r in subclass_rows for q in (r["citySubclassId"], r["ancestorClassId"])
    }
    # Source order decides which name becomes the label in a language when
    # two sources name one item: Weimar's real labels, then populated places,
    # then countries, then admin-1, then class labels; the crawl label last.
    add_weimar(items, allowed_classes, stats)
    countries = read_csv(COUNTRIES)
    by_admin, sovereign_qid = index_countries(countries)
    add_populated_places(items, read_csv(POPULATED_PLACES), by_admin, sovereign_qid, stats)
    add_countries(items, countries, sovereign_qid, stats)
    add_admin1(items, read_csv(ADMIN1), by_admin, sovereign_qid, stats)
    add_subclasses(items, subclass_rows, stats)
    add_p190(items, stats)
    for pid in ("P31", "P279"):
        used = {v for it in items.values() for v in it.claims.get(pid, ())}
        if not used <= allowed_classes:
            raise BuildError(
                f"{pid} uses classes outside the allowed set: {used - allowed_classes}"
            )
    lines = {t for qid, item in items.items() for t in item_triples(qid, item)}
    lines.update(provenance_triples())
    stats.counts["items"] = sum(
        1 for it in items.values() if it.labels or it.untagged_label or it.claims
    )
    return sorted(lines)


def write_atomically(lines: Iterable[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
        ):
            for line in lines:
                gz.write(line.encode("utf-8") + b"\n")
        tmp.chmod(0o644)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def summarise(lines: list[str], stats: Stats) -> dict[str, Any]:
    by_predicate: Counter[str] = Counter()
    by_lang: Counter[str] = Counter()
    en_names: dict[str, set[str]] = defaultdict(set)
    pattern = re.compile(r"^<([^>]*)> <([^>]*)> (.*) \.$")
    for line in lines:
        match = pattern.match(line)
        if match is None:
            raise BuildError(f"unexpected line {line!r}")
        subject, predicate, obj = match.groups()
        by_predicate[predicate] += 1
        if predicate in (str(RDFS.label), str(SKOS.altLabel)) and subject.startswith(WD):
            tag = obj.rsplit('"@', 1)[1] if '"@' in obj else "(untagged)"
            by_lang[f"{predicate.rsplit('#', 1)[1]} {tag}"] += 1
            if tag == "en":
                en_names[json.loads(obj.rsplit("@", 1)[0])].add(subject)
    shared = {name: qids for name, qids in en_names.items() if len(qids) > 1}
    return {
        "triples": len(lines),
        "counts": dict(sorted(stats.counts.items())),
        "triples by predicate": dict(sorted(by_predicate.items())),
        "labels by language": dict(sorted(by_lang.items())),
        "English names (label or alias) shared by 2+ items": len(shared),
        "notes": stats.notes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument("--quiet", action="store_true", help="print no summary")
    args = parser.parse_args(argv)
    stats = Stats()
    try:
        lines = build(stats)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_atomically(lines, args.out)
    if not args.quiet:
        print(json.dumps(summarise(lines, stats), indent=2, ensure_ascii=False))
    print(f"wrote {args.out} ({len(lines)} triples)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
