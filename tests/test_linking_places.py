"""``citykg link`` over bare places (typed ``ckg:Place`` only, as the Covenant of
Mayors and Net Zero Tracker layers make them), against the Wikidata stand-in.

Expected answers come from the stand-in's source file
(``tests/fixtures/wikidata/standin.nt.gz``): Weimar is ``wd:Q3955``, with
``wdt:P17 wd:Q183``, ``wdt:P625 "Point(11.316666666667 50.983333333333)"`` and
``wdt:P31`` classes under human settlement (``wd:Q486972``), and it is the only
item labelled "Weimar"@en there.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from citykg.linking import entities_from_store, held_wikidata_ids, link
from citykg.store import OxigraphStore
from citykg.wikidata import WikidataClient

ROOT = Path(__file__).resolve().parent.parent
STANDIN = ROOT / "tests" / "fixtures" / "wikidata" / "standin.nt.gz"
ID = "https://w3id.org/citykg/id/"

DATA = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix place: <https://w3id.org/citykg/id/place/> .
@prefix country: <https://w3id.org/citykg/id/country/> .
place:test-weimar a ckg:Place ; rdfs:label "Weimar" ; ckg:country country:q183 ;
  geo:hasGeometry place:test-weimar-g .
place:test-weimar-g geo:asWKT "POINT(11.3167 50.9833)"^^geo:wktLiteral .
place:test-weimar-far a ckg:Place ; rdfs:label "Weimar" ; ckg:country country:q183 ;
  geo:hasGeometry place:test-weimar-far-g .
place:test-weimar-far-g geo:asWKT "POINT(13.40 52.52)"^^geo:wktLiteral .
<https://w3id.org/citykg/id/country/test-land> a ckg:Country ; rdfs:label "Testland"@en .
<https://w3id.org/citykg/id/city/test-town> a ckg:City, ckg:Place ; rdfs:label "Testtown"@en .
<https://w3id.org/citykg/id/subdivision/test-sub> a ckg:Subdivision ; rdfs:label "Testsub"@en .
<https://w3id.org/citykg/id/region/test-region> a ckg:Region ; rdfs:label "Testregion"@en .
"""


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    s = OxigraphStore()
    s.load_file(ROOT / "ontology" / "citykg.ttl", "ontology")
    s.add_oxigraph(ox.parse(DATA.encode(), format=ox.RdfFormat.TURTLE), "data")
    return s


def test_weimar_in_the_standin_source() -> None:
    """The facts the tests below rely on, read from the fixture file itself."""
    with gzip.open(STANDIN, "rt", encoding="utf-8") as f:
        lines = [ln for ln in f if ln.startswith("<http://www.wikidata.org/entity/Q3955> ")]
    assert any("/P17> <http://www.wikidata.org/entity/Q183>" in ln for ln in lines)
    assert any('/P625> "Point(11.316666666667 50.983333333333)"' in ln for ln in lines)
    with gzip.open(STANDIN, "rt", encoding="utf-8") as f:
        weimars = {ln.split(" ", 1)[0] for ln in f if '#label> "Weimar"@en ' in ln}
    assert weimars == {"<http://www.wikidata.org/entity/Q3955>"}


def test_each_kind_takes_only_the_nearest_link_classes(store: OxigraphStore) -> None:
    got = {e.iri: (e.kind, e.link_classes) for e in entities_from_store(store)}
    assert got[f"{ID}country/test-land"] == ("country", ("Q6256",))  # not also Place's
    assert got[f"{ID}city/test-town"] == ("city", ("Q486972",))  # a city stays a city
    assert got[f"{ID}subdivision/test-sub"] == ("subdivision", ())  # not Place's settlement
    assert got[f"{ID}region/test-region"] == ("place", ("Q486972",))
    assert got[f"{ID}place/test-weimar"] == ("place", ("Q486972",))


def test_kind_filter_keeps_only_entities_of_that_kind(store: OxigraphStore) -> None:
    places = entities_from_store(store, kinds=["place"])
    assert {e.iri for e in places} == {
        f"{ID}place/test-weimar", f"{ID}place/test-weimar-far", f"{ID}region/test-region"}
    weimar = next(e for e in places if e.iri.endswith("/test-weimar"))
    assert weimar.names == ["Weimar"] and weimar.country_qid == "Q183"
    assert weimar.point == (11.3167, 50.9833)


