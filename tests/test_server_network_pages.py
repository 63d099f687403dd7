"""``citykg serve`` pages of the Covenant of Mayors layer: a signatory, a coordinator, a supporter."""

from __future__ import annotations

import pytest
from server_fixtures import Server
from server_fixtures import http_request as http

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("server-under-base-url")]


@pytest.fixture
def server(server_under_base_url: Server) -> Server:
    return server_under_base_url


@pytest.mark.parametrize(("path", "expected"), [
    ("membership/covenant-of-mayors-11948", ["Covenant of Mayors", "City government of Barcelona",
                                             "2008-11-19", "Province of Barcelona", "EUROCITIES"]),
    ("city-government/q1492", ["City government of Barcelona", "ES0002"]),
    ("organization/province-of-barcelona", ["Province of Barcelona",
                                            "covenant-of-mayors-signatories-2024.csv, row"]),
    ("network/climate-alliance", ["Climate Alliance"]),
    ("local-authority-group/covenant-20493", ["Alkmaar, Bergen, Castricum"]),
    ("commitment/nzt-cit-0003-end", ["Climate neutral", "2045"]),
])
def test_signatory_coordinator_supporter_pages_render(server: Server, path: str,
                                                      expected: list[str]) -> None:
    status, headers, body = http(server.url + f"/page/{path}", headers={"Accept": "text/html"})
    assert status == 200, (path, status, body[:300])
    assert headers["content-type"].startswith("text/html")
    text = body.decode("utf-8")
    for needle in expected:
        assert needle in text, (path, needle)
