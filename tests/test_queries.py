"""The stored query library: headers, parameters bound as RDF terms, injection, the CLI.

The golden results of every query are pinned by tests/queries/test_golden.py;
the embedded-versus-server comparison is in tests/test_endpoint.py.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from rdflib.plugins.sparql import prepareQuery

from citykg.api import KnowledgeGraph
from citykg.errors import EXIT_CODES, NetworkRequiredError, QueryParameterError
from citykg.queries import QueryLibrary, StoredQuery
from citykg.resources import resource_dir
from citykg.results import GraphResult, SelectResult
from citykg.sparqltext import service_iris, tokenize

sys.path.insert(0, str(Path(__file__).resolve().parent / "queries"))
from goldenlib import build_fixture_kg

Run = Callable[..., CompletedProcess[str]]
LIBRARY = QueryLibrary([resource_dir("queries")])
QUERIES = list(LIBRARY)
OWN = [q for q in QUERIES if q.name != "quality/wikidata-disagreements"]
README = resource_dir("queries") / "README.md"
DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.\-]*)?:\s*<", re.I | re.M)


@pytest.fixture(scope="module")
def fkg() -> object:
    """The fixture graph (tests/fixtures/queries-fixture.trig with the ontology)."""
    return build_fixture_kg()


def test_the_library_holds_at_least_30_queries() -> None:
    assert len(QUERIES) >= 30


@pytest.mark.parametrize("q", OWN, ids=lambda q: q.name)
def test_query_header_is_complete(q: StoredQuery) -> None:
    assert q.summary and q.description and q.tags, f"{q.name}: summary, description and tags"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", q.path.stem), "kebab-case file name"
    for p in q.parameters:
        assert p.default is not None, f"{q.name}: parameter '{p.name}' has no default"
    if q.needs_network:
        assert q.endpoint, f"{q.name}: a network query names its endpoint"


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_every_query_states_its_budget(q: StoredQuery) -> None:
    """Issue 19: a budget per query (bench/bench_queries.py measures it); sane bounds."""
    assert q.budget is not None, f"{q.name}: no '#+ budget: {{time: 2s, memory: 200MB}}' line"
    assert 0 < q.budget.seconds <= 60, f"{q.name}: a budget over a minute is no budget"
    assert 0 < q.budget.memory <= 2 * 10**9, f"{q.name}: a budget over 2 GB is no budget"


@pytest.mark.parametrize(
    "raw",
    [
        "2s",
        {"time": "2s"},
        {"time": "2 parsecs", "memory": "1MB"},
        {"time": "2s", "memory": "-1MB"},
        {"time": "2s", "memory": "1MB", "rows": 3},
    ],
)
def test_malformed_budget_is_refused_naming_the_file(tmp_path: Path, raw: object) -> None:
    import yaml

    from citykg.errors import UnknownQueryError
    from citykg.queries import load_query

    f = tmp_path / "q.rq"
    budget = yaml.safe_dump(raw, default_flow_style=True).strip()
    f.write_text(f"#+ summary: x\n#+ budget: {budget}\nSELECT * {{ ?s ?p ?o }} ORDER BY ?s\n")
    with pytest.raises(UnknownQueryError, match=r"q.rq: #\+ budget"):
        load_query(f, "q")


def test_budget_units() -> None:
    from citykg.queries import Budget

    assert Budget.parse({"time": "250ms", "memory": "1.5GB"}) == Budget(0.25, 1_500_000_000)
    assert Budget.parse({"time": "2min", "memory": "300KB"}) == Budget(120.0, 300_000)


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_query_declares_its_prefixes_and_orders_its_results(q: StoredQuery) -> None:
    declared = set(DECLARED.findall(q.text))
    used = {t.text.split(":", 1)[0] for t in tokenize(q.text) if t.kind == "pname"}
    assert used <= declared, f"{q.name}: undeclared prefixes {sorted(used - declared)}"
    words = [t.text.upper() for t in tokenize(q.text) if t.kind == "name"]
    assert "ORDER" in words, f"{q.name}: no ORDER BY"


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_bound_query_parses_in_another_sparql_engine(q: StoredQuery) -> None:
    """rdflib's SPARQL 1.1 parser accepts the final text (no Oxigraph-only syntax)."""
    prepareQuery(q.bind({}))


