"""Shared fixtures: the built graph (once per session) and real SPARQL servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import FIXTURES, ROOT, free_port, oxigraph_bin, oxigraph_server
from server_fixtures import Server, dump_for_tests, running_server

__all__ = ["FIXTURES", "ROOT", "free_port", "oxigraph_bin", "oxigraph_server"]



def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite the golden result files of tests/queries (review the diff)")


@pytest.fixture(scope="session")
def kg(build_cache_dir: Path) -> object:
    """The shipped graph, built once with reasoning and validation (do not mutate it).

    It is the session's cached build (:mod:`citykg.buildcache`), opened read-only:
    the xdist workers share one build folder, so the 1.1M-triple graph is built
    once per run, under the cache's lock, instead of once per worker and fixture.
    (Building in memory is tested by the tests that call ``build()`` themselves.)
    """
    from citykg.api import open_kg
    from citykg.config import Settings

    return open_kg(Settings(store_path=build_cache_dir))


@pytest.fixture(scope="session")
def built_nquads(kg: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built graph as an N-Quads file."""
    out = tmp_path_factory.mktemp("dump") / "citykg.nq"
    kg.export("nquads", out=out)  # type: ignore[attr-defined]
    return out


@pytest.fixture(scope="session")
def cached_kg(kg: object) -> object:
    """The shipped graph from the session's build cache (the same object as ``kg``)."""
    return kg


@pytest.fixture
def run_cli(build_cache_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m citykg ARGS`` in a subprocess; returns the completed process."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        e = dict(os.environ)
        e["CITYKG_CACHE_DIR"] = str(build_cache_dir)
        e.update(env or {})
        return subprocess.run([sys.executable, "-m", "citykg", *args], capture_output=True,
                              text=True, cwd=cwd or ROOT, env=e, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def standin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Wikidata stand-in served by a real Oxigraph server on a loopback port."""
    with oxigraph_server(tmp_path_factory.mktemp("standin") / "db", [FIXTURES / "wikidata" / "standin.nt.gz"],
                         read_only=True) as url:
        yield f"{url}/query"


@pytest.fixture(scope="session")
def server_under_base_url(request: pytest.FixtureRequest,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``citykg serve --base-url http://localhost:1/citykg`` on the shipped graph, for page tests.

    Shared by the page test modules, which run in one xdist group (one server, not one each).
    """
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-pages"),
                        "--base-url", "http://localhost:1/citykg", prefix="/citykg") as s:
        yield s
