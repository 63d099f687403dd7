"""Start a real ``citykg serve`` in a subprocess on a free loopback port, for tests and bench.

Test modules import :func:`running_server` (and the fixtures built on it);
``bench/bench_server.py`` imports it too. The server serves the test run's
cached build (a RocksDB checkpoint of it: it starts in seconds, without a copy
of the graph through N-Quads), or a given N-Quads dump (``--from-dump``).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server: its base URL, its process and the file its log goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_server(dump: Path | None, log_dir: Path, *args: str, startup: float = 120,
                   prefix: str = "") -> Iterator[Server]:
    """Run ``citykg serve --from-dump DUMP ARGS`` on a free port; yield it once it answers.

    With ``dump`` None it serves the shipped graph's build from the build cache
    that ``$CITYKG_CACHE_DIR`` names (the test run's: the ``kg`` fixture has built it).
    ``prefix`` is the path of ``--base-url`` if one is given; the yielded URL includes it.
    """
    port = free_port()
    log_path = log_dir / f"serve-{port}.log"
    source = ["--from-dump", str(dump), "--no-reasoning"] if dump is not None else []
    cmd = [sys.executable, "-m", "citykg", "serve", *source, "--port", str(port), *args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log_path.open("wb") as logf:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}{prefix}"
    server = Server(url, proc, log_path)
    try:
        deadline = time.monotonic() + startup
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"citykg serve did not start:\n{server.log()[-3000:]}") \
                        from None
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class Trap:
    """A loopback HTTP server that records every request: no query may ever reach it."""

    url: str
    hits: list[str] = field(default_factory=list)


@contextlib.contextmanager
def trap_server() -> Iterator[Trap]:
    """Serve a trap URL on loopback; record (and answer) any request made to it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _hit(self) -> None:
            hits.append(f"{self.command} {self.path}")
            body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _hit

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Trap(f"http://127.0.0.1:{httpd.server_address[1]}", hits)
    finally:
        httpd.shutdown()
        httpd.server_close()


def dump_for_tests(request: object) -> Path | None:
    """What the test servers serve: None for the run's cached build of the shipped graph.

    ``CITYKG_TEST_DUMP`` names an N-Quads dump to serve instead. Otherwise the
    session's ``kg`` fixture makes sure the build is in the run's cache, which
    ``citykg serve`` then opens (``$CITYKG_CACHE_DIR``, set for the whole run).
    """
    given = os.environ.get("CITYKG_TEST_DUMP")
    if given:
        return Path(given)
    request.getfixturevalue("kg")  # type: ignore[attr-defined]
    assert os.environ.get("CITYKG_CACHE_DIR"), "the run's build cache is not set"
    return None


def http_request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str | None = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """A raw HTTP request; returns status, headers (lower-case names) and body, errors included."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def wait_until_idle(server: Server, timeout: float = 120) -> None:
    """Wait until every worker of every lane is idle (a worker killed by an earlier
    test is restarted in the background; a test that counts on a free worker waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = http_request(f"{server.url}/healthz")
        lanes = json.loads(body)["lanes"] if status == 200 else {}
        if lanes and all(lane["idle"] == lane["workers"] for lane in lanes.values()):
            return
        time.sleep(0.1)
    raise AssertionError(f"the server's workers were not idle within {timeout:g} s")
