"""Shared fixtures: the built graph (once per session) and real SPARQL servers."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite the golden result files of tests/queries (review the diff)")


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


@pytest.fixture(scope="session")
def kg() -> object:
    """The shipped graph, built once with reasoning (do not mutate it)."""
    from citykg.api import KnowledgeGraph

    g = KnowledgeGraph()
    g.build()
    return g


@pytest.fixture(scope="session")
def built_nquads(kg: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built graph as an N-Quads file."""
    out = tmp_path_factory.mktemp("dump") / "citykg.nq"
    kg.export("nquads", out=out)  # type: ignore[attr-defined]
    return out


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m citykg ARGS`` in a subprocess; returns the completed process."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([sys.executable, "-m", "citykg", *args], capture_output=True,
                              text=True, cwd=cwd or ROOT, env=e, timeout=timeout)

    return run
