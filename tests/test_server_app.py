"""One way to make the server: ``citykg serve``, ``citykg.create_app(kg)`` and ``citykg.serve(kg)``.

``citykg serve`` parses its options, opens the graph as every command does
(``--store`` is the build-cache folder) or reads a dump, and calls
:func:`citykg.server.asgi.serve`, which runs :func:`citykg.server.asgi.create_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from citykg import cli
from citykg.api import KnowledgeGraph, load_dump
from citykg.errors import ParseError, SourceNotFoundError
from citykg.namespaces import graph_iri

pytestmark = pytest.mark.server

C40 = "https://w3id.org/citykg/id/network/c40"
LONDON = "https://w3id.org/citykg/id/city/london"


def small_dump(folder: Path) -> Path:
    """Three quads in two of citykg's graphs: a network, a member city, a label."""
    ckg = "https://w3id.org/citykg/ontology#"
    data, inferred = graph_iri("data"), graph_iri("inferred")
    path = folder / "small.nq"
    path.write_text(
        f"<{C40}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        f"<{ckg}TransnationalMunicipalNetwork> <{data}> .\n"
        f'<{C40}> <http://www.w3.org/2000/01/rdf-schema#label> "C40"@en <{data}> .\n'
        f"<{LONDON}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ckg}City> <{inferred}> .\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[KnowledgeGraph, Any]]:
    """``citykg serve`` runs with :func:`citykg.server.asgi.serve` replaced by a recorder."""
    import citykg.server.asgi as asgi

    calls: list[tuple[KnowledgeGraph, Any]] = []
    monkeypatch.setattr(asgi, "serve", lambda kg, config, on_ready=None: calls.append((kg, config)))
    return calls


def test_serve_command_hands_a_dump_to_the_one_factory(
        tmp_path: Path, recorded: list[tuple[KnowledgeGraph, Any]]) -> None:
    dump = small_dump(tmp_path)
    code = cli.main(["serve", "--from-dump", str(dump), "--port", "1234", "--timeout", "7",
                     "--max-rows", "5", "-q"])
    assert code == 0
    [(kg, config)] = recorded
    assert isinstance(kg, KnowledgeGraph)
    sizes = kg.store.graph_sizes()
    assert (sizes["data"], sizes["inferred"], sizes["ontology"]) == (2, 1, 0)
    assert (config.port, config.limits.timeout, config.limits.max_rows) == (1234, 7.0, 5)


def test_serve_store_is_the_build_cache_folder_as_for_every_command(
        cached_kg: KnowledgeGraph, build_cache_dir: Path,
        recorded: list[tuple[KnowledgeGraph, Any]]) -> None:
    assert cli.main(["serve", "--store", str(build_cache_dir), "-q"]) == 0
    [(kg, _)] = recorded
    assert kg.build_cache is not None
    assert kg.build_cache.folder.parent == build_cache_dir
    # the store folder holds builds: serving opened one, it did not make PATH a store
    assert not (build_cache_dir / "CURRENT").exists()
    assert kg.store.graph_sizes() == cached_kg.store.graph_sizes()


def test_a_missing_or_broken_dump_is_one_line_with_its_own_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SourceNotFoundError):
        load_dump(tmp_path / "none.nq")
    bad = tmp_path / "bad.nq"
    bad.write_text("<http://a> <http://b> .\n", encoding="utf-8")
    with pytest.raises(ParseError) as e:
        load_dump(bad)
    assert str(e.value).startswith(f"{bad}:1")
    assert cli.main(["serve", "--from-dump", str(bad)]) == ParseError.exit_code
    err = capsys.readouterr().err.strip()
    assert err.startswith("citykg: error: ") and str(bad) in err and "\n" not in err


