"""Validation reports people can act on, from the SPARQL engine and pySHACL."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from citykg.loader import SourceIndex
from citykg.validation import load_shapes, validate_graph, validate_store

ROOT = Path(__file__).resolve().parent.parent
GRAPH = ox.NamedNode("https://w3id.org/citykg/graph/data")
BROKEN = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix agreement: <https://w3id.org/citykg/id/agreement/> .
@prefix source: <https://w3id.org/citykg/id/source/> .
@prefix citation: <https://w3id.org/citykg/id/citation/> .

source:s a ckg:Source ; rdfs:label "S"@en ; dcterms:title "S"@en ; dcterms:issued "2016"^^xsd:gYear .
citation:c a ckg:Citation ; ckg:citedSource source:s ; ckg:locator "p. 1"@en ;
  ckg:evidenceTier ckg:StatedInSource .

agreement:paris-agreement a ckg:InternationalAgreement ;
  rdfs:label "Paris Agreement"@en ;
  ckg:wikidataId "Q21707860" ;
  ckg:adoptionDate "2015-12-32"^^xsd:date ;
  ckg:citation citation:c .
"""

DEFINED_AT = BROKEN.splitlines().index("agreement:paris-agreement a ckg:InternationalAgreement ;") + 1


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ox.Store, SourceIndex]:
    path = tmp_path_factory.mktemp("data") / "governance.ttl"
    path.write_text(BROKEN, encoding="utf-8")
    store = ox.Store()
    store.load(path=str(ROOT / "ontology" / "citykg.ttl"), format=ox.RdfFormat.TURTLE, to_graph=GRAPH)
    store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=GRAPH)
    index = SourceIndex()
    index.add_turtle(path)
    return path, store, index


def test_a_broken_date_is_one_actionable_line(broken: tuple[Path, ox.Store, SourceIndex]) -> None:
    path, store, index = broken
    report = validate_store(store, load_shapes([ROOT / "shapes"]), index)
    assert not report.conforms()
    assert report.violations == 1, report.to_text()
    line = next(r.one_line() for r in report.results if r.severity == "Violation")
    assert f"{path}:{DEFINED_AT}:" in line  # the file and the line that defines the entity
    assert "<https://w3id.org/citykg/id/agreement/paris-agreement> (Paris Agreement)" in line
    assert "ckg:adoptionDate" in line and '"2015-12-32"' in line
    assert "xsd:date" in line and "[ckgsh:AdoptionDate-adoptionDate]" in line


def test_formats(broken: tuple[Path, ox.Store, SourceIndex]) -> None:
    _path, store, index = broken
    report = validate_store(store, load_shapes([ROOT / "shapes"]), index)
    text = report.to_text()
    assert text.splitlines()[0].startswith("Violation — ckgsh:AdoptionDate-adoptionDate (1)")
    assert "Does not conform" in text.splitlines()[-1]
    doc = json.loads(report.to_json())
    assert doc["conforms"] is False and doc["results"][0]["line"] == DEFINED_AT
    g = rdflib.Graph().parse(data=report.to_turtle(), format="turtle")
    assert len(list(g.subjects(rdflib.RDF.type, rdflib.SH.ValidationResult))) == len(report.results)


def test_engines_give_the_same_report(broken: tuple[Path, ox.Store, SourceIndex]) -> None:
    _path, store, index = broken
    shapes = load_shapes([ROOT / "shapes"])
    data = rdflib.Graph()
    for q in store.quads_for_pattern(None, None, None, GRAPH):
        data.parse(data=f"{q.subject} {q.predicate} {q.object} .", format="nt")
    fast = validate_store(store, shapes, index)
    slow = validate_graph(data, shapes, index)
    assert sorted(r.one_line() for r in fast.results) == sorted(r.one_line() for r in slow.results)


def test_shipped_data_has_no_violations(kg: object) -> None:
    """The session's build validated the shipped graph (every shape query, in
    full, when it was built); its report has no violation."""
    report = kg.validate()  # type: ignore[attr-defined]
    assert report.triples_validated > 1_000_000 and report.violations == 0, report.to_text(max_per_shape=5)
