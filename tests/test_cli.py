"""The command line: exit codes, one-line errors, data on stdout and the rest on stderr."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from citykg.errors import EXIT_CODES

Run = Callable[..., CompletedProcess[str]]

BAD_DATE = """\
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/citykg/id/city/testville>
  a ckg:City ;
  rdfs:label "Testville"@en ;
  ckg:citation <https://w3id.org/citykg/id/citation/test> .

<https://w3id.org/citykg/id/twinning/testville-testburg>
  a ckg:Twinning ;
  ckg:twinningParty <https://w3id.org/citykg/id/city/testville> ;
  ckg:startDate "2017-13-45"^^xsd:date .
"""


def error_lines(p: CompletedProcess[str]) -> list[str]:
    return [line for line in p.stderr.splitlines() if line.startswith("citykg: error:")]


def test_help_lists_the_commands(run_cli: Run) -> None:
    p = run_cli("--help")
    assert p.returncode == 0
    for cmd in ("build", "validate", "query", "sparql", "export", "info", "reason"):
        assert cmd in p.stdout


def test_query_list_goes_to_stdout(run_cli: Run) -> None:
    p = run_cli("query", "--list", "--format", "json")
    assert p.returncode == 0, p.stderr
    names = [q["name"] for q in json.loads(p.stdout)]
    assert "networks/members-of-network" in names


def test_unknown_query_is_one_line_and_its_own_code(run_cli: Run) -> None:
    p = run_cli("query", "no-such-query", "--no-reasoning")
    assert p.returncode == EXIT_CODES["UnknownQueryError"]
    assert len(error_lines(p)) == 1
    assert "no-such-query" in p.stderr


def test_ill_typed_parameter_is_one_line_and_its_own_code(run_cli: Run) -> None:
    p = run_cli("query", "members-of-network", "--param", "network=not an iri", "--explain")
    assert p.returncode == EXIT_CODES["QueryParameterError"]
    assert len(error_lines(p)) == 1
    assert "network" in p.stderr and "IRI" in p.stderr


def test_unknown_parameter_is_reported(run_cli: Run) -> None:
    p = run_cli("query", "members-of-network", "--param", "netwrok=x", "--explain")
    assert p.returncode == EXIT_CODES["QueryParameterError"]
    assert "netwrok" in p.stderr


def test_missing_parameter_without_default(run_cli: Run, tmp_path: Path) -> None:
    qdir = tmp_path / "q"
    qdir.mkdir()
    (qdir / "needs-a-city.rq").write_text(
        "#+ summary: test\nSELECT ?x WHERE { ?x ?p ?_city_iri } ORDER BY ?x\n", encoding="utf-8")
    p = run_cli("query", "needs-a-city", "--queries", str(qdir), "--explain")
    assert p.returncode == EXIT_CODES["QueryParameterError"]
    assert "city" in p.stderr and "--param" in p.stderr


def test_missing_data_folder_is_its_own_code(run_cli: Run, tmp_path: Path) -> None:
    p = run_cli("build", "--data", str(tmp_path / "nowhere"))
    assert p.returncode == EXIT_CODES["SourceNotFoundError"]
    assert len(error_lines(p)) == 1 and "nowhere" in p.stderr


def test_missing_query_file_is_its_own_code(run_cli: Run, tmp_path: Path) -> None:
    p = run_cli("sparql", str(tmp_path / "missing.rq"))
    assert p.returncode == EXIT_CODES["SourceNotFoundError"]


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_malformed_turtle_names_file_and_line(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "broken.ttl").write_text(
        "@prefix ex: <http://example.org/> .\n\nex:a ex:b ex:c ;\n  ex:d \"open string .\n",
        encoding="utf-8")
    p = run_cli("build", "--data", str(tmp_path))
    assert p.returncode == EXIT_CODES["ParseError"]
    assert f"{tmp_path / 'broken.ttl'}:4" in p.stderr


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_build_on_invalid_data_fails_and_names_file_and_entity(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "bad.ttl").write_text(BAD_DATE, encoding="utf-8")
    p = run_cli("build", "--no-reasoning", "--data", str(tmp_path))
    assert p.returncode == EXIT_CODES["ValidationFailed"], p.stderr[-2000:]
    assert "bad.ttl" in p.stderr
    assert "https://w3id.org/citykg/id/twinning/testville-testburg" in p.stderr


def test_update_is_refused(run_cli: Run) -> None:
    p = run_cli("sparql", "--no-reasoning",
                "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }")
    assert p.returncode == EXIT_CODES["ForbiddenQueryError"]


def test_service_is_refused(run_cli: Run) -> None:
    p = run_cli("sparql", "--no-reasoning",
                "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert p.returncode == EXIT_CODES["ForbiddenQueryError"]
    assert "SERVICE" in p.stderr


def test_exit_codes_are_distinct() -> None:
    codes = [c for name, c in EXIT_CODES.items() if name != "CitykgError"]
    assert len(codes) == len(set(codes))


SOURCES = """\
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_ingest_stops_on_undescribed_sources_and_passes_once_they_are(
    run_cli: Run, tmp_path: Path
) -> None:
    from helpers import FIXTURES, ROOT

    table = FIXTURES / "ingest" / "memberships.csv"
    mapping = ROOT / "data" / "mappings" / "examples" / "memberships.csv-metadata.json"
    out = tmp_path / "memberships.ttl"
    p = run_cli("ingest", str(table), "--mapping", str(mapping), "--out", str(out))
    assert p.returncode == EXIT_CODES["IngestError"], p.stderr[-2000:]
    assert "ckgsh:Citation-citedSource" in p.stderr
    assert not out.exists(), "nothing is written when the shapes fail"
    data = tmp_path / "my-data"
    data.mkdir()
    urls = sorted(line.rsplit(",", 1)[1] for line in
                  table.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
    described = "".join(
        f'<{u}> a ckg:Source ; rdfs:label "page {i}"@en ; dcterms:title "page {i}"@en ;'
        f' ckg:accessDate "2026-11-29"^^xsd:date .\n' for i, u in enumerate(urls))
    (data / "sources.ttl").write_text(SOURCES + described, encoding="utf-8")
    p = run_cli("ingest", str(table), "--mapping", str(mapping), "--out", str(out),
                "--data", str(data))
    assert p.returncode == 0, p.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# generated by citykg ingest")
    assert '"City government of Paris"@en' in text
