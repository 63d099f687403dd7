"""The Covenant of Mayors and Net Zero Tracker layers, checked against their source files.

Expected answers are computed here from the shipped copies of the source
tables (``data/raw/networks/``) with the csv module, never from the layers
themselves: the stored queries run on the built graph and must agree with
the source, row for row where the question is about rows.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from citykg.ingest import ingest, notes_report

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw" / "networks"
COVENANT_CSV = RAW / "covenant-of-mayors-signatories-2024.csv"
NETZERO_CSV = RAW / "net-zero-tracker-cities-2022-12-20.csv"
COVENANT = "https://w3id.org/citykg/id/network/covenant-of-mayors"
ID = "https://w3id.org/citykg/id/"
CKG = "https://w3id.org/citykg/ontology#"
LAYERS = {
    "covenant": ROOT / "data" / "covenant.ttl",
    "netzero": ROOT / "data" / "netzero.ttl",
}


def _rows(path: Path) -> list[dict[str, str]]:
    """The table's rows, each cell trimmed of surrounding white space as the CSVW
    dialect of both mappings says (``"trim": true``)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(f)]


COV = _rows(COVENANT_CSV)
NZT = _rows(NETZERO_CSV)


def _key(org_id: str) -> str:
    return org_id.replace("_", "-")


def _text(term: object) -> str:
    return "" if term is None else str(term)


def _select(kg: object, query: str) -> list[dict[str, str]]:
    result = kg.sparql(query, limit=None, timeout=None)  # type: ignore[attr-defined]
    return [
        dict(zip(result.variables, (_text(t) for t in row), strict=True)) for row in result.rows
    ]


# --------------------------------------------------------------------------- the layers


@pytest.mark.slow
@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layer_and_report_rebuild_byte_for_byte(layer: str, tmp_path: Path) -> None:
    """The shipped layer and its ingest report are what the mapping makes of the source."""
    mapping = ROOT / "data" / "mappings" / layer / f"{layer}.csv-metadata.json"
    out = tmp_path / LAYERS[layer].name
    result = ingest(None, mapping, out)
    assert out.read_bytes() == LAYERS[layer].read_bytes()
    report = ROOT / "data" / "mappings" / layer / "REPORT.md"
    assert notes_report(layer, result.notes) == report.read_text(encoding="utf-8")


def _layer_store(layer: str) -> ox.Store:
    store = ox.Store()
    store.load(path=str(LAYERS[layer]), format=ox.RdfFormat.TURTLE)
    return store


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_every_node_cites_a_dataset_row(layer: str) -> None:
    """Every typed node of the layer (but citations, datasets, geometries and the
    reified type statements, which are cited otherwise) cites a row of its dataset."""
    store = _layer_store(layer)
    excluded = """FILTER (?t NOT IN (ckg:Citation, ckg:Dataset, <http://www.opengis.net/ont/geosparql#Geometry>,
                       <http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement>,
                       <http://rdfs.org/ns/void#Dataset>, <http://www.w3.org/ns/dcat#Dataset>))"""
    typed = {
        r["s"]
        for r in store.query(
            f"PREFIX ckg: <{CKG}> SELECT DISTINCT ?s WHERE {{ ?s a ?t . {excluded} }}"
        )
    }
    cited = {
        r["s"]
        for r in store.query(
            f"""PREFIX ckg: <{CKG}> SELECT DISTINCT ?s WHERE {{
              ?s ckg:citation ?c . ?c ckg:citedSource ?d ; ckg:locator ?where . ?d a ckg:Dataset }}"""
        )
    }
    assert typed, layer
    # (a FILTER NOT EXISTS over every typed node took Oxigraph minutes: two sets instead)
    uncited = sorted(str(s) for s in typed - cited)
    assert uncited == []
    rows = list(
        store.query(
            f"""PREFIX ckg: <{CKG}> SELECT (COUNT(?c) AS ?n) WHERE {{
              ?c a ckg:Citation ; ckg:locator ?l . FILTER (CONTAINS(STR(?l), ", row ")) }}"""
        )
    )
    assert int(rows[0]["n"].value) == len(COV if layer == "covenant" else NZT)


