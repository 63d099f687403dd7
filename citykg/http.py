"""The one HTTP client of citykg: every outbound request goes through :class:`HttpClient`.

Built on httpx, with the politeness and retry policy in one place
(:class:`Policy`):

- a descriptive ``User-Agent`` on every request;
- at least ``min_interval`` seconds between two requests of one client;
- a timeout on every request;
- retries with exponential backoff on network errors, timeouts and HTTP 429,
  500, 502, 503 and 504, honouring ``Retry-After`` (seconds or an HTTP date)
  up to ``max_wait``; a ``check`` of the body may ask for a retry too (a
  truncated answer is a failure, never "no results");
- an HTTP error that is not worth retrying, or the last failure, raises
  :class:`~citykg.errors.EndpointError` saying which side failed: ``network``,
  ``query`` (HTTP 4xx: the request was refused) or ``endpoint`` (the server).

Authentication (``user``/``password``) answers whichever of HTTP Basic and
Digest the server asks for.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .errors import ConfigError, EndpointError

#: HTTP statuses that are worth another try.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: The default User-Agent: a tool name, a URL and contact details.
DEFAULT_USER_AGENT = "citykg/0.1 (https://w3id.org/citykg; citykg@example.org)"


@dataclass(frozen=True)
class Policy:
    """How politely and how persistently a client asks."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 300.0
    min_interval: float = 0.0

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ConfigError("a descriptive User-Agent is required")
        if self.retries < 0 or self.timeout <= 0:
            raise ConfigError("retries must be >= 0 and the timeout positive")


@dataclass
class HttpStats:
    """What a client did: requests sent, retries, time waited, the failures retried."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    failures: list[str] = field(default_factory=list)


class Retry(Exception):
    """Raised by a ``check`` (or inside the client) for a failure worth another try."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class HTTPStatusFailure(EndpointError):
    """An HTTP error status not worth retrying; ``status`` is the code."""

    def __init__(self, message: str, kind: str, status: int) -> None:
        super().__init__(message, kind)
        self.status = status


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (seconds or an HTTP date).

    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC))
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class BasicOrDigest(httpx.Auth):
    """HTTP authentication with whichever of Basic and Digest the server's challenge names."""

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self._scheme: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        flow = self._digest.auth_flow(request)
        response = yield next(flow)
        challenge = response.headers.get("WWW-Authenticate", "").split(" ", 1)[0].lower()
        if response.status_code != 401 or challenge not in ("basic", "digest"):
            return
        if challenge == "basic":
            self._scheme = "basic"
            yield from self._basic.auth_flow(request)
            return
        try:
            retry = flow.send(response)
        except StopIteration:
            return
        yield retry


class HttpClient:
    """HTTP requests under one :class:`Policy`; raises :class:`~citykg.errors.EndpointError`.

    ``sleep`` and ``clock`` can be replaced in tests; ``transport`` too.
    """

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        stats: HttpStats | None = None,
    ) -> None:
        self.policy = policy or Policy()
        self.stats = stats if stats is not None else HttpStats()
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self._client = httpx.Client(
            headers={"User-Agent": self.policy.user_agent},
            timeout=self.policy.timeout,
            auth=BasicOrDigest(user, password or "") if user else None,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self, seconds: float) -> None:
        """Sleep, and count the time in the statistics."""
        self.stats.waited += seconds
        self._sleep(seconds)

    def _polite(self) -> None:
        gap = self.policy.min_interval
        if gap > 0 and self._last is not None:
            since = self._clock() - self._last
            if since < gap:
                self.wait(gap - since)

    def _once(
        self, method: str, url: str, missing_ok: bool, kwargs: Mapping[str, Any]
    ) -> httpx.Response:
        self._polite()
        self.stats.requests += 1
        self._last = self._clock()
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise Retry(f"timed out after {self.policy.timeout:g} s") from None
        except httpx.TransportError as e:
            raise Retry(f"network error: {type(e).__name__}: {e}") from None
        if response.status_code in RETRY_STATUSES:
            raise Retry(
                f"HTTP {response.status_code} {response.reason_phrase}",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 400 and not (missing_ok and response.status_code == 404):
            detail = response.text[:300].strip().replace("\n", " ")
            kind = "query" if response.status_code < 500 else "endpoint"
            raise HTTPStatusFailure(
                f"{method} {url}: HTTP {response.status_code} {response.reason_phrase} "
                f"(the {kind} failed)" + (f": {detail}" if detail else ""),
                kind,
                response.status_code,
            )
        return response

    def request(
        self,
        method: str,
        url: str,
        *,
        check: Callable[[httpx.Response], Any] | None = None,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request, retrying under the policy; return the good response.

        ``check(response)`` may raise :class:`Retry` for a body that is not
        acceptable; ``missing_ok`` accepts a 404. ``kwargs`` go to httpx
        (``data``, ``content``, ``params``, ``headers``).
        """
        attempt = 0
        while True:
            try:
                response = self._once(method, url, missing_ok, kwargs)
                if check is not None:
                    check(response)
                return response
            except Retry as e:
                self.stats.failures.append(str(e))
                network = str(e).startswith(("network error", "timed out"))
                kind = "network" if network else "endpoint"
                if attempt >= self.policy.retries:
                    tries = f"gave up after {attempt + 1} attempts; last: " if attempt else ""
                    raise EndpointError(f"{url}: {tries}{e}", kind) from None
                delay = self.policy.backoff * (2**attempt)
                if e.wait is not None:
                    if e.wait > self.policy.max_wait:
                        raise EndpointError(
                            f"{url}: asked to retry after {e.wait:g} s, more than "
                            f"the {self.policy.max_wait:g} s allowed",
                            kind,
                        ) from None
                    delay = max(e.wait, delay if attempt else 0.0)
                attempt += 1
                self.stats.retries += 1
                self.wait(min(delay, self.policy.max_wait))


__all__ = [
    "DEFAULT_USER_AGENT",
    "RETRY_STATUSES",
    "BasicOrDigest",
    "HTTPStatusFailure",
    "HttpClient",
    "HttpStats",
    "Policy",
    "Retry",
    "parse_retry_after",
]
