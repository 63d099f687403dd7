"""Helpers shared by the tests: paths, free ports and a real Oxigraph server.

Kept apart from ``conftest.py`` so that test modules can import them by name
(two ``conftest.py`` files exist, and ``from conftest import`` is ambiguous).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

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
