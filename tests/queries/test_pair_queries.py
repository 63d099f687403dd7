"""Issue 19: the scalable co-membership query against an independent count in Python.

The expected answers are computed from the fixture graph's triples with plain
Python sets (no SPARQL), for every city of the fixture and two minimums; the
paging test checks that pages put together give the whole answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from rdflib import RDF, Namespace

CKG = Namespace("https://w3id.org/citykg/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")


def _networks_of_cities(kg: object) -> dict[str, set[str]]:
    g = kg.to_rdflib()  # type: ignore[attr-defined]
    cities = set(g.subjects(RDF.type, CKG.City))
    networks = set(g.subjects(RDF.type, CKG.Network))
    out: dict[str, set[str]] = defaultdict(set)
    for m in set(g.subjects(ORG.member, None)):
        for member in g.objects(m, ORG.member):
            places = {p for p in g.objects(member, CKG.governs) if p in cities}
            if member in cities:
                places.add(member)
            for n in g.objects(m, ORG.organization):
                if n in networks:
                    for p in places:
                        out[str(p)].add(str(n))
    return out


@pytest.mark.parametrize("minimum", [1, 2])
def test_co_membership_pairs_match_a_count_in_python(fixture_kg: object, minimum: int) -> None:
    nets = _networks_of_cities(fixture_kg)
    assert len(nets) >= 4, "the fixture has cities in networks"
    checked = 0
    for city, mine in sorted(nets.items()):
        expected = Counter(
            {other: len(mine & theirs) for other, theirs in nets.items() if other != city}
        )
        expected = Counter({k: v for k, v in expected.items() if v >= minimum})
        res = fixture_kg.query(  # type: ignore[attr-defined]
            "co-membership-pairs", city=city, minimum=minimum, limit=None
        )
        got = {str(r[0]): int(str(r[2])) for r in res.rows}
        assert got == dict(expected), city
        counts = [int(str(r[2])) for r in res.rows]
        assert counts == sorted(counts, reverse=True), "most shared first"
        checked += bool(got)
    assert checked >= 2


def test_co_membership_pages_put_together_give_the_whole_answer(fixture_kg: object) -> None:
    whole = fixture_kg.query("co-membership-pairs", limit=None).rows  # type: ignore[attr-defined]
    assert len(whole) >= 3
    pages = []
    for offset in range(0, len(whole) + 1, 2):
        pages += fixture_kg.query("co-membership-pairs", limit=2, offset=offset).rows  # type: ignore[attr-defined]
    assert pages == whole