def test_create_app_serves_the_graph_it_is_given(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from citykg import create_app

    kg = load_dump(small_dump(tmp_path))
    app = create_app(kg)
    folder = app.state.site.folder
    with TestClient(app) as client:
        r = client.get("/sparql", params={"query": f"ASK {{ <{C40}> a ckg:Network }}"},
                       headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200 and r.json()["boolean"] is False  # no reasoning in a dump
        r = client.get("/sparql", params={"query": "SELECT ?c WHERE { ?c a ckg:City }"},
                       headers={"Accept": "text/csv"})
        assert r.status_code == 200 and r.text == f"c\r\n{LONDON}\r\n"
        assert client.get("/healthz").json()["status"] == "ok"
        # one writer of result formats: the server's bytes are the API's
        text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
        for fmt in ("json", "xml", "csv", "tsv"):
            r = client.get("/sparql", params={"query": text, "format": fmt})
            assert r.status_code == 200 and r.text == kg.sparql(text).serialize(fmt), fmt
    # the lifespan shutdown stopped the workers and removed the snapshot
    assert not folder.exists()
    assert all(w.process is None for w in app.state.site.pool.workers)


def test_the_served_void_describes_the_dataset_a_release_describes(tmp_path: Path) -> None:
    """One dataset IRI: the server's ``/.well-known/void`` is ``citykg.void``'s, as published."""
    import rdflib
    from starlette.testclient import TestClient

    from citykg import create_app
    from citykg.server.app import ServerConfig

    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    kg = load_dump(small_dump(tmp_path))
    release = kg.publish(tmp_path / "dist")
    published = rdflib.Graph().parse(release.folder / "void.ttl")
    [released] = published.subjects(void.dataDump, None, unique=True)
    app = create_app(kg, ServerConfig(base_url="http://example.org/ckg"))
    with TestClient(app) as client:
        r = client.get("/ckg/.well-known/void", headers={"Accept": "application/n-triples"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
        served = rdflib.Graph().parse(data=r.text, format="nt")
        r = client.get("/ckg/.well-known/void", headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    [dataset] = served.subjects(void.sparqlEndpoint, rdflib.URIRef("http://example.org/ckg/sparql"))
    assert dataset == released
    assert str(dataset) == f"https://w3id.org/citykg/release/{release.version}/#dataset"
    assert (dataset, void.dataDump, rdflib.URIRef("http://example.org/ckg/dumps/citykg.nq")) in served
    # the same figures as the release's: three triples, two of them in the data graph
    for g in (served, published):
        assert g.value(dataset, void.triples).toPython() == 3
        data_graph = next(s for s in g.subjects(
            rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name"),
            rdflib.URIRef(str(graph_iri("data")))))
        assert g.value(data_graph, void.triples).toPython() == 2


def test_result_documents_parse_back_with_rdflib_whole_or_cut() -> None:
    """The one writer's SPARQL JSON and XML, from rdflib or Oxigraph terms, read by rdflib."""
    import io

    import pyoxigraph as ox
    import rdflib
    from rdflib import BNode, Literal, URIRef

    from citykg.results import SelectResult, serialize_solutions

    xsd_int = URIRef("http://www.w3.org/2001/XMLSchema#integer")
    rows = [(URIRef(C40), Literal('a "b" <c> & d', lang="en")), (BNode("b1"), None),
            (Literal("5", datatype=xsd_int), Literal("x\ny\tz"))]
    ox_rows = [(ox.NamedNode(C40), ox.Literal('a "b" <c> & d', language="en")),
               (ox.BlankNode("b1"), None),
               (ox.Literal("5", datatype=ox.NamedNode(str(xsd_int))), ox.Literal("x\ny\tz"))]
    for fmt in ("json", "xml"):
        whole = SelectResult(["s", "o"], rows).serialize(fmt).encode("utf-8")
        assert serialize_solutions(["s", "o"], ox_rows, fmt)[0] == whole
        back = rdflib.query.Result.parse(io.BytesIO(whole), format=fmt)
        assert [tuple(r) for r in back] == rows
        cut, n, why = serialize_solutions(["s", "o"], ox_rows, fmt, max_rows=2)
        assert (n, why) == (2, "rows") and b"urn:citykg:result-truncated" in cut
        assert [tuple(r) for r in rdflib.query.Result.parse(io.BytesIO(cut), format=fmt)] == rows[:2]


def test_tsv_and_ntriples_keep_a_multiline_literal_on_one_line() -> None:
    """rdflib's n3() gives a line break in triple quotes; TSV cells and N-Triples allow none."""
    from rdflib import Literal, URIRef

    from citykg.results import GraphResult, SelectResult

    note = Literal("line one\nline\ttwo")
    tsv = SelectResult(["n"], [(note,)]).serialize("tsv")
    assert tsv == '?n\n"line one\\nline\\ttwo"\n'
    nt = GraphResult([(URIRef(C40), URIRef("http://www.w3.org/2004/02/skos/core#note"), note)])
    assert nt.serialize("ntriples").count("\n") == 1
