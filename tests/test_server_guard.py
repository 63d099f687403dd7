"""``citykg serve`` against fuzzed SERVICE calls, and the bounds on what a request may take.

The server here allow-lists one (unused) SERVICE endpoint, so its heavy workers
keep the network: a query the guard let through would reach the trap. Every
fuzz case must be refused with a 400 on every way in: GET, POST form, POST
``application/sparql-query`` and a stored query.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import textwrap
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_fixtures import (
    Server,
    Trap,
    dump_for_tests,
    running_server,
    trap_server,
    wait_until_idle,
)
from server_fixtures import http_request as http
from sparql_fuzz import cases, covering

# one worker runs the module, so its module-scoped server starts once
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_server_guard")]

SAMPLE = covering(cases(300))  # every part of every case's make-up at least once
TIMEOUT = 4
# Runs for hours in constant memory (Oxigraph holds one side of the product, about
# 900 MB of address space on the shipped graph): it meets the time limit, never the
# memory limit. A three-way product reaches 2 GiB in under 2 s and would end as a
# crash instead, sooner or later depending on the machine's speed.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"


@pytest.fixture(scope="module")
def trap() -> Iterator[Trap]:
    with trap_server() as t:
        yield t
    assert t.hits == [], f"a query reached the trap: {t.hits[:5]}"


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           trap: Trap) -> Iterator[Server]:
    qdir = tmp_path_factory.mktemp("fuzz-queries")
    (qdir / "fuzz").mkdir()
    for i, case in enumerate(SAMPLE):
        (qdir / "fuzz" / f"case-{i:03d}.rq").write_text(case.text(trap.url), encoding="utf-8")
    args = ["--timeout", str(TIMEOUT), "--workers", "1", "--queue", "2",
            "--max-result-bytes", "5000", "--allow-service", "http://127.0.0.1:1/allowed",
            "--queries", str(qdir)]
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-guard"),
                        *args) as s:
        yield s


def _refused(status: int, body: bytes) -> bool:
    return status == 400 and b"is not allowed: queries never fetch remote data" in body


def test_every_way_in_refuses_every_case(server: Server, trap: Trap) -> None:
    for i, case in enumerate(SAMPLE):
        text = case.text(trap.url)
        qs = urllib.parse.urlencode({"query": text})
        status, _, body = http(f"{server.url}/sparql?{qs}")
        assert _refused(status, body), (case.how, status, body)
        status, _, body = http(f"{server.url}/sparql", data=qs.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert _refused(status, body), (case.how, status, body)
        status, _, body = http(f"{server.url}/sparql", data=text.encode(), headers={
            "Content-Type": "application/sparql-query"})
        assert _refused(status, body), (case.how, status, body)
        status, _, body = http(f"{server.url}/queries/fuzz/case-{i:03d}?format=json")
        assert _refused(status, body), (case.how, status, body)
    assert trap.hits == []


def test_workers_have_no_network_even_if_the_guard_were_bypassed(trap: Trap) -> None:
    """A worker's private network namespace: Oxigraph's own SERVICE call fails there."""
    code = textwrap.dedent(f"""
        import pyoxigraph as ox
        from citykg.server.workers import isolate_network
        assert isolate_network(), "no network namespace on this kernel"
        try:
            list(ox.Store().query("SELECT * {{ SERVICE <{trap.url}/sparql> {{ ?s ?p ?o }} }}"))
        except (OSError, RuntimeError) as e:
            print("refused:", type(e).__name__)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if "no network namespace" in r.stderr:
        pytest.skip("the kernel refuses unprivileged network namespaces")
    assert r.returncode == 0 and "refused" in r.stdout, r.stderr
    assert trap.hits == []


def test_results_are_cut_at_the_byte_cap(server: Server) -> None:
    qs = urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }", "format": "json"})
    status, headers, body = http(f"{server.url}/sparql?{qs}")
    assert status == 200 and len(body) <= 5000
    assert "5,000 bytes" in headers["x-citykg-truncated"]
    doc = json.loads(body)  # still a valid document, marked as cut
    assert doc["head"]["link"] == ["urn:citykg:result-truncated"]
    qs = urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "turtle"})
    status, headers, body = http(f"{server.url}/sparql?{qs}")
    assert status == 200 and len(body) <= 5000 + 200 and "x-citykg-truncated" in headers
    assert b"# urn:citykg:result-truncated" in body