def test_known_errors_are_withheld_not_kept() -> None:
    """The README's known errors: the Slovak population on an Italian row, swapped
    coordinates, placeholder coordinates; none is written, none is corrected."""
    store = _layer_store("covenant")

    def values(s: str, p: str) -> list[str]:
        return [
            q.object.value for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None)
        ]

    pop = CKG + "populationAtAdhesion"
    assert values(ID + "membership/covenant-of-mayors-20816", pop) == []
    assert values(ID + "membership/covenant-of-mayors-17983", pop) == ["246"]
    geometry = "http://www.opengis.net/ont/geosparql#hasGeometry"
    by_id = {r["organisation_id"]: r for r in COV}
    # swapped in the source (latitude < 35 in a European country, longitude > 35)
    for org_id in ("30670", "29772", "27899", "30754", "30764"):
        r = by_id[org_id]
        assert abs(float(r["organisation_latitude"])) < 35 < abs(float(r["organisation_longitude"]))
        assert values(ID + f"place/covenant-{org_id}", geometry) == []
    # the Italy-wide placeholder point, shared by 24 rows
    shared = [
        r["organisation_id"]
        for r in COV
        if (r["organisation_latitude"], r["organisation_longitude"]) == ("42.6384261", "12.674297")
    ]
    assert len(shared) == 24
    for org_id in shared:
        assert values(ID + f"place/covenant-{_key(org_id)}", geometry) == []
    report = (ROOT / "data" / "mappings" / "covenant" / "REPORT.md").read_text(encoding="utf-8")
    assert 'coordinates swapped: organisation 30670 "Istrana"' in report
    assert "known error, population_adhesion of organisation 20816" in report
    # the 49 name + country pairs that appear twice are all reported, and kept apart
    pairs = Counter((r["organisation_name"].lower(), r["country_code"]) for r in COV)
    twice = sorted(k for k, n in pairs.items() if n > 1)
    assert len(twice) == 49
    for name, cc in twice:
        assert f'kept apart (different organisation_id): "{name}" ({cc})' in report


def test_barcelona_is_the_gazetteer_city_government() -> None:
    store = _layer_store("covenant")
    member = next(
        store.quads_for_pattern(
            ox.NamedNode(ID + "membership/covenant-of-mayors-11948"),
            ox.NamedNode("http://www.w3.org/ns/org#member"),
            None,
        )
    ).object
    assert member == ox.NamedNode(ID + "city-government/q1492")
    assert ox.Quad(member, ox.NamedNode(CKG + "governs"), ox.NamedNode(ID + "city/q1492")) in store
    # no second place for Barcelona
    assert not list(store.quads_for_pattern(ox.NamedNode(ID + "place/covenant-11948"), None, None))


# --------------------------------------------------------------------------- queries against the source


def test_members_of_network_answers_every_signatory_with_its_join_date(kg: object) -> None:
    result = kg.query("members-of-network", network=URIRef(COVENANT), limit=None)  # type: ignore[attr-defined]
    rows = [dict(zip(result.variables, (_text(t) for t in r), strict=True)) for r in result.rows]
    signatories = [r for r in rows if r["roleLabel"] == "signatory"]
    assert len(signatories) == len(COV)
    published = [r for r in COV if r["signatory_status"] == "published"]
    active = [r for r in signatories if r["statusLabel"] == "active"]
    assert len(active) == len(published) == 9720
    assert Counter(r["joined"] for r in active) == Counter(r["date_of_adhesion"] for r in published)
    on_hold = [r for r in signatories if r["statusLabel"] == "suspended"]
    assert Counter(r["joined"] for r in on_hold) == Counter(
        r["date_of_adhesion"] for r in COV if r["signatory_status"] == "on_hold"
    )
    coordinators = {r["coordinator_name"] for r in COV} - {"-"}
    supporters = {r["supporter_name"] for r in COV} - {"-"}
    assert {r["memberLabel"] for r in rows if r["roleLabel"] == "coordinator"} == coordinators
    assert {r["memberLabel"] for r in rows if r["roleLabel"] == "supporter"} == supporters


