"""Synthetic graphs shaped like citykg's, for benchmarks.

The mix follows the shipped data: gazetteer countries, subdivisions and
cities with labels in many languages, ISO codes, Wikidata IDs and WKT points;
bare twinning-layer places with an untagged label; twinnings between them;
networks with memberships; people with terms of office; sources and
citations. ``generate(n)`` yields about ``n`` N-Triples lines, deterministic
for a given seed, and every record conforms to the shapes unless ``defects``
asks for some broken ones (one in every ``defects`` records).

>>> lines = list(generate(2_000))
>>> 1_800 < len(lines) < 2_400
True
"""

from __future__ import annotations

import random
from collections.abc import Iterator

CKG = "https://w3id.org/citykg/ontology#"
ID = "https://w3id.org/citykg/id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"
GEO = "http://www.opengis.net/ont/geosparql#"
ORG = "http://www.w3.org/ns/org#"
DCT = "http://purl.org/dc/terms/"
LANGS = [
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "ru",
    "uk",
    "sv",
    "tr",
    "ar",
    "fa",
    "he",
    "hi",
    "bn",
    "ur",
    "id",
    "vi",
    "ja",
    "ko",
    "zh-Hans",
    "zh-Hant",
    "el",
    "hu",
]


def _t(s: str, p: str, o: str) -> str:
    return f"{s} {p} {o} ."


def _iri(x: str) -> str:
    return f"<{x}>"


def _c(local: str) -> str:
    return f"<{CKG}{local}>"


