"""``citykg serve`` pages of the Covenant of Mayors layer: a signatory, a coordinator, a supporter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_fixtures import Server, dump_for_tests, running_server
from test_server_protocol import http

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-networks"),
                        "--base-url", "http://localhost:1/citykg", prefix="/citykg") as s:
        yield s


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
