"""Any endpoint: every stored query returns the same results from a live Oxigraph server as embedded.

The test loads the built graph (N-Quads, named graphs) into ``oxigraph serve
--union-default-graph`` on a free loopback port, then runs each stored query
through :class:`citykg.store.RemoteStore` (SPARQLWrapper) and compares with
the embedded store. It also checks that remote errors say which side failed.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from citykg.api import KnowledgeGraph
from citykg.errors import EndpointError, NetworkRequiredError
from citykg.results import GraphResult, SelectResult
from citykg.store import RemoteStore

pytestmark = pytest.mark.server

_BNODE = re.compile(r"_:[A-Za-z0-9_\-.]+")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oxigraph_bin() -> str:
    """The ``oxigraph`` server executable beside this Python, or on the PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.exists() else shutil.which("oxigraph")
    if not found:
        pytest.skip("the `oxigraph` server (pip package `oxigraph`) is not installed")
    return found


@contextlib.contextmanager
def union_server(location: Path, dump: Path) -> Iterator[str]:
    """``oxigraph serve --union-default-graph`` over ``dump``; yields the query URL."""
    exe = oxigraph_bin()
    subprocess.run([exe, "load", "--location", str(location), "--file", str(dump)],
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([exe, "serve", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("oxigraph server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def remote(kg: KnowledgeGraph, built_nquads: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """The shipped graph behind a live SPARQL endpoint, as a KnowledgeGraph."""
    with union_server(tmp_path_factory.mktemp("oxigraph"), built_nquads) as url:
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
    with pytest.raises(EndpointError, match="query") as err:
        remote.sparql("SELECT * WHERE { ?s ?p }")
    assert err.value.kind == "query"


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
