"""Network analytics, figures, reports and network exports.

Expected answers come from the sources, never from a previous run: the fixture
graph's Turtle (tests/fixtures/queries-fixture.trig, counted by hand below),
the raw twinning crawl (data/raw/wikidata-p190-2016, read with the csv
module), and a second query written apart (queries/twinning/cross-border-share).
"""

from __future__ import annotations

import csv
import io
import sys
from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("networkx", reason="pip install 'citykg[analytics]'")
pytest.importorskip("matplotlib", reason="pip install 'citykg[analytics]'")

import networkx as nx

from citykg import figures as F
from citykg.analytics import Analytics, kg_runner, to_gexf, to_graphml
from citykg.errors import EXIT_CODES, ConfigError, QueryParameterError
from citykg.report import build_report, write_report
from citykg.resources import resource_dir

sys.path.insert(0, str(Path(__file__).resolve().parent / "queries"))
from goldenlib import build_fixture_kg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analytics_sources import raw_twinning_pairs

ID = "https://w3id.org/citykg/id/"


@pytest.fixture(scope="module")
def fa() -> Analytics:
    """Analytics over the fixture graph, with coordinators and supporters (fixtures/analytics)."""
    import pyoxigraph as ox

    kg = build_fixture_kg()
    partners = Path(__file__).resolve().parent / "fixtures" / "analytics" / "partners.trig"
    kg.store.ox.extend(ox.parse(path=str(partners), format=ox.RdfFormat.TRIG))  # type: ignore[attr-defined]
    return Analytics(kg_runner(kg))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sa(kg: object) -> Analytics:
    """Analytics over the shipped graph."""
    return Analytics(kg_runner(kg))  # type: ignore[arg-type]


# --- the fixture graph: answers counted by hand from queries-fixture.trig ----------


def test_memberships_of_networks_only_with_places_and_levels(fa: Analytics) -> None:
    m = fa.memberships()
    # 14 memberships in networks (the six memberships of people in universities are not)
    assert m["membership"].nunique() == 14
    row = m[m["membership"] == ID + "membership/california-us-climate-alliance"].iloc[0]
    assert (row["place"], row["level"], row["joined"]) == (ID + "subdivision/us-ca", "regional", 2017)
    agran = m[m["member"] == ID + "person/larry-agran"].iloc[0]
    assert agran["level"] == "other" and agran["place"] is pd_na()


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_co_membership_projection_counts_shared_networks(fa: Analytics) -> None:
    g = fa.co_membership_graph()
    w = {tuple(sorted((a.rsplit("/", 1)[1], b.rsplit("/", 1)[1]))): d["weight"]
         for a, b, d in g.edges(data=True)}
    # Paris: C40, ICLEI, EFUS, Eurocities; Lyon: Eurocities, EFUS; SF: C40, ICLEI;
    # LA: C40, ICLEI, LEO-SR; Irvine: LEO-SR.
    assert w == {("q456", "q90"): 2, ("q62", "q65"): 2, ("q62", "q90"): 2,
                 ("q65", "q90"): 2, ("irvine", "q65"): 1}
    assert fa.co_membership_graph(minimum=2).number_of_edges() == 4
    with pytest.raises(QueryParameterError.__mro__[1]):  # CitykgError subclass
        fa.co_membership_graph(max_pairs=3)


def test_time_slice_keeps_memberships_running_that_year(fa: Analytics) -> None:
    leo = ID + "network/leo-sr"
    # LEO-SR: Irvine from 1983, Larry Agran from 1983, Los Angeles 1984-1988
    assert set(fa.memberships(leo, as_of=1986)["member_label"]) == {
        "City of Irvine", "Larry Agran", "City of Los Angeles"}
    assert set(fa.memberships(leo, as_of=1990)["member_label"]) == {"City of Irvine", "Larry Agran"}
    assert fa.memberships(leo, as_of=1982).empty
    g = fa.membership_graph(as_of=1989)
    # in 1989: LEO-SR (Irvine, Agran), ICLEI not yet (1990), Eurocities (Paris, Lyon)
    nets = {n for n, d in g.nodes(data=True) if d["kind"] == "network"}
    assert nets == {ID + "network/leo-sr", ID + "network/eurocities"}


