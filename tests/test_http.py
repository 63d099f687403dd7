"""The one HTTP client: retries, Retry-After, politeness, typed errors, Basic-or-Digest auth.

Requests go to httpx's MockTransport (no socket): each test scripts the answers.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from citykg.errors import EndpointError
from citykg.http import HttpClient, HTTPStatusFailure, Policy, Retry

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, waits: list[float], **policy: object) -> HttpClient:
    clock = iter(range(0, 10_000, 1))
    return HttpClient(Policy(**policy), sleep=waits.append,  # type: ignore[arg-type]
                      clock=lambda: float(next(clock)), transport=httpx.MockTransport(handler),
                      user=None)


def test_retries_429_and_503_honouring_retry_after() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(503),
               httpx.Response(200, text="ok")]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["User-Agent"])
        return answers.pop(0)

    waits: list[float] = []
    c = client(handler, waits, retries=3, backoff=0.5, user_agent="citykg-test (x@example.org)")
    assert c.request("GET", "http://h/q").text == "ok"
    assert waits == [3.0, 1.0]  # Retry-After first, then the doubled backoff
    assert c.stats.requests == 3 and c.stats.retries == 2
    assert set(seen) == {"citykg-test (x@example.org)"}


def test_gives_up_with_a_typed_error() -> None:
    c = client(lambda r: httpx.Response(502), [], retries=2, backoff=0.1)
    with pytest.raises(EndpointError, match="gave up after 3 attempts") as err:
        c.request("GET", "http://h/q")
    assert err.value.kind == "endpoint"


def test_a_4xx_is_not_retried_and_says_query() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, text="bad query")

    with pytest.raises(HTTPStatusFailure) as err:
        client(handler, [], retries=3).request("POST", "http://h/q")
    assert err.value.kind == "query" and err.value.status == 400 and len(calls) == 1
    assert "bad query" in str(err.value)


def test_network_errors_are_retried_then_say_network() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(EndpointError) as err:
        client(handler, [], retries=1, backoff=0.1).request("GET", "http://h/q")
    assert err.value.kind == "network"


def test_a_check_can_ask_for_a_retry() -> None:
    bodies = ["trunc", "whole"]

    def check(response: httpx.Response) -> None:
        if response.text != "whole":
            raise Retry("truncated")

    c = client(lambda r: httpx.Response(200, text=bodies.pop(0)), [], retries=2, backoff=0.1)
    assert c.request("GET", "http://h/q", check=check).text == "whole"


def test_min_interval_spaces_requests() -> None:
    waits: list[float] = []
    c = client(lambda r: httpx.Response(200), waits, min_interval=5.0)
    c.request("GET", "http://h/a")
    c.request("GET", "http://h/b")  # the clock advanced 1 s per reading: wait the rest
    assert waits and all(0 < w <= 5.0 for w in waits)


@pytest.mark.parametrize("scheme", ["Basic", "Digest"])
def test_authentication_answers_the_scheme_the_server_asks_for(scheme: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        seen.append(auth.split(" ", 1)[0])
        if not auth:
            challenge = ('Digest realm="r", nonce="abc", qop="auth"' if scheme == "Digest"
                         else 'Basic realm="r"')
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        assert auth.startswith(scheme + " ")
        if scheme == "Digest":
            assert 'username="dba"' in auth
        return httpx.Response(204)

    c = HttpClient(Policy(), user="dba", password="secret",
                   transport=httpx.MockTransport(handler))
    assert c.request("PUT", "http://h/store", content=b"x").status_code == 204
    assert seen == ["", scheme]
