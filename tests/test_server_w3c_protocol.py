"""The W3C SPARQL 1.1 Protocol tests, read from their manifest, against a real ``citykg serve``.

``tests/fixtures/w3c-protocol/`` holds the manifest and data of ``w3c/rdf-tests``
(``sparql/sparql11/protocol/``, see its README). The 27 query tests run here:
every ``query_*`` and ``bad_*`` record. The 7 ``update_*`` records need an
endpoint that accepts updates, which a read-only server refuses by design.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDFS
from server_fixtures import Server, running_server

# one worker runs the module, so its module-scoped server starts once
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_server_w3c_protocol")]

HERE = Path(__file__).resolve().parent / "fixtures" / "w3c-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml",
             "application/ld+json")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    fmt: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    name: str
    requests: list[Request] = field(default_factory=list)


def _manifest() -> tuple[list[ProtocolTest], dict[str, Path]]:
    g = Graph().parse(HERE / "manifest.ttl", format="turtle",
                      publicID="http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest")
    root = next(g.subjects(predicate=MF.entries))
    tests, graphs = [], {}
    for entry in Collection(g, g.value(root, MF.entries)):
        name = str(entry).rsplit("#", 1)[-1]
        for gd in g.objects(entry, UT.graphData):
            graphs[str(g.value(gd, RDFS.label))] = HERE / str(g.value(gd, UT.graph)).rsplit("/", 1)[-1]
        if name.startswith("update_"):
            continue
        test = ProtocolTest(name)
        action = g.value(entry, MF.action)
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {str(g.value(h, HT.fieldName)): str(g.value(h, HT.fieldValue))
                       for h in Collection(g, g.value(req, HT.headers))} \
                if g.value(req, HT.headers) is not None else {}
            body_node = g.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding)
            resp = g.value(req, HT.resp)
            statuses = {str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)}
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            test.requests.append(Request(
                str(g.value(req, HT.methodName)), str(g.value(req, HT.absolutePath)), headers,
                body, statuses, str(fmt) if fmt is not None else None,
                bool(boolean.toPython()) if boolean is not None else None))  # type: ignore[union-attr]
        tests.append(test)
    return tests, graphs


TESTS, GRAPHS = _manifest()


def test_the_manifest_has_27_query_tests() -> None:
    assert len(TESTS) == 27
    assert {t.name.split("_")[0] for t in TESTS} == {"query", "bad"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``citykg serve`` with each data file in the named graph the manifest gives it."""
    folder = tmp_path_factory.mktemp("w3c-protocol")
    quads = []
    for name, path in sorted(GRAPHS.items()):
        for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            quads.append(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name)))
    dump = folder / "protocol.nq"
    ox.serialize(quads, output=str(dump), format=ox.RdfFormat.N_QUADS)
    with running_server(dump, folder) as s:
        yield s


def _send(server: Server, req: Request) -> tuple[int, str, bytes]:
    url = urllib.parse.urlsplit(server.url)
    path = req.path.replace("/sparql/", "/sparql", 1)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        conn.putrequest(req.method, url.path + path)
        for k, v in req.headers.items():
            conn.putheader(k, v)
        if req.body is not None:
            conn.putheader("Content-Length", str(len(req.body)))
        conn.endheaders(req.body)
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type") or "", resp.read()
    finally:
        conn.close()


def _boolean(ctype: str, body: bytes) -> bool:
    if ctype.startswith("application/sparql-results+json"):
        return bool(json.loads(body)["boolean"])
    ns = "{http://www.w3.org/2005/sparql-results#}"
    node = ElementTree.fromstring(body).find(f"{ns}boolean")
    assert node is not None
    return node.text == "true"


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(server: Server, test: ProtocolTest) -> None:
    for req in test.requests:
        status, ctype, body = _send(server, req)
        klass = f"StatusCode{status // 100}xx"
        assert klass in req.statuses, (test.name, status, body[:300])
        if req.fmt == "boolean":
            assert ctype.startswith(RESULT_TYPES[:2]), ctype
            if req.boolean is not None:
                assert _boolean(ctype, body) is req.boolean
        elif req.fmt == "tabular":
            assert ctype.startswith(RESULT_TYPES), ctype
        elif req.fmt == "RDF":
            assert ctype.startswith(RDF_TYPES), ctype
            fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples":
                   ox.RdfFormat.N_TRIPLES}.get(ctype.split(";")[0])
            if fmt is not None:
                list(ox.parse(body, format=fmt))  # the answer is well-formed RDF


def test_relative_iris_resolve_against_the_endpoint(server: Server) -> None:
    req = Request("POST", "/sparql/", {"content-type": "application/sparql-query",
                                       "accept": "application/n-triples"},
                  b"CONSTRUCT { <s> <p> 1 } WHERE {}", {"StatusCode2xx"}, "RDF", None)
    status, _, body = _send(server, req)
    assert status == 200
    assert body.startswith(f"<{server.url}/s> <{server.url}/p> ".encode()), body