def test_adhesions_per_year_and_country(fa: Analytics) -> None:
    per_year = fa.adhesions_per_year()
    counted = {int(y): int(n) for y, n in zip(per_year["year"], per_year["joined"], strict=True)
               if y is not pd_na()}
    assert counted == {1983: 2, 1984: 1, 1989: 2, 1990: 1, 1992: 1, 1995: 1, 2000: 1,
                       2005: 2, 2006: 1, 2017: 1}
    assert int(per_year[per_year["year"].isna()]["joined"].iloc[0]) == 1  # Lyon in EFUS
    by_country = fa.members_per_country()
    assert dict(zip(by_country["country_label"].fillna("-"), by_country["members"], strict=True)) == {
        "United States": 4, "France": 2, "-": 1}


def test_multiscalar_profile(fa: Analytics) -> None:
    p = fa.multiscalar_profile(ID + "network/leo-sr")
    assert dict(zip(p["level"], p["members"], strict=True)) == {"local": 2, "other": 1}
    p = fa.multiscalar_profile(ID + "network/us-climate-alliance")
    assert dict(zip(p["level"], p["members"], strict=True)) == {"regional": 1}


def test_coordinators_and_supporters(fa: Analytics) -> None:
    t = fa.partner_table("coordinator")
    # California coordinates Irvine (LEO-SR, 1983) and Los Angeles (LEO-SR, 1984-1988);
    # the Maison de l'Europe (French label only) coordinates Lyon in Eurocities (1989)
    assert [(r.partner.rsplit("/", 1)[1], r.members, r.countries, r.first, r.last)
            for r in t.itertuples()] == [("california", 2, 1, 1983, 1984),
                                         ("maison-de-l-europe", 1, 1, 1989, 1989)]
    s = fa.partner_table("supporter")
    assert list(zip(s["partner_label"], s["members"], strict=True)) == [
        ("European Forum on Urban Security", 2)]
    g = fa.partner_graph("coordinator")
    assert sorted(d["kind"] for _, d in g.nodes(data=True)) == [
        "city", "city", "city", "coordinator", "coordinator"]
    assert g.number_of_edges() == 3
    assert fa.partner_graph("coordinator", as_of=1990).number_of_edges() == 2  # LA left in 1988


def test_twinning_cross_border_share_and_degrees(fa: Analytics) -> None:
    g = fa.twinning_graph()
    # SF-Paris, LA-Lyon, SF-Poseidonia cross borders; Paris-Lyon, SF-LA do not;
    # Paris-Kyiv Oblast District has a place of unknown country.
    assert fa.cross_border(g) == {"ties": 6, "known": 5, "crossing": 3, "share": 0.6}
    d = fa.twinning_degrees()
    assert dict(zip(d["label"], d["twins"], strict=True)) == {
        "Paris": 3, "San Francisco": 3, "Los Angeles": 2, "Lyon": 2,
        "Kyiv Oblast District": 1, "Poseidonia": 1}
    hubs = fa.hubs(g)
    assert list(hubs["label"][:2]) == ["Paris", "San Francisco"]
    # betweenness of a 6-node graph, exact: Paris and SF each sit on the paths of
    # their pendant twin and between the two halves
    assert hubs.set_index("label")["betweenness"]["Poseidonia"] == 0