def test_members_of_network_random_sample_agrees_with_the_source(kg: object) -> None:
    """300 rows drawn at random: date, status, name, country and group as the CSV has them."""
    sample = random.Random(20240101).sample(COV, 300)
    values = " ".join(f'"{_key(r["organisation_id"])}"' for r in sample)
    found = {
        r["key"]: r
        for r in _select(
            kg,
            f"""PREFIX ckg: <{CKG}> PREFIX org: <http://www.w3.org/ns/org#>
            PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?key ?member ?joined ?status ?label ?placeLabel ?code ?countryLabel ?group WHERE {{
              VALUES ?key {{ {values} }}
              BIND (IRI(CONCAT("{ID}membership/covenant-of-mayors-", ?key)) AS ?m)
              ?m org:member ?member ; ckg:startDate ?joined ; ckg:membershipStatus/skos:prefLabel ?status ;
                 org:organization <{COVENANT}> .
              FILTER (LANG(?status) = "en")
              OPTIONAL {{ ?member rdfs:label ?label . FILTER (LANG(?label) = "en") }}
              OPTIONAL {{ ?member ckg:governs ?place .
                         OPTIONAL {{ ?place rdfs:label ?placeLabel . FILTER (LANG(?placeLabel) = "") }}
                         OPTIONAL {{ ?place ckg:country ?c .
                                    OPTIONAL {{ ?c ckg:isoAlpha2Code ?code }}
                                    ?c rdfs:label ?countryLabel . FILTER (LANG(?countryLabel) = "en") }} }}
              OPTIONAL {{ ?member a ckg:LocalAuthorityGroup . BIND (true AS ?group) }}
            }}""",
        )
    }
    members = {
        (r["member"], r["joined"])
        for r in _select(
            kg,
            kg.library.get("members-of-network").bind({"network": URIRef(COVENANT)}),  # type: ignore[attr-defined]
        )
    }
    for r in sample:
        got = found[_key(r["organisation_id"])]
        assert got["joined"] == r["date_of_adhesion"]
        assert got["status"] == ("active" if r["signatory_status"] == "published" else "suspended")
        assert (got["member"], got["joined"]) in members
        if r["group_profile"] == "True":
            assert got["group"] == "true" and got["label"] == r["organisation_name"]
        elif got["member"].startswith(ID + "local-authority/"):
            assert got["label"] == got["placeLabel"] == r["organisation_name"]
            assert (
                got["code"] == r["country_code"].upper() or got["countryLabel"] == r["country_name"]
            )
        else:  # a gazetteer city's government: the city has the row's name in some language
            assert got["member"].startswith(ID + "city-government/")


def test_networks_of_city_shows_the_covenant_for_barcelona(kg: object) -> None:
    result = kg.query("networks-of-city", city=URIRef(ID + "city/q1492"))  # type: ignore[attr-defined]
    rows = {(str(r[0]), _text(r[4])) for r in result.rows}
    row = next(r for r in COV if r["organisation_id"] == "11948")
    assert (COVENANT, row["date_of_adhesion"]) in rows


def test_signatories_per_country_and_year_agree_with_the_source(kg: object) -> None:
    names = {r["country_name"]: r["country_code"] for r in COV}
    rows = _select(kg, kg.library.get("signatories-per-country").bind({}))  # type: ignore[attr-defined]
    codes = {
        r["country"]: r["code"]
        for r in _select(
            kg,
            f"PREFIX ckg: <{CKG}> SELECT ?country ?code WHERE {{ ?country ckg:isoAlpha2Code ?code }}",
        )
    }
    got = Counter()
    for r in rows:
        code = codes.get(r["country"]) or names.get(r["countryLabel"], "").upper() or None
        got[code] += int(r["signatories"])
    expected = Counter(
        None if r["group_profile"] == "True" else r["country_code"].upper() for r in COV
    )
    assert got == expected
    years = {
        r["year"]: (int(r["signatories"]), int(r["active"]))
        for r in _select(kg, kg.library.get("signatories-per-year").bind({}))
    }  # type: ignore[attr-defined]
    expected_years = {
        y: (
            n,
            sum(
                1
                for r in COV
                if r["date_of_adhesion"][:4] == y and r["signatory_status"] == "published"
            ),
        )
        for y, n in Counter(r["date_of_adhesion"][:4] for r in COV).items()
    }
    assert years == expected_years