def test_every_competency_question_has_a_query_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    text = text.split("## Competency questions", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| .*?\| (.+?) \|$", text, re.M)
    covered = {int(n): cell for n, cell in rows}
    assert set(covered) == set(range(1, 29)), "queries/README.md maps questions 1-28"
    names = {q.name for q in QUERIES}
    for n, cell in covered.items():
        linked = re.findall(r"`([a-z0-9/\-]+)`", cell)
        assert linked and all(x in names for x in linked), f"question {n}: {cell}"


INJECTIONS = [
    'x" } SERVICE <http://evil.example/sparql> { ?s ?p ?o } #',
    "x' } ; DROP ALL ; SELECT * { '",
    "line one\nline two } UNION { ?s ?p ?o }",
    '\\" } SERVICE ?svc { ?s ?p ?o } "',
    "}}}} ))) ###",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_inert(fkg: object, text: str) -> None:
    """A string parameter is bound as one literal: same tokens, no SERVICE, no match."""
    q = LIBRARY.get("lookup/find-by-label")
    benign = q.bind({"text": "climate"})
    bound = q.bind({"text": text})
    assert service_iris(bound) == []
    assert len(tokenize(bound)) == len(tokenize(benign))
    res = fkg.query("find-by-label", text=text)  # type: ignore[attr-defined]
    assert isinstance(res, SelectResult) and len(res) == 0


@pytest.mark.parametrize(("param", "value"), [
    ("city", 'https://w3id.org/x> } SERVICE <http://evil.example/> { ?s ?p ?o } <'),
    ("city", "San Francisco"),
    ("city", "city/q62"),
])
def test_ill_typed_iri_is_refused(param: str, value: str) -> None:
    with pytest.raises(QueryParameterError, match="must be an IRI"):
        LIBRARY.get("sister-cities-of-city").bind({param: value})


@pytest.mark.parametrize("value", ["19x0", "1980-01-01", "'1980'", "1980 } #"])
def test_malformed_year_is_refused(value: str) -> None:
    with pytest.raises(QueryParameterError, match="must be a year"):
        LIBRARY.get("timeline").bind({"from": value})


def test_parameters_are_bound_as_typed_terms() -> None:
    text = LIBRARY.get("timeline").bind({"from": "1985", "to": 1986})
    assert 'VALUES (?_from_year ?_to_year) { ("1985"^^<http://www.w3.org/2001/XMLSchema#gYear>' in text


def test_timeline_respects_its_years(fkg: object) -> None:
    res = fkg.query("timeline", **{"from": "1985", "to": "1985"})  # type: ignore[attr-defined]
    assert isinstance(res, SelectResult) and len(res) > 0
    assert {str(d)[:4] for d in res.column("date")} == {"1985"}


def test_result_converts_to_a_typed_dataframe(fkg: object) -> None:
    df = fkg.query("cities-in-several-networks", minimum=3).to_dataframe()  # type: ignore[attr-defined]
    assert str(df["networkCount"].dtype) == "Int64"
    assert set(df["cityLabel"]) == {"Paris", "Los Angeles"}
    share = fkg.query("cross-border-share").to_dataframe()  # type: ignore[attr-defined]
    assert str(share["crossBorderShare"].dtype) == "Float64"


def test_network_query_is_refused_offline(fkg: object) -> None:
    with pytest.raises(NetworkRequiredError, match="network"):
        fkg.query("city-population-coordinates-live")  # type: ignore[attr-defined]


def test_construct_query_serialises_as_rdf(fkg: object) -> None:
    res = fkg.query("network-card")  # type: ignore[attr-defined]
    assert isinstance(res, GraphResult) and len(res) > 0
    for fmt in ("turtle", "jsonld", "ntriples"):
        assert "schema.org" in res.serialize(fmt)


def test_select_result_formats(fkg: object) -> None:
    res = fkg.query("members-of-network")  # type: ignore[attr-defined]
    assert isinstance(res, SelectResult)
    assert res.serialize("csv").startswith("member,memberLabel,")
    assert res.serialize("tsv").startswith("?member\t?memberLabel")
    assert '"vars"' in res.serialize("json")
    assert "<sparql" in res.serialize("xml")
    assert res.serialize("markdown").startswith("| member | memberLabel |")


# --- the command line (each run builds the shipped graph, so only a few) ---


def test_cli_runs_a_query_with_a_parameter(run_cli: Run) -> None:
    p = run_cli("query", "networks-by-issue-area", "--param",
                "issue=https://w3id.org/citykg/ontology#NuclearDisarmamentAndPeace",
                "--format", "csv", "-q")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("network,networkLabel,statedIssue,statedIssueLabel")


def test_cli_wrong_parameter_type_is_one_line_and_non_zero(run_cli: Run) -> None:
    p = run_cli("query", "timeline", "--param", "from=nineteen-eighty", "--explain")
    assert p.returncode == EXIT_CODES["QueryParameterError"] != 0
    errors = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "from" in errors[0] and "year" in errors[0]


def test_cli_explain_shows_the_bound_query(run_cli: Run) -> None:
    p = run_cli("query", "sister-cities-of-city", "--param",
                "city=https://w3id.org/citykg/id/city/q62", "--explain")
    assert p.returncode == 0, p.stderr
    assert "VALUES (?_city_iri) { (<https://w3id.org/citykg/id/city/q62>) }" in p.stdout


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_list_as_markdown_documents_every_query(kg: KnowledgeGraph) -> None:
    """What `citykg query --list --format markdown` prints (queries/README.md)."""
    from citykg.querydocs import query_docs

    text = query_docs(kg)
    for q in QUERIES:
        assert f"### {q.name}" in text
    assert "| 22 |" in text, "the competency-question table covers question 22"

