"""Helpers shared by the tests: paths, free ports and a real Oxigraph server.

Kept apart from ``conftest.py`` so that test modules can import them by name
(two ``conftest.py`` files exist, and ``from conftest import`` is ambiguous).
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from rdflib.term import BNode, Literal, URIRef

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oxigraph_bin() -> str:
    """The ``oxigraph`` server executable (from the ``oxigraph`` PyPI package)."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.exists():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        pytest.skip("the `oxigraph` server (pip package `oxigraph`) is not installed")
    return found


@contextlib.contextmanager
def oxigraph_server(location: Path, files: list[Path] | None = None, *,
                    read_only: bool = False, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """Start ``oxigraph serve`` on a free loopback port; yield its base URL.

    ``files`` are bulk-loaded first (N-Triples, N-Quads, Turtle, gzip allowed).
    """
    exe = oxigraph_bin()
    for f in files or []:
        subprocess.run([exe, "load", "--location", str(location), "--file", str(f)],
                       check=True, capture_output=True)
    port = free_port()
    cmd = [exe, "serve-read-only" if read_only else "serve", "--location", str(location),
           "--bind", f"127.0.0.1:{port}", *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"oxigraph server did not start: {err}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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


# --- comparing results of two engines ------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short",
                             "nonNegativeInteger", "positiveInteger", "byte", "unsignedInt")}


def norm(term: Any) -> Any:
    """A term with blank node labels and literal spellings normalised."""
    if term is None or isinstance(term, URIRef):
        return term
    if isinstance(term, BNode):
        return "_:b"
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype else None
        if term.language:
            return ("lit", str(term), term.language.lower())
        if dt in NUMERIC:
            try:
                return ("num", Decimal(str(term)).normalize())
            except InvalidOperation:
                return ("num", str(term))
        if dt == XSD + "boolean":
            return ("bool", str(term) in ("true", "1"))
        return ("lit", str(term), None if dt in (None, XSD + "string") else dt)
    return term


def rows(result: Any) -> Counter[Any]:
    """The result as a multiset of normalised rows."""
    from citykg.results import AskResult, GraphResult, SelectResult

    if isinstance(result, SelectResult):
        return Counter(tuple(norm(t) for t in r) for r in result.rows)
    if isinstance(result, AskResult):
        return Counter([bool(result)])
    assert isinstance(result, GraphResult)
    return Counter(tuple(norm(t) for t in tr) for tr in result.triples)
