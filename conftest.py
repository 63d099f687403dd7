"""Fixtures for the whole run, the doctests in citykg/ included: the build cache.

The run's builds (``citykg.load()``, the command line in subprocesses) go to
one cache folder of its own, never to the user's: the xdist workers share it,
so the shipped graph is built once per run, under the cache's lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# no build is pruned while another worker may have it open
os.environ.setdefault("CITYKG_CACHE_KEEP", "1000")


@pytest.fixture(scope="session")
def build_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build cache of this test run (never the user's own cache folder).

    Under pytest-xdist the workers share one folder beside their own temporary
    folders: the cache's lock makes the first worker build and the others wait
    for, then open, that build. ``$CITYKG_TEST_CACHE_DIR`` names a folder to
    reuse between runs instead (builds are keyed by their inputs).
    """
    if os.environ.get("CITYKG_TEST_CACHE_DIR"):  # a developer's own, kept between runs
        return Path(os.environ["CITYKG_TEST_CACHE_DIR"])
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "build-cache"
        shared.mkdir(exist_ok=True)
        return shared
    return tmp_path_factory.mktemp("build-cache")


@pytest.fixture(scope="session", autouse=True)
def _session_build_cache(build_cache_dir: Path) -> Iterator[None]:
    """Every build of the run (``citykg.load()``, the CLI in subprocesses) goes to
    the session's build cache, never to the user's own: one build of the shipped
    graph serves the whole run."""
    old = os.environ.get("CITYKG_CACHE_DIR")
    os.environ["CITYKG_CACHE_DIR"] = str(build_cache_dir)
    yield
    if old is None:
        os.environ.pop("CITYKG_CACHE_DIR", None)
    else:
        os.environ["CITYKG_CACHE_DIR"] = old


