"""A polite SPARQL client for Wikidata and its mirrors, with an on-disk cache.

Wikidata's query service asks its users for a descriptive ``User-Agent`` with
contact details (SPARQLWrapper's default agent gets HTTP 403; no agent gets
HTTP 200 with empty results), one request at a time, and respect for
``Retry-After`` on HTTP 429 and 503. :class:`WikidataClient` does all of that:

- one request at a time, at least ``min_interval`` seconds apart;
- a timeout on every request; retries with exponential backoff, honouring
  ``Retry-After`` (seconds or an HTTP date) on 429 and 503;
- a body that is truncated or not SPARQL JSON counts as a failure and is
  retried, never read as "no results";
- every good response is cached on disk (one JSON file per query, keyed by the
  SHA-256 of endpoint and query text, with the time it was retrieved) the
  moment it arrives, so a rerun costs no requests and an interrupted run
  resumes where it stopped; with ``max_age_days`` an older entry counts as
  absent and is asked again;
- :meth:`WikidataClient.lookup` batches many keys into ``VALUES`` blocks and
  caches the answer per key, so that a rerun with a different mix of keys
  still asks only for the keys it has never asked about.

The endpoint is any SPARQL 1.1 endpoint in Wikidata's shape (Wikidata,
a Wikibase, a QLever mirror, or a local stand-in).
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import socket
import time
import urllib.error
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import ConfigError, EndpointError

#: Wikidata's public query service.
DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"

#: The default User-Agent; Wikidata's policy wants a tool name, a URL and contact details.
DEFAULT_USER_AGENT = "citykg/0.1 (https://w3id.org/citykg; citykg@example.org) citykg-linker"

#: Where responses are cached unless told otherwise (relative to the working folder).
DEFAULT_CACHE_DIR = Path(".citykg-cache") / "wikidata"

#: HTTP statuses that are worth retrying.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

Binding = dict[str, dict[str, str]]
"""One row of a SPARQL JSON result: variable -> ``{"type", "value", ...}``."""


@dataclass
class ClientStats:
    """What a client did: requests sent, answers from the cache, retries, waits."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    waited: float = 0.0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CachedAnswer:
    """A SPARQL SELECT answer and the time (UTC) it was retrieved from the endpoint."""

    bindings: list[Binding]
    retrieved: datetime


def cache_key(endpoint: str, query: str) -> str:
    """The cache key of a query on an endpoint: SHA-256 of both, hex.

    >>> cache_key("http://x/sparql", "ASK {}")[:12]
    '8f0a89848f13'
    """
    return hashlib.sha256(f"{endpoint}\n{query}".encode()).hexdigest()


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


def sparql_string(text: str) -> str:
    """A SPARQL string literal (double-quoted, escaped) for ``text``.

    >>> sparql_string('Say "hi"\\n')
    '"Say \\\\"hi\\\\"\\\\n"'
    """
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