def generate(
    n_triples: int, *, seed: int = 1, defects: int = 0, stats: dict[str, int] | None = None
) -> Iterator[str]:
    """About ``n_triples`` N-Triples lines of citykg-shaped data.

    ``stats``, if given, is filled with how many defects of each kind were
    seeded (``bad-point``: a city's WKT point with a latitude of 200;
    ``self-twinning``: a twinning whose two parties are one place;
    ``end-before-start``: a membership that ends before it starts).
    """
    stats = stats if stats is not None else {}
    for k in ("bad-point", "self-twinning", "end-before-start"):
        stats.setdefault(k, 0)
    rnd = random.Random(seed)
    count = 0
    cite = _iri(ID + "citation/c0")
    src = _iri(ID + "source/s0")
    for line in (
        _t(src, RDF_TYPE, _c("Source")),
        _t(src, LABEL, '"Synthetic source"@en'),
        _t(src, f"<{DCT}title>", '"Synthetic source"@en'),
        _t(src, f"<{DCT}issued>", f'"2016"^^<{XSD}gYear>'),
        _t(cite, RDF_TYPE, _c("Citation")),
        _t(cite, _c("citedSource"), src),
        _t(cite, _c("locator"), '"paragraph 1"@en'),
        _t(cite, _c("evidenceTier"), _c("StatedInSource")),
    ):
        count += 1
        yield line
    # proportions by triples: ~45% gazetteer places, ~20% bare places, ~25% twinnings, rest curated
    n_countries = max(2, n_triples // 4000)
    n_cities = max(4, n_triples * 45 // 100 // 36)
    n_places = max(4, n_triples * 20 // 100 // 4)
    n_twins = max(2, n_triples * 25 // 100 // 7)
    n_networks = max(1, n_triples // 20000)
    n_members = max(2, n_triples * 10 // 100 // 6)
    qid = iter(range(1000, 10**9))

    def bad() -> bool:
        return defects > 0 and rnd.randrange(defects) == 0

    countries = []
    for i in range(n_countries):
        c = _iri(f"{ID}country/q{next(qid)}")
        countries.append(c)
        a2 = chr(65 + i // 26 % 26) + chr(65 + i % 26)
        yield _t(c, RDF_TYPE, _c("Country"))
        yield _t(c, _c("wikidataId"), f'"Q{c.rsplit("/q", 1)[1][:-1]}"')
        yield _t(c, _c("citation"), cite)
        yield _t(c, _c("isoAlpha2Code"), f'"{a2}"')
        for lang in LANGS:
            yield _t(c, LABEL, f'"Country {i}"@{lang}')
        count += 30
    places = []
    for i in range(n_cities):
        c = _iri(f"{ID}city/q{next(qid)}")
        places.append(c)
        g = _iri(f"{c[1:-1]}#geometry")
        lon, lat = rnd.uniform(-180, 180), rnd.uniform(-90, 90)
        if bad():
            lon, lat = lat, 200.0
            stats["bad-point"] += 1
        yield _t(c, RDF_TYPE, _c("City"))
        yield _t(c, _c("wikidataId"), f'"Q{c.rsplit("/q", 1)[1][:-1]}"')
        yield _t(c, _c("citation"), cite)
        yield _t(c, _c("country"), rnd.choice(countries))
        yield _t(c, f"<{GEO}hasGeometry>", g)
        yield _t(g, RDF_TYPE, f"<{GEO}Geometry>")
        yield _t(g, f"<{GEO}asWKT>", f'"POINT({lon:.5f} {lat:.5f})"^^<{GEO}wktLiteral>')
        for lang in LANGS:
            yield _t(c, LABEL, f'"City {i}"@{lang}')
        count += 33
    for i in range(n_places):
        p = _iri(f"{ID}place/q{next(qid)}")
        places.append(p)
        yield _t(p, RDF_TYPE, _c("Place"))
        yield _t(p, LABEL, f'"Place {i}"')
        yield _t(p, _c("wikidataId"), f'"Q{p.rsplit("/q", 1)[1][:-1]}"')
        yield _t(p, _c("citation"), cite)
        count += 4
    seen: set[tuple[str, str]] = set()
    made = 0
    while made < n_twins:
        a, b = rnd.sample(places, 2)
        key = (min(a, b), max(a, b))
        if key in seen:
            continue
        seen.add(key)
        made += 1
        t = _iri(f"{ID}twinning/t{made}")
        yield _t(t, RDF_TYPE, _c("Twinning"))
        yield _t(t, _c("citation"), cite)
        yield _t(t, _c("twinningParty"), a)
        same = bad()
        stats["self-twinning"] += same
        yield _t(t, _c("twinningParty"), a if same else b)
        yield _t(t, _c("recordedOnSideOf"), a)
        if rnd.random() < 0.3:
            yield _t(t, _c("startDate"), f'"{rnd.randint(1950, 2015)}"^^<{XSD}gYear>')
        count += 6
    networks = []
    for i in range(n_networks):
        nw = _iri(f"{ID}network/n{i}")
        networks.append(nw)
        yield _t(nw, RDF_TYPE, _c("TransnationalMunicipalNetwork"))
        yield _t(nw, LABEL, f'"Network {i}"@en')
        yield _t(nw, _c("wikidataId"), f'"Q{next(qid)}"')
        yield _t(nw, _c("citation"), cite)
        yield _t(nw, _c("foundingDate"), f'"{rnd.randint(1950, 2000)}"^^<{XSD}gYear>')
        yield _t(nw, _c("focusesOn"), _c("ClimateChange"))
        count += 6
    for i in range(n_members):
        gov = _iri(f"{ID}city-government/g{i}")
        m = _iri(f"{ID}membership/m{i}")
        yield _t(gov, RDF_TYPE, _c("CityGovernment"))
        yield _t(gov, LABEL, f'"City government {i}"@en')
        yield _t(gov, _c("citation"), cite)
        yield _t(gov, _c("governs"), rnd.choice(places[:n_cities]))
        yield _t(m, RDF_TYPE, _c("Membership"))
        yield _t(m, f"<{ORG}member>", gov)
        yield _t(m, f"<{ORG}organization>", rnd.choice(networks))
        yield _t(m, _c("citation"), cite)
        start = rnd.randint(2001, 2015)
        yield _t(
            m, _c("startDate"), f'"{start}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"^^<{XSD}date>'
        )
        if bad():
            stats["end-before-start"] += 1
            yield _t(m, _c("endDate"), f'"{start - 1}"^^<{XSD}gYear>')
        count += 9
