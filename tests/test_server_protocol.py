"""The SPARQL 1.1 Protocol (query) of ``citykg serve``, as clients meet it.

Real clients (SPARQLWrapper, rdflib's SPARQLStore) and raw HTTP against a real
server on a loopback port; content negotiation unit tests at the end.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import rdflib
from server_fixtures import Server, dump_for_tests, running_server
from server_fixtures import http_request as http

from citykg.server.negotiation import (
    best_match,
    parse_accept,
    parse_accept_language,
    pick_language,
    prefers_html,
)

# one worker runs the module, so its module-scoped server starts once
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_server_protocol")]

COUNT_NETWORKS = ("PREFIX ckg: <https://w3id.org/citykg/ontology#> "
                  "SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE { ?n a ckg:Network }")
NETWORKS = ("PREFIX ckg: <https://w3id.org/citykg/ontology#> "
            "SELECT ?n WHERE { ?n a ckg:Network } ORDER BY ?n")
C40 = "https://w3id.org/citykg/id/network/c40"


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-protocol")) as s:
        yield s


def get(server: Server, query: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    accept = params.pop("accept", None)
    qs = urllib.parse.urlencode({"query": query, **params})
    return http(f"{server.url}/sparql?{qs}", headers={"Accept": accept} if accept else {})


def count(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["c"]["value"])


def test_get_post_form_and_post_direct_agree(server: Server) -> None:
    status, headers, body = get(server, NETWORKS)
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
    rows = json.loads(body)["results"]["bindings"]
    assert any(r["n"]["value"] == C40 for r in rows)
    form = urllib.parse.urlencode({"query": NETWORKS}).encode()
    s2, _, b2 = http(f"{server.url}/sparql", data=form,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    s3, _, b3 = http(f"{server.url}/sparql", data=NETWORKS.encode(),
                     headers={"Content-Type": "application/sparql-query; charset=UTF-8"})
    assert s2 == s3 == 200
    assert json.loads(b2) == json.loads(b3) == json.loads(body)


@pytest.mark.parametrize(("accept", "media"), [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/*", "text/csv"),
    ("*/*", "application/sparql-results+json"),
])
def test_select_results_by_accept(server: Server, accept: str, media: str) -> None:
    status, headers, body = get(server, NETWORKS, accept=accept)
    assert status == 200
    assert headers["content-type"].split(";")[0] == media
    text = body.decode("utf-8")
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["n"] and [C40] in rows
    elif media == "text/tab-separated-values":
        assert text.splitlines()[0] == "?n" and f"<{C40}>" in text.splitlines()
    else:
        fmt = "json" if media.endswith("json") else "xml"
        parsed = rdflib.query.Result.parse(io.BytesIO(body), format=fmt)
        assert rdflib.URIRef(C40) in {row[0] for row in parsed}  # type: ignore[index]


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_construct_results_by_accept(server: Server, accept: str, fmt: ox.RdfFormat) -> None:
    q = f"CONSTRUCT {{ <{C40}> ?p ?o }} WHERE {{ <{C40}> ?p ?o }}"
    status, headers, body = get(server, q, accept=accept)
    assert status == 200 and headers["content-type"].split(";")[0] == accept
    triples = list(ox.parse(body, format=fmt))
    assert triples and all(t.subject == ox.NamedNode(C40) for t in triples)


def test_format_parameter_beats_accept(server: Server) -> None:
    status, headers, _ = get(server, NETWORKS, format="csv", accept="application/sparql-results+xml")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    status, _, body = get(server, NETWORKS, format="turtle")
    assert status == 400 and b"does not fit a SELECT" in body


def test_unacceptable_type_is_406(server: Server) -> None:
    status, _, body = get(server, NETWORKS, accept="image/png")
    assert status == 406 and b"application/sparql-results+json" in body


def test_ask_query(server: Server) -> None:
    status, _, body = get(server, f"ASK {{ <{C40}> ?p ?o }}")
    assert status == 200 and json.loads(body)["boolean"] is True


def test_default_and_named_graph_uri(server: Server) -> None:
    all_ = count(get(server, COUNT_NETWORKS)[2])
    ont = "https://w3id.org/citykg/graph/ontology"
    data = "https://w3id.org/citykg/graph/data"
    assert all_ > 0
    assert count(get(server, COUNT_NETWORKS, **{"default-graph-uri": ont})[2]) == 0
    assert count(get(server, COUNT_NETWORKS, **{"default-graph-uri": data})[2]) > 0
    unknown = "https://example.org/no-such-graph"
    assert count(get(server, COUNT_NETWORKS, **{"default-graph-uri": unknown})[2]) == 0
    # Networks are typed in the data graph (the count above); a type lookup, not a scan of
    # every quad (which took past the 30 s limit in the niced heavy lane of a loaded machine).
    q = ("PREFIX ckg: <https://w3id.org/citykg/ontology#> "
         "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a ckg:Network } } ORDER BY ?g")
    rows = json.loads(get(server, q, **{"named-graph-uri": data})[2])["results"]["bindings"]
    assert [r["g"]["value"] for r in rows] == [data]
    rows = json.loads(get(server, q, **{"named-graph-uri": unknown})[2])["results"]["bindings"]
    assert rows == []


def test_protocol_dataset_overrides_from(server: Server) -> None:
    q = ("PREFIX ckg: <https://w3id.org/citykg/ontology#> SELECT (COUNT(*) AS ?c) "
         "FROM <https://w3id.org/citykg/graph/data> WHERE { ?n a ckg:Network }")
    assert count(get(server, q)[2]) > 0
    assert count(get(server, q, **{
        "default-graph-uri": "https://w3id.org/citykg/graph/ontology"})[2]) == 0


@pytest.mark.parametrize(("kind", "status", "needle"), [
    ("malformed", 400, b"malformed query"),
    ("two-queries", 400, b"2 'query' parameters"),
    ("media-type", 400, b"unsupported media type"),
    ("not-utf8", 400, b"not valid UTF-8"),
    ("not-utf8-url", 400, b"not valid UTF-8"),
    ("empty", 400, b"empty"),
    ("update-query", 400, b"update"),
    ("update-form", 403, b"read-only"),
    ("update-body", 403, b"read-only"),
])
def test_bad_requests_get_readable_errors(server: Server, kind: str, status: int,
                                          needle: bytes) -> None:
    url = f"{server.url}/sparql"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    if kind == "malformed":
        got = get(server, "SELECT * WHERE { ?s ?p ")
    elif kind == "two-queries":
        got = http(f"{url}?query=ASK%7B%7D&query=ASK%7B%7D")
    elif kind == "media-type":
        got = http(url, data=b"ASK {}", headers={"Content-Type": "text/plain"})
    elif kind == "not-utf8":
        got = http(url, data="ASK { ?s ?p 'caf\u00e9' }".encode("latin-1"),
                   headers={"Content-Type": "application/sparql-query"})
    elif kind == "not-utf8-url":
        got = http(f"{url}?query=ASK%7B%7D%20%E9")
    elif kind == "empty":
        got = get(server, "  ")
    elif kind == "update-query":
        got = get(server, "INSERT DATA { <http://a> <http://b> <http://c> }")
    elif kind == "update-form":
        got = http(url, data=b"update=CLEAR%20ALL", headers=form)
    else:
        got = http(url, data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    code, headers, body = got
    assert code == status, body
    assert headers["content-type"].startswith("text/plain")
    assert needle in body and b"Traceback" not in body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(server: Server, method: str) -> None:
    status, _, _ = http(f"{server.url}/sparql?query=ASK%7B%7D", data=b"", method=method)
    assert status == 405


def test_service_description(server: Server) -> None:
    status, headers, body = http(f"{server.url}/sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.endpoint, rdflib.URIRef(f"{server.url}/sparql")) in g
    assert (None, sd.supportedLanguage, sd.SPARQL11Query) in g
    status, headers, body = http(f"{server.url}/sparql", headers={"Accept": "text/html"})
    assert status == 200 and b'id="query-form"' in body


def test_cors(server: Server) -> None:
    status, headers, _ = get(server, "ASK {}", **{"accept": "application/sparql-results+json"})
    req_headers = {"Origin": "https://example.org"}
    status, headers, _ = http(f"{server.url}/sparql?query=ASK%7B%7D", headers=req_headers)
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    status, headers, _ = http(f"{server.url}/sparql", method="OPTIONS", headers={
        **req_headers, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200 and "POST" in headers["access-control-allow-methods"]


def test_sparqlwrapper_client(server: Server) -> None:
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(f"{server.url}/sparql")
    sw.setQuery(NETWORKS)
    sw.setReturnFormat(JSON)
    rows = sw.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert C40 in {r["n"]["value"] for r in rows}
    sw.setMethod(POST)
    sw.setQuery(f"ASK {{ <{C40}> a ?t }}")
    assert sw.queryAndConvert()["boolean"] is True  # type: ignore[index]
    sw.setQuery(f"CONSTRUCT {{ <{C40}> ?p ?o }} WHERE {{ <{C40}> ?p ?o }}")
    sw.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=sw.queryAndConvert(), format="turtle")  # type: ignore[arg-type]
    assert (rdflib.URIRef(C40), None, None) in g


def test_rdflib_sparqlstore_client(server: Server) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(f"{server.url}/sparql", returnFormat="xml")
    g = rdflib.Graph(store=store)
    rows = list(g.query(NETWORKS))
    assert rdflib.URIRef(C40) in {r[0] for r in rows}  # type: ignore[index]
    labels = list(g.objects(rdflib.URIRef(C40), rdflib.RDFS.label))
    assert rdflib.Literal("C40 Cities Climate Leadership Group", lang="en") in labels
    assert bool(g.query(f"ASK {{ <{C40}> ?p ?o }}").askAnswer) is True


# --- content negotiation, as functions ------------------------------------------


def test_accept_parser_handles_q_values_wildcards_and_junk() -> None:
    ranges = parse_accept("text/html;level=1;q=0.7, */*;q=0.1, nonsense, text/*;q=x")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "html", 0.7), ("*", "*", 0.1), ("text", "*", 0.0)]
    offered = ["application/sparql-results+json", "text/csv"]
    assert best_match(None, offered) == offered[0]
    assert best_match("", offered) == offered[0]
    assert best_match("text/csv;q=0, */*", offered) == offered[0]
    assert best_match("text/csv;q=0, */*;q=0", offered) is None
    assert best_match("text/*;q=0.2, text/csv;q=0.9, */*;q=0.1", offered) == "text/csv"
    assert best_match("TEXT/CSV", offered) == "text/csv"


def test_html_preference_and_languages() -> None:
    rdf = ["text/turtle", "application/ld+json"]
    assert prefers_html(None, rdf)
    assert prefers_html("text/html,application/xhtml+xml,*/*;q=0.8", rdf)
    assert not prefers_html("text/turtle", rdf)
    assert not prefers_html("text/html;q=0.5, text/turtle", rdf)
    assert parse_accept_language("it, en;q=0.5, de;q=0") == ["it", "en"]
    assert pick_language(["en", "it-ch"], ["it"]) == "it-ch"
    assert pick_language(["", "de"], ["ja"]) == ""


def test_ad_hoc_queries_know_the_projects_prefixes(server: Server) -> None:
    """As in ``kg.sparql``: ``ckg:`` needs no declaration; a query's own declaration wins."""
    status, _, body = get(server, "SELECT ?n WHERE { ?n a ckg:TransnationalMunicipalNetwork }",
                          accept="text/csv")
    assert status == 200, body[:300]
    assert b"https://w3id.org/citykg/id/network/" in body
    status, _, body = get(server, "PREFIX ckg: <http://example.org/other#> "
                          "SELECT ?n WHERE { ?n a ckg:TransnationalMunicipalNetwork }",
                          accept="text/csv")
    assert status == 200 and body.strip() == b"n"
