"""``citykg push`` into real servers on loopback ports, then the stored queries on them.

The built graph is pushed into Oxigraph (Graph Store protocol and SPARQL
Update) and into OpenLink Virtuoso (Graph Store protocol with digest
authentication; skipped when Virtuoso is not installed). Each stored query not
tagged ``network`` must then give the same rows on the server as embedded: on
the Oxigraph server a round trip of the push and the protocol (the same
engine), on Virtuoso a differential test of a second engine,
compared as multisets after normalising blank nodes (any label) and literal
forms (``"01"^^xsd:integer`` is ``1``, language tags in lower case), unless it
is a documented engine bug pinned below.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import oxigraph_server, rows
from virtuoso import virtuoso_server

from citykg.api import KnowledgeGraph
from citykg.errors import EndpointError, PublishError
from citykg.push import Target, batches, plan, push, release_quads

# Full pushes of the built graph: the slow set (make test-slow, and CI).
pytestmark = [pytest.mark.server, pytest.mark.slow]


#: Stored queries whose Virtuoso 7.2 answer differs from the embedded one by an
#: engine bug that no portable rewrite avoids: name -> what Virtuoso does wrong.
#: Each is pinned by a strict xfail; the bug itself is pinned on minimal data in
#: tests/test_virtuoso_bugs.py (docs/publishing.md, "Known engine differences").
#: Seven other queries once listed here were rewritten around such bugs.
VIRTUOSO_BUGS: dict[str, str] = {
    "lookup/find-by-label": "rdfs:subClassOf+ from a start bound by a join loses matches "
    "(test_one_or_more_path_loses_matches_from_a_joined_start), so the FILTER NOT EXISTS "
    "keeps superclasses; the portable rewrite (p* ?x . ?x p C) takes 40 s on Oxigraph",
}

#: Queries of the Covenant layer and the analytics tables that Virtuoso answers
#: differently from Oxigraph (and rdflib, which agrees with Oxigraph in
#: tests/queries/test_differential.py). Not yet reduced to a minimal case, so
#: not strict: which engine is wrong is still to be found (docs/publishing.md).
VIRTUOSO_UNEXPLAINED: dict[str, str] = {
    "analytics/network-memberships": "Virtuoso answers HTTP 500",
    "analytics/places": "8,263 rows differ (MIN over STR() of optional values)",
    "networks/commitments-by-target-year": "26 (year, kind) groups differ (xsd:gYear keys)",
    "networks/signatories-per-country": "rows with no country (label looked up inside the count)",
    "networks/supporters": "every row differs (countries joined from an ordered sub-select)",
}


@pytest.fixture(scope="module")
def release(built_nquads: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release folder holding the built graph's N-Quads (all that push reads)."""
    folder = tmp_path_factory.mktemp("release")
    shutil.copyfile(built_nquads, folder / "citykg.nq")
    return folder


def _stored_queries() -> list[str]:
    from citykg.config import Settings
    from citykg.queries import QueryLibrary

    lib = QueryLibrary(list(Settings().query_dirs))
    return sorted(q.name for q in lib if not q.needs_network)


def _differ(embedded: KnowledgeGraph, remote: KnowledgeGraph, name: str) -> tuple[Counter[Any], Counter[Any]]:
    return rows(embedded.query(name)), rows(remote.query(name))


# --- unit tests of the batching --------------------------------------------------


def test_batches_never_split_a_blank_node_component(release: Path) -> None:
    quads = release_quads(release)
    p = plan(quads)
    total = sum(len(u) for units in p.units.values() for u in units) + sum(len(c) for c in p.cross)
    assert total == len(quads)

    def labels(chunk: list[Any]) -> set[str]:
        return {t.value for q in chunk for t in (q.subject, q.object)
                if type(t).__name__ == "BlankNode"}

    seen: set[str] = set()
    groups = [chunk for units in p.units.values() for chunk in batches(units, 500)]
    groups += batches(p.cross, 500)
    for chunk in groups:
        mine = labels(chunk)
        assert not mine & seen
        seen |= mine


def test_push_fails_clearly_when_nothing_listens(release: Path) -> None:
    target = Target.guess("http://127.0.0.1:9/query", timeout=2)
    with pytest.raises(EndpointError) as e:
        push(release, target, retries=1, pause=0.01)
    assert e.value.kind == "network"