def test_country_filter_and_codes(fa: Analytics) -> None:
    assert fa.country_iri("Q142") == ID + "country/q142"
    assert fa.country_iri(ID + "country/q30") == ID + "country/q30"
    with pytest.raises(QueryParameterError, match="no country with code 'ZZ'"):
        fa.country_iri("ZZ")
    g = fa.twinning_graph(country=ID + "country/q142")
    assert {d["label"] for _, d in g.nodes(data=True)} == {
        "Paris", "Lyon", "San Francisco", "Los Angeles", "Kyiv Oblast District"}


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from citykg import analytics

    real = importlib.import_module

    def fake(name: str, *a: object) -> object:
        if name.startswith("networkx"):
            raise ImportError(name)
        return real(name)

    from citykg import extras

    monkeypatch.setattr(extras.importlib, "import_module", fake)
    with pytest.raises(ConfigError, match=r"pip install 'citykg\[analytics\]'"):
        analytics.require("networkx")


# --- the shipped graph against the raw sources -------------------------------------


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_twinning_degrees_match_the_raw_crawl(kg: object, sa: Analytics) -> None:
    """Every place's number of twins equals its distinct partners in the P190 TSV."""
    partners: dict[str, set[str]] = defaultdict(set)
    for pair in raw_twinning_pairs():
        a, b = tuple(pair)
        partners[a].add(b)
        partners[b].add(a)
    qid = {str(p): str(q) for p, q in kg.sparql(  # type: ignore[attr-defined]
        "PREFIX ckg: <https://w3id.org/citykg/ontology#> "
        "SELECT ?p ?q WHERE { ?p ckg:wikidataId ?q ; a ?c . "
        "VALUES ?c { ckg:City ckg:Subdivision ckg:Country ckg:Place } }", limit=None).rows}
    degrees = sa.twinning_degrees()
    assert len(degrees) == len(partners) > 10_000
    mismatched = [(p, n, len(partners[qid[p]])) for p, n in zip(degrees["place"], degrees["twins"], strict=True)
                  if len(partners[qid[p]]) != n]
    assert mismatched == []
    g = sa.twinning_graph()
    assert g.number_of_edges() == len(raw_twinning_pairs())


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_cross_border_share_agrees_with_the_stored_twinning_query(kg: object, sa: Analytics) -> None:
    row = kg.query("cross-border-share").to_dicts()[0]  # type: ignore[attr-defined]
    cb = sa.cross_border(sa.twinning_graph())
    assert (cb["known"], cb["crossing"]) == (row["crossBorder"] + row["domestic"], row["crossBorder"])


# --- determinism and exports -----------------------------------------------------


def test_figures_are_byte_identical_across_runs(fa: Analytics) -> None:
    g = fa.twinning_graph()
    places = fa.places()
    for make in (
        lambda: F.map_figure(places, color_by="country_label"),
        lambda: F.network_figure(g, title="t"),
        lambda: F.hubs_figure(fa.hubs(g)),
        lambda: F.timeline_figure(fa.adhesions_per_year(),
                                  by_country=fa.adhesions_per_year(by_country=True)),
    ):
        for fmt in ("svg", "png"):
            assert F.save(make(), fmt=fmt) == F.save(make(), fmt=fmt)
    svg = F.save(F.map_figure(places)).decode("utf-8")
    assert "<dc:date>" not in svg and "Natural Earth" in svg


def test_graphml_and_gexf_round_trip(fa: Analytics) -> None:
    g = fa.co_membership_graph()
    data = to_graphml(g)
    assert data == to_graphml(g)
    back = nx.read_graphml(io.BytesIO(data))
    assert sorted(back.nodes) == sorted(g.nodes)
    assert back.edges[ID + "city/q90", ID + "city/q456"]["weight"] == 2
    assert back.nodes[ID + "city/q90"]["label"] == "Paris"
    gexf = to_gexf(g)
    assert gexf == to_gexf(g) and b"lastmodifieddate" not in gexf
    assert sorted(nx.read_gexf(io.BytesIO(gexf)).nodes) == sorted(g.nodes)


# --- reports ----------------------------------------------------------------------


