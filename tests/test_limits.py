"""Issue 19: queries are bounded by default (rows, time, memory), with a one-line way out.

The heavy queries here are cross products over a small synthetic store, sized
so that the engine finishes within seconds even after the caller stopped
waiting (an abandoned query runs on until Oxigraph is done: see citykg.limits).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pyoxigraph as ox
import pytest

from citykg.api import KnowledgeGraph
from citykg.errors import EXIT_CODES, QueryLimitError
from citykg.limits import DEFAULT_LIMIT, Limits, run_limited
from citykg.results import SelectResult
from citykg.store import OxigraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent / "queries"))
from goldenlib import build_fixture_kg

Run = Callable[..., CompletedProcess[str]]
P = "http://example.org/p"
CROSS = f"SELECT ?a ?b WHERE {{ ?a <{P}> ?o . ?b <{P}> ?o }} ORDER BY ?a ?b"


@pytest.fixture(scope="module")
def fkg() -> object:
    return build_fixture_kg()


@pytest.fixture(scope="module")
def heavy() -> KnowledgeGraph:
    """6,000 triples sharing 50 objects: a self-join of 720,000 rows (a second or two)."""
    store = OxigraphStore()
    store.ox.extend(
        ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode(P), ox.Literal(str(i % 50)))
        for i in range(6_000)
    )
    return KnowledgeGraph(store=store)


def test_default_cap_and_pages_cover_the_whole_result(fkg: KnowledgeGraph) -> None:
    everything = fkg.query("networks-of-city", limit=None)
    assert isinstance(everything, SelectResult) and everything.truncated is None
    assert len(everything.rows) >= 3
    pages, offset = [], 0
    while True:
        page = fkg.query("networks-of-city", limit=2, offset=offset)
        assert isinstance(page, SelectResult)
        pages += page.rows
        if page.truncated is None:
            break
        assert f"--offset {offset + 2}" in page.truncated and "--no-limit" in page.truncated
        offset += 2
    assert pages == everything.rows
    assert fkg.query("networks-of-city").truncated is None  # under the default cap
    assert DEFAULT_LIMIT >= 1_000


def test_ad_hoc_queries_are_capped_too(heavy: KnowledgeGraph) -> None:
    res = heavy.sparql(f"SELECT ?s WHERE {{ ?s <{P}> ?o }} ORDER BY ?s", limit=10)
    assert isinstance(res, SelectResult) and len(res.rows) == 10
    assert res.truncated and "--offset 10" in res.truncated


def test_time_limit_stops_a_query_before_its_first_row(heavy: KnowledgeGraph) -> None:
    with pytest.raises(QueryLimitError, match=r"stopped after 0.1 s.*--timeout SECONDS or --no-limit"):
        heavy.sparql(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{P}> ?o . ?b <{P}> ?o }}", timeout=0.1)


def test_memory_limit_stops_a_query_that_grows(heavy: KnowledgeGraph) -> None:
    with pytest.raises(QueryLimitError, match=r"more than 20 MB.*--max-memory MB or --no-limit"):
        heavy.sparql(CROSS, limit=None, timeout=None, memory=20 * 10**6)


def test_lifted_limits_let_the_query_finish(heavy: KnowledgeGraph) -> None:
    res = heavy.sparql(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{P}> ?o . ?b <{P}> ?o }}",
        limit=None,
        timeout=None,
        memory=None,
    )
    assert isinstance(res, SelectResult) and int(str(res.rows[0][0])) == 6_000 * 120


def test_errors_in_the_query_thread_reach_the_caller() -> None:
    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_limited(boom, Limits())


def test_limit_exit_code_is_documented() -> None:
    assert EXIT_CODES["QueryLimitError"] == 17
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "17 a query passed its time or memory limit" in readme


@pytest.mark.slow
def test_cli_timeout_is_one_line_and_exit_17(run_cli: Run) -> None:
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?b ?q ?o . ?c ?r ?o }"
    r = run_cli("sparql", cross, "--no-reasoning", "--timeout", "2", timeout=600)
    assert r.returncode == 17, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.startswith("citykg: error")]
    assert len(lines) == 1 and "--timeout SECONDS or --no-limit" in lines[0]


@pytest.mark.slow
def test_cli_says_how_to_get_the_next_page(run_cli: Run) -> None:
    r = run_cli("query", "most-twinned-cities", "--no-reasoning", "--limit", "1", "-f", "csv")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 2  # header and one row
    assert "the next page with --offset 1" in r.stderr


@pytest.mark.slow
@pytest.mark.xfail(
    reason="on the loaded shared machine (load 9 on 2 cores) the server's guard answered 400 "
    "'could not be parsed within this server's limits' for stored queries; reported to issue 15",
    strict=False,
)
def test_server_caps_stored_queries_like_ad_hoc_ones(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The server runs a stored query through the same worker pool: its row cap applies."""
    import json

    from server_fixtures import dump_for_tests, running_server
    from test_server_protocol import http

    args = ["--max-rows", "5", "--workers", "1", "--timeout", "30"]
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-i19"), *args) as s:
        status, headers, body = http(f"{s.url}/queries/sources/claims-of-source?format=json")
    assert status == 200, (status, body[body.find(b"<main"):][:400])
    assert len(json.loads(body)["results"]["bindings"]) == 5
    assert headers["x-citykg-truncated"].startswith("true")
