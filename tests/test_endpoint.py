"""Any endpoint: every stored query returns the same results from a live Oxigraph server as embedded.

The test loads the built graph (N-Quads, named graphs) into ``oxigraph serve
--union-default-graph`` on a free loopback port, then runs each stored query
through :class:`citykg.store.RemoteStore` (the SPARQL 1.1 Protocol over
:mod:`citykg.http`) and compares with the embedded store: a round trip of the
protocol and the result formats (the same engine on both sides; the
differential test of two engines is tests/queries/test_differential.py). It
also checks that remote errors say which side failed, also when the answer
breaks off while it is read (exit code 11, one line, no traceback).
"""

from __future__ import annotations

import http.server
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port, oxigraph_server

from citykg.api import KnowledgeGraph
from citykg.errors import EndpointError, NetworkRequiredError, QueryError
from citykg.results import GraphResult, SelectResult
from citykg.store import RemoteStore

# A real Oxigraph server loaded with the whole graph: the slow set (make test-slow, and CI).
pytestmark = [pytest.mark.server, pytest.mark.slow]

_BNODE = re.compile(r"_:[A-Za-z0-9_\-.]+")


@pytest.fixture(scope="module")
def remote(kg: KnowledgeGraph, built_nquads: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """The shipped graph behind a live SPARQL endpoint, as a KnowledgeGraph."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph"), [built_nquads],
                         extra_args=["--union-default-graph"]) as base:
        url = f"{base}/query"
        yield KnowledgeGraph(kg.settings.with_(endpoint=url), store=RemoteStore(url, timeout=60))


def _canonical(result: object) -> str:
    """Results as N-Triples terms; blank nodes and the ``^^xsd:string`` of simple literals
    (RDF 1.1: the same term, written or not) made uniform."""
    if isinstance(result, SelectResult):
        text = result.to_tsv()
    else:
        assert isinstance(result, GraphResult)
        text = result.serialize("ntriples")
    return _BNODE.sub("_:b", text).replace("^^<http://www.w3.org/2001/XMLSchema#string>", "")


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_every_stored_query_gives_the_same_results_embedded_and_remote(
        kg: KnowledgeGraph, remote: KnowledgeGraph) -> None:
    compared = 0
    for q in kg.library:
        if q.needs_network:
            with pytest.raises(NetworkRequiredError):
                remote.query(q.name)
            continue
        local = _canonical(kg.query(q.name))
        there = _canonical(remote.query(q.name))
        assert there == local, f"query '{q.name}' differs between embedded and the server"
        compared += 1
    assert compared >= 30


def test_remote_query_error_says_query(remote: KnowledgeGraph) -> None:
    # Parses (citykg's guard reads it) but the server rejects it: SELECT * with GROUP BY.
    with pytest.raises(EndpointError, match="query") as err:
        remote.sparql("SELECT * WHERE { ?s ?p ?o } GROUP BY ?s")
    assert err.value.kind == "query"
    # Text no parser reads is refused before anything is sent.
    with pytest.raises(QueryError, match="malformed query"):
        remote.sparql("SELECT * WHERE { ?s ?p }")


def test_unreachable_endpoint_says_network() -> None:
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=2)
    with pytest.raises(EndpointError, match="network") as err:
        store.query("ASK {}")
    assert err.value.kind == "network"


def test_cli_runs_a_stored_query_on_the_endpoint(remote: KnowledgeGraph, run_cli: object) -> None:
    assert isinstance(remote.store, RemoteStore)
    p = run_cli("query", "frameworks", "--endpoint", remote.store.endpoint,  # type: ignore[operator]
                "--format", "csv", "-q")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("instrument,instrumentLabel,")


class _Broken(http.server.BaseHTTPRequestHandler):
    """An endpoint whose answers break off: a short body, then the connection closes."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "lit'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body) * 10))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def broken_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def test_an_answer_that_breaks_off_is_an_endpoint_error(broken_endpoint: str,
                                                        run_cli: object) -> None:
    with pytest.raises(EndpointError) as err:
        RemoteStore(broken_endpoint, timeout=5).query("SELECT ?n { ?s ?p ?n }")
    assert err.value.kind == "network"
    p = run_cli("sparql", "SELECT ?n { ?s ?p ?n }", "--endpoint", broken_endpoint,  # type: ignore[operator]
                "-q")
    assert p.returncode == 11, p.stderr
    assert p.stderr.startswith("citykg: error: ") and len(p.stderr.strip().splitlines()) == 1