def test_the_parser_cannot_be_crashed_remotely(server: Server) -> None:
    before = json.loads(http(f"{server.url}/healthz")[2])["restarts"]
    for text, expected in [("SELECT * { FILTER(" + "!" * 19_000 + "true) }", b"operators"),
                           ("SELECT * { FILTER(" + "1+" * 9000 + "1) }", b"operators"),
                           ("SELECT * { FILTER(" + "!" * 900 + "true) }", b"malformed")]:
        qs = urllib.parse.urlencode({"query": text})
        status, _, body = http(f"{server.url}/sparql", data=qs.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 400 and expected in body, (status, body[:200])
    # A long but legal query is parsed in the heavy lane, within the time limit.
    text = "ASK { " + "?s <http://x/p> ?o . " * 900 + "}"
    status, _, body = http(f"{server.url}/sparql", data=text.encode(), headers={
        "Content-Type": "application/sparql-query"})
    assert status in (200, 503), (status, body[:200])
    health = json.loads(http(f"{server.url}/healthz")[2])
    assert health["status"] == "ok"
    assert status == 503 or health["restarts"] == before  # nothing crashed


def test_queue_time_counts_and_every_503_says_when_to_retry(server: Server) -> None:
    wait_until_idle(server)
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        futures = [ex.submit(http, f"{server.url}/sparql?" + urllib.parse.urlencode(
            {"query": HEAVY + f" # {i}"})) for i in range(3)]
        results = [f.result() for f in futures]
    for status, headers, body in results:
        assert status == 503, body
        assert headers.get("retry-after"), headers
    # One worker, a queue of two: one query runs to the limit and is stopped; the waiting
    # ones reach the same deadline in the queue (its time counts) and never run at all.
    ran = [b for _, _, b in results if b"ran past the time limit" in b]
    waited = [b for _, _, b in results if b"waited for a free worker until its time limit" in b]
    assert (len(ran), len(waited)) == (1, 2), [b[:80] for _, _, b in results]


def test_light_queries_do_not_wait_behind_heavy_ones(server: Server) -> None:
    wait_until_idle(server)
    light = urllib.parse.urlencode({"query": "ASK { <https://w3id.org/citykg/id/network/c40> ?p ?o }"})
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        heavy = [ex.submit(http, f"{server.url}/sparql?" + urllib.parse.urlencode(
            {"query": HEAVY + f" # light-{i}"})) for i in range(2)]
        for _ in range(600):  # until the heavy lane holds them (one running, one queued)
            if json.loads(http(f"{server.url}/healthz")[2])["lanes"]["heavy"]["pending"] >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the heavy queries never reached the heavy lane")
        for _ in range(10):
            status, _, body = http(f"{server.url}/sparql?{light}")
            assert status == 200 and json.loads(body)["boolean"] is True
        # all ten were answered while the heavy queries still ran or waited
        running = [f for f in heavy if not f.done()]
        for f in heavy:
            f.result()
    assert running, "the light queries were answered only once the heavy ones had ended"


def test_a_slow_light_query_moves_to_the_heavy_lane(server: Server) -> None:
    """Classified light by its parse tree, but slow: stopped after 1 s and run in the heavy lane."""
    from citykg import guard

    text = ("PREFIX ckg: <https://w3id.org/citykg/ontology#> "
            "SELECT * { ?x a ckg:City . ?x ?p ?o . ?o ?q ?r } ORDER BY ?r")
    assert guard.inspect(text).light
    before = json.loads(http(f"{server.url}/healthz")[2])["restarts"]
    status, headers, _ = http(f"{server.url}/sparql?" + urllib.parse.urlencode({"query": text}))
    assert status in (200, 503)
    assert status == 200 or headers.get("retry-after")
    assert "moved to the heavy lane" in server.log()
    assert json.loads(http(f"{server.url}/healthz")[2])["restarts"] > before
    # The light lane answers again (its spare process took the killed one's place:
    # test_a_killed_light_worker_is_replaced_by_its_spare).
    status, _, _ = http(f"{server.url}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
    assert status == 200
    assert "did not restart" not in server.log()


def test_a_killed_light_worker_is_replaced_by_its_spare(tmp_path: Path) -> None:
    """A light worker keeps a spare process, ready, that takes over when it is killed."""
    import pyoxigraph as ox

    from citykg.server.workers import Inspect, Worker

    store = ox.Store(str(tmp_path / "store"))
    store.flush()
    del store
    worker = Worker(tmp_path / "store", 0, lane="light", keep_spare=True, isolate=False)
    try:
        assert worker.spare is not None
        spare = worker.spare[0]
        killed = worker.process
        worker.stop()  # what a query past its budget gets (SIGKILL)
        assert not killed.is_alive()
        worker.start()
        assert worker.process is spare and worker.process.is_alive()  # the spare, not a new one
        assert worker.spare is not None and worker.spare[0] is not spare  # a new spare waits
        assert worker.ask(Inspect("ASK {}"), 60).ok
    finally:
        worker.stop(spare=True)


def test_a_parse_is_bounded_in_cpu_time_not_wall_time(tmp_path: Path) -> None:
    """The worker stops a parse past its CPU seconds; waiting for the CPU does not count."""
    import pyoxigraph as ox

    from citykg.server.workers import PARSE_TOO_LONG, Inspect, Worker

    store = ox.Store(str(tmp_path / "store"))
    store.flush()
    del store
    # Niced as the heavy lane is: on a loaded machine its wall time is many times its CPU time.
    worker = Worker(tmp_path / "store", 0, lane="heavy", isolate=False, nice=10)
    try:
        long_text = "ASK { " + "?s <http://x/p> ?o . " * 900 + "}"  # about a second of parsing
        answer = worker.ask(Inspect(long_text, cpu_limit=0.05), 120)
        assert not answer.ok and answer.error == PARSE_TOO_LONG
        assert worker.process is not None and worker.process.is_alive()  # refused, not killed
        assert worker.ask(Inspect(long_text + " ", cpu_limit=60), 120).ok  # same text, more CPU
        assert worker.ask(Inspect("ASK {}", cpu_limit=0.05), 60).ok  # the timer was disarmed
    finally:
        worker.stop()


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_a_query_cannot_take_more_memory_than_its_worker_is_given(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Sorting a cross product materialises it: hundreds of MB within seconds.
    hungry = "SELECT ?o ?c WHERE { ?s ?p ?o . ?a ?b ?c } ORDER BY ?o ?c LIMIT 1"
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-memory"),
                        "--timeout", "40", "--worker-memory", "600") as s:
        if not Path(f"/proc/{s.process.pid}/status").exists():
            pytest.skip("needs Linux /proc")
        before = _rss_kb(s.process.pid)
        status, headers, body = http(f"{s.url}/sparql?" + urllib.parse.urlencode({"query": hungry}))
        assert status == 503 and b"memory limit" in body and headers.get("retry-after"), body
        assert b"time limit" not in body  # stopped by the memory cap, not the time limit
        # the server process did not take the query's memory (up to the worker's 600 MiB);
        # it may grow by its own start-up work meanwhile (VoID, page caches: 119 MB seen)
        assert _rss_kb(s.process.pid) - before < 300_000
        status, _, body = http(f"{s.url}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
        assert status == 200
        health = json.loads(http(f"{s.url}/healthz")[2])
        assert health["status"] == "ok" and health["restarts"] >= 1


def test_a_worker_opens_the_shipped_graph_in_a_few_hundred_mib(kg: object) -> None:
    """The address-space cap counts what queries allocate, not malloc's per-thread reservations.

    Without the two-arena cap a worker reserved 500-900 MiB of address space just to
    open the store, varying from run to run (a 900 MiB worker failed to start in CI).
    A worker too small to open the store fails with the message that names the option.
    """
    from citykg.server.workers import Inspect, Worker, WorkerFailed

    path = kg.store.path  # type: ignore[attr-defined]
    assert path is not None
    worker = Worker(path, 0, memory=400 * 2**20, isolate=False)
    try:
        assert worker.capped and worker.ask(Inspect("ASK {}"), 60).ok
    finally:
        worker.stop()
    with pytest.raises(WorkerFailed, match="--worker-memory"):
        Worker(path, 1, memory=100 * 2**20, isolate=False)