def test_report_of_a_network_on_the_fixture(fa: Analytics, tmp_path: Path) -> None:
    r = build_report(fa, network=ID + "network/c40")
    numbers = dict(r.numbers)
    assert numbers["members"] == 3 and numbers["first adhesion"] == 2005
    # SF-Paris and SF-LA are twinned; Paris-LA are not
    assert numbers["twinning ties"] == 2
    assert {f.name for f in r.figures} >= {"map", "timeline", "network", "hubs"}
    files = write_report(r, tmp_path)
    assert {p.name for p in files} >= {"index.html", "map.svg", "hubs.csv", "adhesions-per-year.csv"}
    with (tmp_path / "adhesions-per-year.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r_["year"], r_["joined"]) for r_ in rows] == [("2005", "2"), ("2006", "1")]
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert html.count("<img ") == len(r.figures) and "hubs.csv" in html
    with pytest.raises(QueryParameterError, match="no membership"):
        build_report(fa, network=ID + "network/metropolis")


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_cli_report_and_network_export(run_cli: object, tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = run_cli("report", "--country", "DE", "--no-reasoning", "--out", str(out))  # type: ignore[operator]
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.html").is_file() and (out / "network.svg").is_file()
    with (out / "hubs.csv").open(encoding="utf-8") as f:
        hubs = list(csv.DictReader(f))
    assert hubs[0]["label"] == "Berlin"
    bad = run_cli("report", "--country", "ZZ", "--no-reasoning", "--out", str(out))  # type: ignore[operator]
    assert bad.returncode == EXIT_CODES["QueryParameterError"]
    assert bad.stderr.strip().count("\n") == 0 and "ZZ" in bad.stderr
    gml = tmp_path / "de.graphml"
    proc = run_cli("export", "--format", "graphml", "--country", "DE", "--no-reasoning",  # type: ignore[operator]
                   "-o", str(gml))
    assert proc.returncode == 0, proc.stderr
    g = nx.read_graphml(gml)
    assert g.number_of_edges() > 50 and "https://w3id.org/citykg/id/city/q64" in g


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_readme_analytics_example_runs() -> None:
    """The Python example of the README's section on analytics runs as written."""
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Seeing the networks", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    scope: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    assert 0 < float(scope["share"]) <= 1  # type: ignore[arg-type]
    assert len(scope["hubs"]) > 10  # type: ignore[arg-type]


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_cross_border_twinnings_match_natural_earth_and_the_crawl(sa: Analytics) -> None:
    """Cross-border counts from the raw sources: the P190 crawl's pairs, each item's country
    read from Natural Earth's CSVs (a populated place's ADM0_A3 = a country's ISO_A3, else its
    ADM0NAME = the country's ADMIN; a subdivision's iso_a2 = the country's ISO_A2)."""
    ne = resource_dir("data") / "raw" / "naturalearth"

    def read(name: str) -> list[dict[str, str]]:
        with (ne / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    countries = read("naturalearth-countries.csv")
    by_a3 = {c["ISO_A3"]: c["WIKIDATAID"] for c in countries if c["ISO_A3"] != "-99"}
    by_a2 = {c["ISO_A2"]: c["WIKIDATAID"] for c in countries if c["ISO_A2"] != "-99"}
    by_admin = {c["ADMIN"]: c["WIKIDATAID"] for c in countries}
    country_of: dict[str, str] = {}
    for p in read("naturalearth-populated-places.csv"):
        c = by_a3.get(p["ADM0_A3"]) or by_admin.get(p["ADM0NAME"])
        if p["WIKIDATAID"] and c:
            country_of.setdefault(p["WIKIDATAID"], c)
    for s in read("naturalearth-admin1.csv"):
        if s["wikidataid"] and s["iso_a2"] in by_a2:
            country_of.setdefault(s["wikidataid"], by_a2[s["iso_a2"]])
    pairs = raw_twinning_pairs()
    known = [tuple(p) for p in pairs if all(q in country_of for q in p)]
    crossing = sum(country_of[a] != country_of[b] for a, b in known)
    got = sa.cross_border(sa.twinning_graph())
    assert (got["ties"], got["known"], got["crossing"]) == (len(pairs), len(known), crossing)
