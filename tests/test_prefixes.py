"""Ad hoc queries get the project's prefixes unless they declare their own."""

from __future__ import annotations

from typing import Any

from rdflib.namespace import ORG, RDF, SKOS

from citykg.namespaces import CKG, PREFIXES, WD
from citykg.sparqltext import with_prefixes


def test_the_prefixes_are_the_namespace_modules() -> None:
    assert PREFIXES["org"] == str(ORG) and PREFIXES["skos"] == str(SKOS)
    assert PREFIXES["rdf"] == str(RDF) and PREFIXES["ckg"] == str(CKG)
    assert PREFIXES["wd"] == str(WD)
    for name in ("ckg", "ckgsh", "org", "skos", "rdfs", "rdf", "owl", "xsd", "dcterms",
                 "prov", "geo", "schema", "foaf", "time", "wd", "wdt"):
        assert name in PREFIXES


def test_an_ad_hoc_query_needs_no_prefix_declarations(kg: Any) -> None:
    res = kg.sparql("SELECT ?n WHERE { ?n a ckg:TransnationalMunicipalNetwork ; "
                    "skos:prefLabel|rdfs:label ?l } ORDER BY ?n")
    assert "https://w3id.org/citykg/id/network/c40" in {str(r[0]) for r in res.rows}


def test_a_declared_prefix_wins(kg: Any) -> None:
    # ckg: declared as another namespace: the query means that namespace, so no rows.
    res = kg.sparql("PREFIX ckg: <http://example.org/other#> "
                    "SELECT ?n WHERE { ?n a ckg:TransnationalMunicipalNetwork }")
    assert res.rows == []


def test_line_numbers_of_errors_stay_the_querys_own() -> None:
    text = "SELECT ?n\nWHERE { ?n a ckg:C }"
    out = with_prefixes(text, PREFIXES)
    assert out.count("\n") == 1 and out.endswith(text)


def test_prefixes_in_strings_and_comments_are_not_uses() -> None:
    text = 'SELECT ?x { ?x ?p "ckg:C" } # org:x'
    assert with_prefixes(text, PREFIXES) == text


def test_cli_sparql_with_ckg_prefix(run_cli: Any) -> None:
    r = run_cli("sparql", "-q",
                "SELECT ?n WHERE { ?n a ckg:TransnationalMunicipalNetwork } ORDER BY ?n")
    assert r.returncode == 0, r.stderr
    assert "https://w3id.org/citykg/id/network/c40" in r.stdout
