"""The polite Wikidata client against a real Oxigraph server behind a fault-injecting proxy.

The proxy forwards to an Oxigraph server holding the Wikidata stand-in and,
on demand, answers 429 with ``Retry-After``, 503, 403, a truncated body, a
body that is not JSON, or nothing for longer than the client's timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FaultProxy

from citykg.errors import EndpointError
from citykg.wikidata import WikidataClient, value

ATHENS = ('SELECT ?item WHERE { ?item <http://www.w3.org/2000/01/rdf-schema#label> "Athens"@en }'
          " ORDER BY ?item")


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
