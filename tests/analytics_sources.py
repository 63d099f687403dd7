"""Readings of the raw sources for the analytics tests, written apart from the code under test."""

from __future__ import annotations

import csv

from citykg.resources import resource_dir

RAW = resource_dir("data") / "raw" / "wikidata-p190-2016" / "p190-twinning-2016.tsv"
#: The curators' table of second Wikidata items of a gazetteer city (municipality, city-county,
#: emirate) that the twinning mapping joins to the city (data/mappings/twinning/twinning.ru, step 0).
SAME_CITY = {"Q9899": "Q727", "Q487704": "Q18094", "Q613": "Q612", "Q9005": "Q239",
             "Q503361": "Q2211"}


def raw_twinning_pairs() -> set[frozenset[str]]:
    """Unordered pairs of the raw crawl, second items joined to their city, self-pairs dropped."""
    pairs = set()
    with RAW.open(encoding="utf-8", newline="") as f:
        for a, b in csv.reader(f, delimiter="\t"):
            a, b = SAME_CITY.get(a, a), SAME_CITY.get(b, b)
            if a != b:
                pairs.add(frozenset((a, b)))
    return pairs
