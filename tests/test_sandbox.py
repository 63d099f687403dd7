"""Bounded queries on a cached build run in a child process that their limits really stop.

In the calling process a stopped query runs on in its thread (pyoxigraph cannot
cancel one); here the child is killed or fails on its own address-space cap, and
the caller's process never holds the query's memory.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from citykg.errors import QueryLimitError

# Sorting a cross product materialises it: hundreds of MB within seconds.
HUNGRY = "SELECT ?o ?c WHERE { ?s ?p ?o . ?a ?b ?c } ORDER BY ?o ?c LIMIT 1"
# Runs for hours in constant memory (one side of the product held: about 900 MB).
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"


def _rss(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def kg(kg: object) -> object:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux /proc")
    store = kg.store  # type: ignore[attr-defined]
    assert store.read_only and store.path is not None  # the cached build
    return kg


def test_a_query_past_its_memory_limit_is_stopped_and_its_memory_freed(kg: object) -> None:
    kg.sparql("ASK {}")  # type: ignore[attr-defined]  # the child is up
    before = _rss()
    with pytest.raises(QueryLimitError, match=r"more than 300 MB, its memory limit: lift it"):
        kg.sparql(HUNGRY, memory=300 * 10**6, timeout=120)  # type: ignore[attr-defined]
    assert _rss() - before < 100 * 10**6  # the query's memory was never this process's
    sandbox = kg._sandbox  # type: ignore[attr-defined]
    assert sandbox._proc is None  # the child that held it is gone
    assert bool(kg.sparql("ASK { ?s ?p ?o }")) is True  # type: ignore[attr-defined]  # a new child


def test_a_query_past_its_time_limit_is_killed(kg: object) -> None:
    kg.sparql("ASK {}")  # type: ignore[attr-defined]
    sandbox = kg._sandbox  # type: ignore[attr-defined]
    child = sandbox._proc
    t0 = time.monotonic()
    with pytest.raises(QueryLimitError, match=r"stopped after 1 s, its time limit"):
        kg.sparql(ENDLESS, timeout=1)  # type: ignore[attr-defined]
    assert time.monotonic() - t0 < 10
    child.join(5)
    assert not child.is_alive()  # killed, not left running
    starts = sandbox.starts
    assert kg.query("networks-overview", limit=3).rows  # type: ignore[attr-defined]
    assert sandbox.starts == starts + 1


def test_a_child_answers_as_this_process_does(kg: object) -> None:
    for name, params in [("networks-overview", {}), ("members-of-network", {}),
                         ("signatories-per-country", {})]:
        here = kg.query(name, isolate=False, **params)  # type: ignore[attr-defined]
        there = kg.query(name, **params)  # type: ignore[attr-defined]
        assert there.variables == here.variables and there.rows == here.rows, name
        assert there.truncated == here.truncated
    assert kg._sandbox is not None and kg._sandbox.starts >= 1  # type: ignore[attr-defined]


def test_the_child_ends_with_its_graph(kg: object) -> None:
    import gc

    import citykg

    other = citykg.load()  # the same cached build, another KnowledgeGraph
    assert bool(other.sparql("ASK { ?s ?p ?o }")) is True
    child = other._sandbox._proc
    assert child.is_alive()
    del other
    gc.collect()
    child.join(10)
    assert not child.is_alive()  # a notebook that drops a graph does not keep its child


def test_errors_in_the_child_come_back_as_query_errors(kg: object) -> None:
    from citykg.errors import QueryError
    from citykg.sandbox import QueryProcess

    child = QueryProcess(kg.store.path)  # type: ignore[attr-defined]
    try:  # the guard in this process would refuse the text first: send it straight
        with pytest.raises(QueryError, match="malformed query"):
            child.run("SELECT ?x WHERE { ?x ?y }", timeout=60)
        assert child.run("ASK { ?s ?p ?o }", timeout=60).value is True  # type: ignore[union-attr]
    finally:
        child.close()
