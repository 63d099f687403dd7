"""``citykg link`` and ``citykg enrich`` against the Wikidata stand-in on a real Oxigraph server.

Ambiguous names found in the real data (several Athens; Moscow the city and
Moscow the region) must go to review, never to a wrong link; clear names link;
faults are survived; a rerun sends no request; a person's decision is
reapplied; curated links are never overridden.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import FaultProxy

from citykg.linking import Entity, decide, find_candidates
from citykg.wikidata import WikidataClient

CITY = ("Q486972",)
ID = "https://w3id.org/citykg/id/"

pytestmark = pytest.mark.usefixtures("standin_url")


def verdict(url: str, tmp: Path, e: Entity) -> tuple[str | None, list[str], str]:
    client = WikidataClient(url, cache_dir=tmp / "cache")
    o = decide(e, find_candidates(client, [e])[e.iri])
    return (o.accepted.qid if o.accepted else None, [c.qid for c in o.candidates], o.reason)


@pytest.mark.parametrize(("entity", "expected", "among"), [
    # Athens, Greece (Q1524) against the crawl-only Athens Q203263: a clear winner
    (Entity("x:athens-gr", "city", ["Athens"], "Q41", (23.73, 37.98), CITY), "Q1524", "Q203263"),
    # Athens with nothing to tell the two apart: review
    (Entity("x:athens", "city", ["Athens"], None, None, CITY), None, "Q203263"),
    # Athens, Georgia (United States): Q1524 contradicts the country, Q203263 is unconfirmed
    (Entity("x:athens-us", "city", ["Athens"], "Q30", (-83.38, 33.96), CITY), None, "Q1524"),
    # Moscow the city (Q649) against Moscow the region (Q1697, same name, same country)
    (Entity("x:moscow", "city", ["Moscow"], "Q159", (37.62, 55.75), CITY), None, "Q1697"),
    # Victoria, Canada against Victoria, Seychelles: the country decides
    (Entity("x:victoria", "city", ["Victoria"], "Q16", (-123.37, 48.43), CITY), "Q2132", "Q3940"),
    # Amsterdam: the city item (Q727, a settlement in the Netherlands) rather than the
    # untyped municipality Q9899, which has neither type, country nor place here
    (Entity("x:amsterdam", "city", ["Amsterdam"], "Q55", (4.9, 52.37), CITY), "Q727", "Q9899"),
    # no class aligned (a person): never linked automatically
    (Entity("x:weimar-person", "person", ["Weimar"], None, None, ()), None, "Q3955"),
])
def test_decisions_on_real_names(standin_url: str, tmp_path: Path, entity: Entity,
                                 expected: str | None, among: str) -> None:
    got, candidates, reason = verdict(standin_url, tmp_path, entity)
    assert got == expected, reason
    assert among in candidates


CITIES = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix city: <https://w3id.org/citykg/id/city/> .
@prefix country: <https://w3id.org/citykg/id/country/> .
city:test-weimar a ckg:City ; rdfs:label "Weimar"@en ; ckg:country country:q183 ;
  ckg:coordinates "POINT(11.33 50.98)"^^geo:wktLiteral .
city:test-athens a ckg:City ; rdfs:label "Athens"@en .
city:test-victoria a ckg:City ; rdfs:label "Victoria"@en ; ckg:country country:q16 .
city:test-paris a ckg:City ; rdfs:label "Paris"@en ; ckg:country country:q142 .
"""


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_link_and_enrich_end_to_end(standin_url: str, tmp_path: Path,
                                    run_cli: Callable[..., object]) -> None:
    data = tmp_path / "data"
    (data / "links").mkdir(parents=True)
    (data / "cities.ttl").write_text(CITIES, encoding="utf-8")
    (data / "links" / "curated.ttl").write_text(
        "<https://w3id.org/citykg/id/city/test-paris> "
        "<http://www.w3.org/2004/02/skos/core#exactMatch> "
        "<http://www.wikidata.org/entity/Q90> .\n", encoding="utf-8")
    proxy = FaultProxy(standin_url)
    try:
        common = ["--data", str(data), "--endpoint", proxy.url, "--cache", str(tmp_path / "cache"),
                  "--timeout", "1", "--backoff", "0.2"]
        ents = [a for c in ("test-weimar", "test-athens", "test-victoria", "test-paris")
                for a in ("--entity", f"city/{c}")]
        # the test's cities repeat shipped places (place/q3955 is Weimar, and
        # every settlement of the stand-in is in the shipped graph): --allow-taken links them
        link = ["link", *common, "--today", "2025-01-02", "--links-dir", str(data / "links"),
                "--allow-taken", *ents]
        proxy.faults = ["503", "truncated", "slow"]
        r = run_cli(*link)
        assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
        first = proxy.requests
        assert first == 4  # one batch, three faults survived
        ttl = (data / "links" / "wikidata-links.ttl").read_text(encoding="utf-8")
        assert f"<{ID}city/test-weimar> skos:exactMatch wd:Q3955 ." in ttl
        # the link records the day its answer was retrieved, not the --today given
        retrieved = datetime.now(UTC).date().isoformat()
        assert "ckg:linkScore" in ttl and f'"{retrieved}"^^xsd:date' in ttl
        assert "test-athens> skos:exactMatch" not in ttl  # ambiguous: to review
        assert "test-paris" not in ttl  # curated by hand: left alone
        review = list(csv.DictReader((data / "links" / "review.csv").open(encoding="utf-8")))
        athens = {row["wikidata_id"] for row in review if row["entity"].endswith("test-athens")}
        assert {"Q1524", "Q203263"} <= athens

        # a person accepts Q1524 for Athens; the rerun applies it without a request
        (data / "links" / "decisions.csv").write_text(
            "entity,wikidata_id,decision,reviewer,date,note\n"
            "city/test-athens,Q1524,accept,A. Reviewer,2025-01-03,the Greek capital\n",
            encoding="utf-8")
        r = run_cli(*link)
        assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
        assert proxy.requests == first  # nothing sent twice
        ttl = (data / "links" / "wikidata-links.ttl").read_text(encoding="utf-8")
        assert f"<{ID}city/test-athens> skos:exactMatch wd:Q1524 ." in ttl
        assert 'ckg:reviewer "A. Reviewer"' in ttl
        assert "test-weimar> skos:exactMatch wd:Q3955" in ttl  # kept from the first run

        # answers from an older cache: the new link says the day they were retrieved
        for p in (tmp_path / "cache").rglob("*.json"):
            doc = json.loads(p.read_text(encoding="utf-8"))
            doc["retrieved"] = "2024-05-06T07:08:09+00:00"
            p.write_text(json.dumps(doc), encoding="utf-8")
        (data / "links" / "wikidata-links.ttl").unlink()
        r = run_cli(*link, "--cache-days", "100000")  # old answers still accepted
        assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
        assert proxy.requests == first
        ttl = (data / "links" / "wikidata-links.ttl").read_text(encoding="utf-8")
        assert '"2024-05-06"^^xsd:date' in ttl and f'"{retrieved}"^^xsd:date' not in ttl
        # by default answers older than 30 days are expired and asked again
        (data / "links" / "wikidata-links.ttl").unlink()
        r = run_cli(*link)
        assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
        assert proxy.requests > first
        ttl = (data / "links" / "wikidata-links.ttl").read_text(encoding="utf-8")
        assert f'"{retrieved}"^^xsd:date' in ttl and '"2024-05-06"^^xsd:date' not in ttl

        out = tmp_path / "wikidata.nt"
        enrich = ["enrich", *common, "--property", "P1082", "--property", "P190",
                  "--property", "P17", "-o", str(out), *ents]
        proxy.faults = ["429"]  # Retry-After: 3
        r = run_cli(*enrich)
        assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
        nt = out.read_text(encoding="utf-8")
        assert (f'<{ID}city/test-weimar> <https://w3id.org/citykg/ontology#population> '
                '"64131"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .') in nt
        assert "recordedOnSideOf" in nt and "snapshotDate" in nt
        sent = proxy.requests
        r = run_cli(*enrich)
        assert r.returncode == 0 and proxy.requests == sent  # type: ignore[attr-defined]

        r = run_cli("link", "--data", str(data), "--check", "--format", "csv")
        assert r.returncode == 0, r.stderr  # type: ignore[attr-defined]
        assert r.stdout.startswith("kind,entity")  # type: ignore[attr-defined]
    finally:
        proxy.close()