@pytest.mark.parametrize(
    ("query", "column", "label"),
    [
        ("coordinators", "coordinator_name", "coordinatorLabel"),
        ("supporters", "supporter_name", "supporterLabel"),
    ],
)
def test_coordinators_and_supporters_agree_with_the_source(
    kg: object, query: str, column: str, label: str
) -> None:
    rows = _select(kg, kg.library.get(query).bind({}))  # type: ignore[attr-defined]
    got = {r[label]: int(r["signatories"]) for r in rows}
    expected = Counter(r[column] for r in COV if r[column] != "-")
    assert got == dict(expected)


def test_supported_signatories_of_climate_alliance(kg: object) -> None:
    rows = _select(kg, kg.library.get("supported-signatories").bind({}))  # type: ignore[attr-defined]
    expected = Counter(
        r["date_of_adhesion"] for r in COV if r["supporter_name"] == "Climate Alliance"
    )
    assert Counter(r["joined"] for r in rows) == expected


def test_coordinated_municipalities_of_the_province_of_barcelona(kg: object) -> None:
    rows = _select(kg, kg.library.get("coordinated-municipalities").bind({}))  # type: ignore[attr-defined]
    expected = Counter(
        r["date_of_adhesion"] for r in COV if r["coordinator_name"] == "Province of Barcelona"
    )
    assert sum(expected.values()) > 100
    assert Counter(r["joined"] for r in rows) == expected


def test_commitments_by_target_year_agree_with_the_source(kg: object) -> None:
    expected: Counter[tuple[str, str]] = Counter()
    for r in NZT:
        for kind, year in (
            ("end_target", "end_target_year"),
            ("interim_target", "interim_target_year"),
        ):
            if r[kind] not in ("", "No target") and r[year]:
                expected[(r[year], r[kind])] += 1
    rows = _select(kg, kg.library.get("commitments-by-target-year").bind({}))  # type: ignore[attr-defined]
    assert {(r["targetYear"], r["targetKind"]): int(r["commitments"]) for r in rows} == dict(
        expected
    )


def test_netzero_covenant_signatories(kg: object) -> None:
    """Every answer is a Net Zero Tracker city with a target whose name and country are a Covenant row's."""
    rows = _select(kg, kg.library.get("netzero-covenant-signatories").bind({}))  # type: ignore[attr-defined]
    assert rows
    targets = {(r["end_target"], r["end_target_year"]) for r in NZT} | {
        (r["interim_target"], r["interim_target_year"]) for r in NZT
    }
    for r in rows:
        assert (r["targetKind"], r["targetYear"]) in targets


def test_cities_in_several_networks_counts_covenant_and_race_to_zero(kg: object) -> None:
    rows = _select(kg, kg.library.get("cities-in-several-networks").bind({}))  # type: ignore[attr-defined]
    networks = {r["networkLabel"] for r in rows}
    assert {"Covenant of Mayors", "Race to Zero"} <= networks
    assert all(int(r["networkCount"]) >= 2 for r in rows)


def test_the_dataset_credits_its_authors_and_licence(kg: object) -> None:
    rows = _select(
        kg,
        f"""PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?d ?licence ?citation WHERE {{
          VALUES ?d {{ <{ID}dataset/jrc-gcom-mycovenant-2024> <{ID}dataset/net-zero-tracker-2022-12-20> }}
          ?d dcterms:license ?licence ; dcterms:bibliographicCitation ?citation }}""",
    )
    assert {r["licence"] for r in rows} == {"https://creativecommons.org/licenses/by/4.0/"}
    assert any("Baldi, Marta Giulia" in r["citation"] for r in rows)