class _Retryable(Exception):
    """A failure worth another try; ``wait`` is what the server asked for, if anything."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def check_select_json(body: bytes) -> list[Binding]:
    """The bindings of a SPARQL JSON SELECT answer; a bad body raises ``ValueError``.

    A truncated body, HTML, an empty body or JSON of another shape is an error,
    never "no results".

    >>> check_select_json(b'{"head": {"vars": ["x"]}, "results": {"bindings": []}}')
    []
    >>> check_select_json(b'{"head": {"vars": ["x"]}, "results": {"bindi')
    Traceback (most recent call last):
    ValueError: the response is not JSON (truncated or another format): ...
    """
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"the response is not JSON (truncated or another format): {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("head"), dict):
        raise ValueError("the response is JSON but not a SPARQL result (no 'head')")
    results = doc.get("results")
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        raise ValueError("the response is JSON but has no 'results.bindings' list")
    rows = results["bindings"]
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError("a result row is not a JSON object")
    out: list[Binding] = rows
    return out


class WikidataClient:
    """A polite, caching SPARQL SELECT client (through SPARQLWrapper).

    ``sleep`` and ``clock`` can be replaced in tests. Library code: it raises
    :class:`~citykg.errors.EndpointError` and never prints.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        cache_dir: Path | None = DEFAULT_CACHE_DIR,
        timeout: float = 60.0,
        retries: int = 5,
        backoff: float = 2.0,
        max_wait: float = 300.0,
        min_interval: float = 0.0,
        batch_size: int = 50,
        max_age_days: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not user_agent.strip() or "python" in user_agent.lower().split("/")[0]:
            raise ConfigError("a descriptive User-Agent with contact details is required")
        if batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {batch_size}")
        if retries < 0 or timeout <= 0:
            raise ConfigError("retries must be >= 0 and the timeout positive")
        self.endpoint = endpoint
        self.user_agent = user_agent
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.min_interval = min_interval
        self.batch_size = batch_size
        self.max_age_days = max_age_days
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None

    # --- cache ------------------------------------------------------------

    def _cache_path(self, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / key[:2] / f"{key}.json"

    def _cache_get(self, query: str) -> CachedAnswer | None:
        path = self._cache_path(cache_key(self.endpoint, query))
        if path is None or not path.is_file():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            rows = doc["bindings"]
            retrieved = datetime.fromisoformat(doc["retrieved"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged entry is asked again, never trusted
        if not isinstance(rows, list):
            return None
        if retrieved.tzinfo is None:
            retrieved = retrieved.replace(tzinfo=UTC)
        if self.max_age_days is not None:
            age = datetime.now(UTC) - retrieved
            if age.total_seconds() > self.max_age_days * 86400:
                return None  # expired: asked again, and the new answer replaces it
        return CachedAnswer(rows, retrieved)

    def _cache_put(self, query: str, answer: CachedAnswer) -> None:
        path = self._cache_path(cache_key(self.endpoint, query))
        if path is None:
            return
        from .api import write_atomic

        doc = {
            "endpoint": self.endpoint,
            "query": query,
            "retrieved": answer.retrieved.isoformat(timespec="seconds"),
            "bindings": answer.bindings,
        }
        write_atomic(path, json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    # --- one request ------------------------------------------------------

    def _request(self, query: str) -> list[Binding]:
        """Send one query; return its bindings or raise ``_Retryable``/``EndpointError``."""
        from SPARQLWrapper import GET, JSON, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import (
            EndPointInternalError,
            EndPointNotFound,
            QueryBadFormed,
            Unauthorized,
            URITooLong,
        )

        if self.min_interval > 0 and self._last_request is not None:
            gap = self._clock() - self._last_request
            if gap < self.min_interval:
                self._wait(self.min_interval - gap)
        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setQuery(query)
        wrapper.setReturnFormat(JSON)
        wrapper.setMethod(POST if len(query) > 1500 else GET)
        wrapper.setTimeout(int(max(1, round(self.timeout))))
        self.stats.requests += 1
        self._last_request = self._clock()
        try:
            result = wrapper.query()
            body = result.response.read()
        except urllib.error.HTTPError as e:
            if e.code in RETRY_STATUSES:
                raise _Retryable(
                    f"HTTP {e.code}", parse_retry_after(e.headers.get("Retry-After"))
                ) from None
            if e.code == 403:
                raise EndpointError(
                    f"{self.endpoint}: HTTP 403 Forbidden (the endpoint refused the User-Agent "
                    f"{self.user_agent!r}; Wikidata wants a tool name and contact details)"
                ) from None
            raise EndpointError(f"{self.endpoint}: HTTP {e.code} {e.reason}") from None
        except EndPointInternalError:
            raise _Retryable("HTTP 500") from None
        except QueryBadFormed as e:
            raise EndpointError(
                f"{self.endpoint}: the query was refused as malformed: {e}", kind="query"
            ) from None
        except (EndPointNotFound, Unauthorized, URITooLong) as e:
            raise EndpointError(f"{self.endpoint}: {type(e).__name__}: {e}") from None
        except TimeoutError as e:
            raise _Retryable(f"timed out after {self.timeout:g} s ({e})") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError | socket.timeout):
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            raise _Retryable(f"network error: {e.reason}") from None
        except (http.client.HTTPException, ConnectionError, OSError) as e:
            raise _Retryable(f"connection failed mid-response: {type(e).__name__}: {e}") from None
        try:
            return check_select_json(body)
        except ValueError as e:
            raise _Retryable(str(e)) from None

    def _wait(self, seconds: float) -> None:
        self.stats.waited += seconds
        self._sleep(seconds)

    def select(self, query: str) -> CachedAnswer:
        """The answer to a SELECT query: from the cache, or from the endpoint (then cached).

        Retries with backoff; gives up with :class:`EndpointError` after
        ``retries`` failed retries.
        """
        cached = self._cache_get(query)
        if cached is not None:
            self.stats.cache_hits += 1
            return cached
        attempt = 0
        while True:
            try:
                rows = self._request(query)
            except _Retryable as e:
                self.stats.failures.append(str(e))
                if attempt >= self.retries:
                    raise EndpointError(
                        f"{self.endpoint}: gave up after {attempt + 1} attempts; last: {e}",
                        kind="endpoint",
                    ) from None
                delay = self.backoff * (2**attempt)
                if e.wait is not None:
                    if e.wait > self.max_wait:
                        raise EndpointError(
                            f"{self.endpoint}: asked to retry after {e.wait:g} s, more than "
                            f"the {self.max_wait:g} s allowed"
                        ) from None
                    delay = max(e.wait, delay if attempt else 0.0)
                attempt += 1
                self.stats.retries += 1
                self._wait(min(delay, self.max_wait))
                continue
            answer = CachedAnswer(rows, datetime.now(UTC).replace(microsecond=0))
            self._cache_put(query, answer)
            return answer

    # --- batched lookups --------------------------------------------------

    def lookup(
        self,
        keys: Iterable[str],
        make_query: Callable[[Sequence[str]], str],
        key_of: Callable[[Binding], str | None],
        *,
        batch_size: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, CachedAnswer]:
        """Answers for many keys, asked in ``VALUES`` batches and cached per key.

        ``make_query(keys)`` writes a query for a batch of keys; ``key_of(row)``
        says which key a result row answers. A key's cache entry is stored under
        the query for that key alone, so any later batch containing it is
        answered from the cache.
        """
        size = batch_size or self.batch_size
        wanted = sorted(set(keys))
        out: dict[str, CachedAnswer] = {}
        todo: list[str] = []
        for k in wanted:
            cached = self._cache_get(make_query([k]))
            if cached is not None:
                self.stats.cache_hits += 1
                out[k] = cached
            else:
                todo.append(k)
        done = len(out)
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            answer = self.select(make_query(batch))
            per_key: dict[str, list[Binding]] = {k: [] for k in batch}
            for row in answer.bindings:
                found = key_of(row)
                if found is not None and found in per_key:
                    per_key[found].append(row)
            for k in batch:
                single = CachedAnswer(per_key[k], answer.retrieved)
                self._cache_put(make_query([k]), single)
                out[k] = single
            done += len(batch)
            if progress is not None:
                progress(done, len(wanted))
        return out


def value(row: Binding, var: str) -> str | None:
    """The lexical value of ``var`` in a result row, or ``None`` when unbound."""
    cell = row.get(var)
    return cell.get("value") if cell else None


__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_ENDPOINT",
    "DEFAULT_USER_AGENT",
    "Binding",
    "CachedAnswer",
    "ClientStats",
    "WikidataClient",
    "cache_key",
    "check_select_json",
    "parse_retry_after",
    "sparql_string",
    "value",
]