def test_push_refuses_a_folder_without_a_release(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="citykg publish"):
        push(tmp_path, Target.guess("http://127.0.0.1:9/query"))


# --- Oxigraph ----------------------------------------------------------------------


def oxigraph_union_server(location: Path) -> contextlib.AbstractContextManager[str]:
    """``oxigraph serve --union-default-graph`` on a free loopback port; yields its base URL.

    Embedded, citykg's default graph is the union of the named graphs; a server
    must be told so (Virtuoso's default graph is always the union).
    """
    return oxigraph_server(location, extra_args=["--union-default-graph"])


@pytest.fixture(scope="module")
def oxigraph(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Oxigraph server loaded by ``citykg push`` (the command line, Graph Store protocol)."""
    with oxigraph_union_server(tmp_path_factory.mktemp("oxigraph") / "db") as url:
        proc = subprocess.run(
            [sys.executable, "-m", "citykg", "push", "--endpoint", f"{url}/query",
             "--release", str(release), "--batch-size", "50000"],
            capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr
        assert "(checked)" in proc.stderr
        yield f"{url}/query"


def test_push_by_sparql_update_keeps_blank_nodes_shared_by_graphs(release: Path,
                                                                   tmp_path: Path) -> None:
    """SPARQL Update mode on a small release: the ontology, the links, every blank node."""
    import pyoxigraph as ox

    small = tmp_path / "release"
    small.mkdir()
    keep = [q for q in release_quads(release)
            if q.graph_name.value.endswith(("/ontology", "/links"))
            or isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)]
    (small / "citykg.nq").write_bytes(ox.serialize(keep, format=ox.RdfFormat.N_QUADS) or b"")
    local = ox.Store()
    local.extend(keep)
    join = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?a { ?x ?p ?b } GRAPH ?c { ?b ?q ?o } "
            "FILTER(isBlank(?b) && ?a != ?c) }")
    expected = int(next(iter(local.query(join)))["n"].value)  # type: ignore[index,call-overload]
    with oxigraph_server(tmp_path / "db") as url:
        target = Target.guess(f"{url}/query")
        report = push(small, target, method="update", batch_size=2000)
        assert report.counted == report.expected
        remote = KnowledgeGraph(store=__import__("citykg.store", fromlist=["RemoteStore"])
                                .RemoteStore(f"{url}/query"))
        got = int(str(remote.sparql(join).rows[0][0]))  # type: ignore[union-attr]
    assert got == expected


@pytest.mark.parametrize("name", _stored_queries())
def test_stored_query_agrees_on_oxigraph(kg: KnowledgeGraph, oxigraph: str, name: str) -> None:
    remote = KnowledgeGraph(kg.settings.with_(endpoint=oxigraph))
    embedded, served = _differ(kg, remote, name)
    assert served == embedded


# --- Virtuoso ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def virtuoso(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Virtuoso loaded by :func:`push` (Graph Store protocol, digest auth)."""
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        target = Target.guess(server.sparql, user=server.user, password=server.password)
        report = push(release, target)
        assert report.method == "gsp"
        assert report.counted == report.expected
        yield server.sparql


def _virtuoso_cases() -> list[Any]:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=VIRTUOSO_BUGS[n]))
            if n in VIRTUOSO_BUGS else
            pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=VIRTUOSO_UNEXPLAINED[n]))
            if n in VIRTUOSO_UNEXPLAINED else n for n in _stored_queries()]


@pytest.mark.slow
@pytest.mark.parametrize("name", _virtuoso_cases())
def test_stored_query_agrees_on_virtuoso(kg: KnowledgeGraph, virtuoso: str, name: str) -> None:
    remote = KnowledgeGraph(kg.settings.with_(endpoint=virtuoso))
    embedded, served = _differ(kg, remote, name)
    assert served == embedded


def test_query_command_runs_against_a_pushed_server(oxigraph: str, run_cli: Any) -> None:
    proc = run_cli("query", "networks-overview", "--endpoint", oxigraph, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) > 1
    proc = run_cli("sparql", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                   "--endpoint", oxigraph, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.splitlines()[1]) > 0

