"""Snapshot goldens of the generated twinning layer, checked against its source file.

The twinning goldens (tests/queries/twinning/*.shipped.csv) are snapshots: they
say that nothing changed, not that it is right. Here two of the stored queries
are recomputed from the raw crawl (data/raw/wikidata-p190-2016/), in plain
Python rather than through the CSVW mapping and SPARQL, and compared with what
the queries return on the shipped graph: the sister cities of Paris (CQ 10) and
the number of twins of the 50 most twinned places (CQ 11). Both sides use
Wikidata IDs; the only rule shared with the mapping is its documented join of
a second Wikidata item to its city (step 0 of data/mappings/twinning/twinning.ru),
read from there.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import pytest

from citykg.resources import resource_dir

RAW = resource_dir("data") / "raw" / "wikidata-p190-2016"
MAPPING = resource_dir("data") / "mappings" / "twinning" / "twinning.ru"
ID = "https://w3id.org/citykg/id/"


def joined_items() -> dict[str, str]:
    """The second items the mapping joins to a city: ``{"Q9899": "Q727", ...}``."""
    text = MAPPING.read_text(encoding="utf-8")
    block = text.split("VALUES (?alias ?cityQid)", 1)[1].split("}", 1)[0]
    return dict(re.findall(r'\("(Q\d+)"\s+"(Q\d+)"\)', block))


def partners_from_crawl() -> dict[str, set[str]]:
    """Each item's partners in the crawl, both directions, second items joined, no self-loops."""
    alias = joined_items()
    partners: dict[str, set[str]] = defaultdict(set)
    with (RAW / "p190-twinning-2016.tsv").open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 2 or not row[0].startswith("Q"):
                continue
            a, b = (alias.get(q.strip(), q.strip()) for q in row[:2])
            if a != b:
                partners[a].add(b)
                partners[b].add(a)
    return partners


@pytest.fixture(scope="module")
def crawl() -> dict[str, set[str]]:
    return partners_from_crawl()


def qid_of(kg: object, iri: str) -> str:
    res = kg.sparql(  # type: ignore[attr-defined]
        f"SELECT ?q WHERE {{ <{iri}> <https://w3id.org/citykg/ontology#wikidataId> ?q }}")
    qids = sorted({str(r[0]) for r in res.rows})
    assert len(qids) == 1, f"{iri}: Wikidata IDs {qids}"
    return qids[0]


def test_the_sister_cities_of_paris_are_those_of_the_crawl(kg: object, crawl: dict[str, set[str]]) -> None:
    res = kg.query("twinning/sister-cities-of-city")  # type: ignore[attr-defined]
    got = {qid_of(kg, str(r[0])) for r in res.rows}
    assert got == crawl["Q90"]


def test_the_most_twinned_places_have_the_crawls_number_of_twins(
        kg: object, crawl: dict[str, set[str]]) -> None:
    res = kg.query("twinning/most-twinned-cities")  # type: ignore[attr-defined]
    assert len(res.rows) == 50
    counts = {qid_of(kg, str(r[0])): int(str(r[3])) for r in res.rows}
    assert counts == {q: len(crawl[q]) for q in counts}
    # and no place outside the list has more twins than the last one in it
    assert max(len(p) for q, p in crawl.items() if q not in counts) <= min(counts.values())