def test_a_bare_place_is_linked_and_a_far_one_is_not(store: OxigraphStore, standin_url: str,
                                                    tmp_path: Path) -> None:
    client = WikidataClient(standin_url, cache_dir=tmp_path / "cache")
    only = [f"{ID}place/test-weimar", f"{ID}place/test-weimar-far"]
    report = link(entities_from_store(store, only=only), client, today="2025-01-02")
    assert [(r.entity, r.qid) for r in report.new_links] == [(f"{ID}place/test-weimar", "Q3955")]
    (far,) = report.review
    assert far.entity.iri == f"{ID}place/test-weimar-far"
    assert far.accepted is None and far.candidates[0].qid == "Q3955"
    assert far.reason == "the best candidate contradicts our data"  # about 230 km away


HELD = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
<https://w3id.org/citykg/id/city/q3955> a ckg:City ; rdfs:label "Weimar"@en ;
  ckg:wikidataId "Q3955" .
<https://w3id.org/citykg/id/place/test-weimar-2> a ckg:Place ; rdfs:label "Weimar" ;
  ckg:country <https://w3id.org/citykg/id/country/q183> ;
  ckg:coordinates "POINT(11.32 50.98)"^^geo:wktLiteral .
"""


def test_an_item_another_entity_already_is_goes_to_review(standin_url: str,
                                                          tmp_path: Path) -> None:
    s = OxigraphStore()
    s.load_file(ROOT / "ontology" / "citykg.ttl", "ontology")
    s.add_oxigraph(ox.parse(HELD.encode(), format=ox.RdfFormat.TURTLE), "data")
    taken = held_wikidata_ids(s)
    assert taken == {f"{ID}city/q3955": {"Q3955"}}
    client = WikidataClient(standin_url, cache_dir=tmp_path / "cache")
    ents = entities_from_store(s)
    assert [e.iri for e in ents] == [f"{ID}place/test-weimar-2"]
    report = link(ents, client, today="2025-01-02", taken=taken)
    assert report.new_links == []
    (o,) = report.review
    assert o.reason == f"wd:Q3955 is already the Wikidata item of <{ID}city/q3955>"


def test_one_item_won_by_two_entities_links_neither(store: OxigraphStore, standin_url: str,
                                                    tmp_path: Path) -> None:
    client = WikidataClient(standin_url, cache_dir=tmp_path / "cache")
    (weimar,) = entities_from_store(store, only=[f"{ID}place/test-weimar"])
    twin = type(weimar)(f"{ID}place/test-weimar-twin", "place", list(weimar.names),
                        weimar.country_qid, weimar.point, weimar.link_classes)
    report = link([weimar, twin], client, today="2025-01-02")
    assert report.new_links == [] and report.links == []
    assert sorted(o.entity.iri for o in report.review) == [weimar.iri, twin.iri]
    assert all(o.reason.startswith("wd:Q3955 was the clear winner for several entities")
               for o in report.review)


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_citykg_link_sends_a_duplicate_of_a_shipped_city_to_review(
        standin_url: str, tmp_path: Path, run_cli: Callable[..., object]) -> None:
    """By default the shipped graph's items are guarded: Weimar is place/q3955 (twinning)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "dup.ttl").write_text(HELD.split("<https://w3id.org/citykg/id/city/q3955>")[0]
                                  + HELD.split('ckg:wikidataId "Q3955" .\n')[1], encoding="utf-8")
    args = ["link", "--data", str(data), "--endpoint", standin_url, "--cache",
            str(tmp_path / "cache"), "--links-dir", str(tmp_path / "links"),
            "--entity", "place/test-weimar-2"]
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
    assert "0 new link(s), 1 to review" in r.stderr  # type: ignore[attr-defined]
    review = (tmp_path / "links" / "review.csv").read_text(encoding="utf-8")
    assert "wd:Q3955 is already the Wikidata item of <" in review
    r = run_cli(*args, "--allow-taken", "--dry-run")
    assert "1 new link(s), 0 to review" in r.stderr  # type: ignore[attr-defined]
