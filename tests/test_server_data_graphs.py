"""``--data`` folders load TriG and N-Quads into the named graphs they name; citykg's own
graphs stay protected; ``citykg serve --data`` serves those graphs."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from server_fixtures import ROOT, free_port
from server_fixtures import http_request as http

from citykg.errors import ParseError
from citykg.loader import LoadPlan, load
from citykg.store import OxigraphStore

TRIG = """@prefix ex: <http://example.org/> .
ex:a ex:p "in the default graph" .
ex:g1 { ex:a ex:p "in g1" . ex:b ex:p "also in g1" . }
GRAPH ex:g2 { ex:a ex:p "in g2" }
"""
NQUADS = """<http://example.org/c> <http://example.org/p> "in g3" <http://example.org/g3> .
<http://example.org/c> <http://example.org/p> "default" .
"""


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "extra"
    d.mkdir()
    (d / "graphs.trig").write_text(TRIG, encoding="utf-8")
    (d / "more.nq").write_text(NQUADS, encoding="utf-8")
    return d


def test_trig_and_nquads_fill_the_graphs_they_name(tmp_path: Path) -> None:
    store = OxigraphStore()
    counts = load(store, LoadPlan.from_folders([], [_folder(tmp_path)]))
    assert counts == {"data": 2, "http://example.org/g1": 2, "http://example.org/g2": 1,
                      "http://example.org/g3": 1}
    res = store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
                      default_graphs=[])
    got = {str(g): int(str(n)) for g, n in res.rows}  # type: ignore[union-attr]
    assert got == {"http://example.org/g1": 2, "http://example.org/g2": 1,
                   "http://example.org/g3": 1, "https://w3id.org/citykg/graph/data": 2}


@pytest.mark.parametrize("name", ["ontology", "data", "links", "enrichment", "inferred"])
def test_citykg_graphs_are_protected(tmp_path: Path, name: str) -> None:
    d = tmp_path / "bad"
    d.mkdir()
    (d / "x.trig").write_text(
        f"<https://w3id.org/citykg/graph/{name}> {{ <http://x/a> <http://x/p> 1 }}\n",
        encoding="utf-8")
    with pytest.raises(ParseError, match=rf"x\.trig.*names the graph .*{name}>, which citykg"):
        load(OxigraphStore(), LoadPlan.from_folders([], [d]))


@pytest.mark.slow  # the slow set: make test-slow, and CI
@pytest.mark.server
def test_serve_data_serves_the_named_graphs(tmp_path: Path) -> None:
    folder = _folder(tmp_path)  # the graph is built with the extra --data folder
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # serve opens the build cache as every command does: this test's own, not the user's
        env = dict(os.environ, CITYKG_CACHE_DIR=str(tmp_path / "build-cache"))
        proc = subprocess.Popen([sys.executable, "-m", "citykg", "serve", "--no-reasoning",
                                 "--data", str(folder), "--port", str(port)], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        q = "SELECT ?g ?o WHERE { GRAPH ?g { <http://example.org/a> ?p ?o } } ORDER BY ?g"
        status, _, body = http(f"{url}/sparql?" + urllib.parse.urlencode({"query": q}))
        assert status == 200
        rows = [(b["g"]["value"], b["o"]["value"]) for b in json.loads(body)["results"]["bindings"]]
        assert ("http://example.org/g1", "in g1") in rows
        assert ("http://example.org/g2", "in g2") in rows
        assert ("https://w3id.org/citykg/graph/data", "in the default graph") in rows
        status, _, void = http(f"{url}/.well-known/void", headers={"Accept": "text/turtle"})
        assert status == 200 and b"<http://example.org/g1>" in void
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
