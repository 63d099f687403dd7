"""The polite Wikidata client against a real Oxigraph server behind a fault-injecting proxy.

The proxy forwards to an Oxigraph server holding the Wikidata stand-in and,
on demand, answers 429 with ``Retry-After``, 503, 403, a truncated body, a
body that is not JSON, or nothing for longer than the client's timeout.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FIXTURES, oxigraph_server

from citykg.errors import EndpointError
from citykg.wikidata import WikidataClient, value

STANDIN = FIXTURES / "wikidata" / "standin.nt.gz"
ATHENS = ('SELECT ?item WHERE { ?item <http://www.w3.org/2000/01/rdf-schema#label> "Athens"@en }'
          " ORDER BY ?item")


class FaultProxy:
    """A loopback HTTP proxy to one SPARQL endpoint that injects scripted faults.

    ``faults`` is a list consumed one per request: ``"429"``, ``"503"``,
    ``"403"``, ``"truncated"``, ``"html"``, ``"slow"`` (sleeps 2 s first), or
    ``"ok"``. ``requests`` counts the requests that reached the proxy and
    ``agents`` records their User-Agent headers.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.faults: list[str] = []
        self.requests = 0
        self.agents: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, body: bytes | None) -> tuple[int, bytes, str]:
                req = urllib.request.Request(proxy.target + self.path[len("/query"):] if
                                             self.path.startswith("/query") else proxy.target,
                                             data=body, method=self.command)
                for h in ("Accept", "Content-Type", "User-Agent"):
                    if self.headers.get(h):
                        req.add_header(h, self.headers[h])
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.read(), r.headers.get("Content-Type", "")

            def _handle(self) -> None:
                proxy.requests += 1
                proxy.agents.append(self.headers.get("User-Agent", ""))
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                fault = proxy.faults.pop(0) if proxy.faults else "ok"
                if fault in ("429", "503", "403"):
                    self.send_response(int(fault))
                    if fault != "403":
                        self.send_header("Retry-After", "3" if fault == "429" else "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if fault == "slow":
                    time.sleep(2.5)
                status, data, ctype = self._forward(body)
                if fault == "html":
                    data, ctype = b"<html><body>Service Unavailable</body></html>", "text/html"
                if fault == "truncated":
                    data = data[: max(1, len(data) // 2)]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/query"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def standin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Wikidata stand-in served by a real Oxigraph server on a loopback port."""
    with oxigraph_server(tmp_path_factory.mktemp("standin") / "db", [STANDIN],
                         read_only=True) as url:
        yield f"{url}/query"


@pytest.fixture
def proxy(standin_url: str) -> Iterator[FaultProxy]:
    p = FaultProxy(standin_url)
    yield p
    p.close()


def make_client(url: str, cache: Path | None, waits: list[float], **kw: object) -> WikidataClient:
    return WikidataClient(url, cache_dir=cache, timeout=1, retries=kw.pop("retries", 5),  # type: ignore[arg-type]
                          backoff=0.5, sleep=waits.append, **kw)  # type: ignore[arg-type]


def test_faults_are_retried_and_retry_after_is_honoured(proxy: FaultProxy, tmp_path: Path) -> None:
    waits: list[float] = []
    client = make_client(proxy.url, tmp_path, waits)
    proxy.faults = ["429", "503", "truncated", "html", "slow"]
    answer = client.select(ATHENS)
    qids = sorted(value(r, "item") or "" for r in answer.bindings)
    assert qids == ["http://www.wikidata.org/entity/Q1524"]
    assert proxy.requests == 6 and client.stats.retries == 5
    assert waits[0] == 3.0  # Retry-After: 3 on the 429, taken as given
    assert waits[1] >= 1.0  # Retry-After: 1 on the 503, or the backoff if longer
    assert any("not JSON" in f for f in client.stats.failures)  # truncated, never "no results"
    assert any("timed out" in f for f in client.stats.failures)
    assert all(a.startswith("citykg/") and "@" in a for a in proxy.agents)


def test_giving_up_raises_and_caches_nothing(proxy: FaultProxy, tmp_path: Path) -> None:
    client = make_client(proxy.url, tmp_path, [], retries=2)
    proxy.faults = ["truncated"] * 3
    with pytest.raises(EndpointError, match="gave up after 3 attempts"):
        client.select(ATHENS)
    assert not list(tmp_path.rglob("*.json"))
    proxy.faults = ["403"]
    with pytest.raises(EndpointError, match="User-Agent"):
        client.select(ATHENS)


def test_cache_makes_a_rerun_free_and_lookups_resume(proxy: FaultProxy, tmp_path: Path) -> None:
    def make(batch: object) -> str:
        names = " ".join(f'"{n}"@en' for n in batch)  # type: ignore[attr-defined]
        return ("SELECT ?key ?item WHERE { VALUES ?key { " + names +
                " } ?item <http://www.w3.org/2000/01/rdf-schema#label> ?key }")

    def key(row: dict[str, dict[str, str]]) -> str | None:
        return value(row, "key")

    client = make_client(proxy.url, tmp_path, [], batch_size=2)
    got = client.lookup(["Athens", "Paris", "Berlin"], make, key)
    assert proxy.requests == 2  # two batches for three keys
    assert [value(r, "item") for r in got["Paris"].bindings] == ["http://www.wikidata.org/entity/Q90"]
    again = make_client(proxy.url, tmp_path, [], batch_size=2)
    again.lookup(["Berlin", "Athens", "Paris", "Rome"], make, key)  # another mix of keys
    assert proxy.requests == 3 and again.stats.requests == 1  # only Rome is new
    assert again.select(make(["Athens", "Berlin"])).bindings  # the first batch (sorted keys)
    assert proxy.requests == 3
