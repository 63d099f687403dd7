"""Entity paths that make no IRI are a 400, and IRIs of unsafe schemes never become live links."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from citykg.server import pages
from citykg.server.app import ServerConfig, Site, create_app

RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
CITY = ox.NamedNode("https://w3id.org/citykg/id/city/x")
GRAPH = ox.NamedNode("https://w3id.org/citykg/graph/data")


class NoPool:
    pending = 0
    workers: tuple[object, ...] = ()


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    store = ox.Store()
    anyuri = ox.NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")
    store.extend([
        ox.Quad(CITY, RDFS_LABEL, ox.Literal("X", language="en"), GRAPH),
        ox.Quad(CITY, RDFS_SEE_ALSO, ox.NamedNode("javascript:alert(1)"), GRAPH),
        ox.Quad(CITY, RDFS_SEE_ALSO, ox.Literal("javascript:alert(2)", datatype=anyuri), GRAPH),
        ox.Quad(CITY, RDFS_SEE_ALSO, ox.Literal("data:text/html,<b>3</b>", datatype=anyuri), GRAPH),
        ox.Quad(CITY, RDFS_SEE_ALSO, ox.NamedNode("https://example.org/ok"), GRAPH),
    ])
    from citykg.config import Settings
    from citykg.queries import QueryLibrary

    library = QueryLibrary(list(Settings().query_dirs))  # the pages run the analytics queries
    site = Site(ServerConfig(), store, NoPool(), library, Path("/nonexistent"),  # type: ignore[arg-type]
                {}, {}, owns_folder=False)
    with TestClient(create_app(site), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", ["/id/a%20b", "/page/%FF", "/data/%FF.ttl", "/page/a%20b",
                                  "/data/a%20b.ttl", "/id/%3Cx%3E", "/page/city/%22x%22",
                                  "/id/x%7By%7D"])
def test_paths_that_make_no_iri_are_a_400(client, path: str) -> None:  # type: ignore[no-untyped-def]
    for accept in ("text/html", "text/turtle"):
        resp = client.get(path, headers={"Accept": accept}, follow_redirects=False)
        assert resp.status_code == 400, (path, resp.status_code, resp.text[:200])
        assert "not allowed in an IRI" in resp.text


def test_unknown_but_valid_paths_are_a_404(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/page/city/nowhere").status_code == 404
    assert client.get("/id/city/nowhere", follow_redirects=False).status_code == 404


def test_javascript_iris_are_text_not_links(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/page/city/x", headers={"Accept": "text/html"}).text
    assert "javascript:alert(1)" in html and "javascript:alert(2)" in html  # shown...
    assert 'href="javascript:' not in html.lower()  # ...never live
    assert 'href="data:' not in html.lower()
    assert 'href="https://example.org/ok"' in html


def test_safe_href() -> None:
    for bad in ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "vbscript:x", "data:text/html,x",
                "//evil.example/x", " javascript:x", "jav\tascript:x"]:
        assert pages.safe_href(bad) is None, bad
        assert pages.Link("x", bad).href is None
    for good in ["http://x/", "https://x/", "/page/city/q62", "mailto:a@b.c"]:
        assert pages.safe_href(good) == good
