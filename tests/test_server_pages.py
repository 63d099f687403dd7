"""Linked Data pages of ``citykg serve``: 303 redirects, HTML pages, data documents, VoID."""

from __future__ import annotations

import json
import re
import urllib.parse

import pyoxigraph as ox
import pytest
import rdflib
from server_fixtures import Server
from server_fixtures import http_request as http

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("server-under-base-url")]

SF = "https://w3id.org/citykg/id/city/q62"
PARIS = "city/q90"
C40 = "network/c40"


@pytest.fixture
def server(server_under_base_url: Server) -> Server:
    return server_under_base_url


def page(server: Server, path: str, **headers: str) -> str:
    status, got, body = http(server.url + path, headers=headers)
    assert status == 200, (path, status, body[:300])
    assert got["content-type"].startswith("text/html")
    return body.decode("utf-8")


@pytest.mark.parametrize(("accept", "target"), [
    ("text/html,application/xhtml+xml,*/*;q=0.8", f"/page/{C40}"),
    ("*/*", f"/page/{C40}"),
    ("text/turtle", f"/data/{C40}.ttl"),
    ("application/ld+json", f"/data/{C40}.jsonld"),
    ("application/n-triples;q=1, text/turtle;q=0.5", f"/data/{C40}.nt"),
    ("application/rdf+xml", f"/data/{C40}.rdf"),
])
def test_iris_redirect_by_accept(server: Server, accept: str, target: str) -> None:
    import http.client

    parts = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", f"{parts.path}/id/{C40}", headers={"Accept": accept})
    resp = conn.getresponse()
    assert resp.status == 303
    assert resp.getheader("Location") == f"http://localhost:1/citykg{target}"
    conn.close()


@pytest.mark.parametrize(("suffix", "fmt"), [
    ("ttl", ox.RdfFormat.TURTLE), ("jsonld", ox.RdfFormat.JSON_LD),
    ("nt", ox.RdfFormat.N_TRIPLES), ("rdf", ox.RdfFormat.RDF_XML)])
def test_data_documents_describe_the_thing(server: Server, suffix: str, fmt: ox.RdfFormat) -> None:
    status, _headers, body = http(f"{server.url}/data/city/q62.{suffix}")
    assert status == 200
    triples = list(ox.parse(body, format=fmt))
    subjects = {t.subject for t in triples}
    assert ox.NamedNode(SF) in subjects
    assert any(t.predicate.value.endswith("asWKT") for t in triples)


def test_unknown_things_are_404(server: Server) -> None:
    assert http(f"{server.url}/id/city/no-such-city")[0] == 404
    assert http(f"{server.url}/page/city/no-such-city")[0] == 404
    status, _headers, body = http(f"{server.url}/page/city/no-such-city",
                                 headers={"Accept": "text/html"})
    assert status == 404 and b"says nothing about" in body


def test_home_lists_classes_queries_and_dumps(server: Server) -> None:
    html = page(server, "/")
    assert re.search(r'href="/citykg/class/City">ckg:City</a>', html)
    assert 'action="/citykg/queries/networks/members-of-network"' in html
    assert 'href="/citykg/dumps/citykg.nq"' in html


@pytest.mark.slow  # writes the whole graph as N-Quads on first use (about 25 s): the slow set
def test_the_dump_is_served(server: Server) -> None:
    # written on first use: about 25 s on an idle machine, minutes on a loaded one
    status, _headers, body = http(f"{server.url}/dumps/citykg.nq", timeout=900)
    assert status == 200 and body.count(b"\n") > 1000


def test_entity_page_shows_labels_types_links_sources_and_map(server: Server) -> None:
    html = page(server, "/page/city/q62")
    assert '<h1 id="label">San Francisco</h1>' in html
    assert 'href="/citykg/ontology#City"' in html
    assert "<circle" in html and "<svg" in html
    assert "https://www.wikidata.org/wiki/Q62" in html
    assert 'href="/citykg/data/city/q62.ttl"' in html
    assert "Links here" in html
    c40 = page(server, f"/page/{C40}")
    assert "Sources and evidence" in c40 and "paragraph" in c40


def test_entity_label_in_the_readers_language(server: Server) -> None:
    assert '<h1 id="label">Parigi</h1>' in page(server, f"/page/{PARIS}", **{
        "Accept-Language": "it-IT, it;q=0.9, en;q=0.5"})
    assert '<h1 id="label">Parijs</h1>' in page(server, f"/page/{PARIS}?lang=nl")
    assert '<h1 id="label">Paris</h1>' in page(server, f"/page/{PARIS}", **{
        "Accept-Language": "xx"})


def test_class_and_ontology_pages(server: Server) -> None:
    html = page(server, "/class/Network")
    assert f'href="/citykg/page/{C40}"' in html
    doc = page(server, "/ontology")
    assert 'id="City"' in doc and 'id="memberOf"' in doc
    status, headers, body = http(f"{server.url}/ontology", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    assert (rdflib.URIRef("https://w3id.org/citykg/ontology#City"), None, None) in g


def test_void_description(server: Server) -> None:
    status, headers, body = http(f"{server.url}/.well-known/void")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    assert (None, void.sparqlEndpoint, rdflib.URIRef("http://localhost:1/citykg/sparql")) in g
    assert (None, void["class"], rdflib.URIRef("https://w3id.org/citykg/ontology#City")) in g


def test_stored_query_runs_from_its_page(server: Server) -> None:
    html = page(server, "/queries/networks/networks-overview")
    assert 'class="results"' in html and 'id="result-count"' in html
    status, _headers, body = http(f"{server.url}/queries/networks/networks-overview?format=json")
    assert status == 200 and json.loads(body)["results"]["bindings"]
    status, _, body = http(f"{server.url}/queries/networks/members-of-network?network=notaniri",
                           headers={"Accept": "text/html"})
    assert status == 400 and b"must be an IRI" in body
    assert http(f"{server.url}/queries/no/such-query")[0] == 404


def test_every_value_is_escaped(server: Server) -> None:
    evil = '"><script>alert(1)</script>'
    q = urllib.parse.urlencode({"network": "https://w3id.org/citykg/id/network/c40", "x": evil})
    status, _, body = http(f"{server.url}/queries/networks/members-of-network?{q}",
                           headers={"Accept": "text/html"})
    assert status == 400 and b"<script>alert" not in body
    status, headers, body = http(f"{server.url}/page/{C40}?lang={urllib.parse.quote(evil)}")
    assert status == 200 and b"<script>alert" not in body
    assert "script-src 'self'" in headers["content-security-policy"]


def test_the_page_modules_run_in_one_group(request: pytest.FixtureRequest) -> None:
    """Under ``--dist loadgroup`` these tests share a worker, so one server (pytest 9.2 broke it)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@server-under-base-url"), request.node.nodeid
