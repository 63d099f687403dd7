"""Fixtures of the stored-query tests: the fixture graph, golden files, ``--regen-golden``.

Golden files live beside this file, mirroring ``queries/``:
``tests/queries/<group>/<name>.<graph>.csv`` (SELECT: SPARQL CSV results,
blank nodes renamed in order of appearance), ``.nt`` (CONSTRUCT: sorted
N-Triples) or ``.txt`` (a query tagged ``network``: the offline refusal).
``<graph>`` is ``fixture`` (tests/fixtures/queries-fixture.trig) or
``shipped`` (the built graph). Regenerate on purpose with
``pytest tests/queries --regen-golden`` (or ``CITYKG_REGEN_GOLDEN=1``) and
review the diff.
"""

from __future__ import annotations

import os

import pytest
from goldenlib import build_fixture_kg


@pytest.fixture(scope="session")
def regen_golden(request: pytest.FixtureRequest) -> bool:
    """Whether golden files are to be rewritten rather than compared."""
    return bool(request.config.getoption("--regen-golden")) or os.environ.get(
        "CITYKG_REGEN_GOLDEN", "") not in ("", "0")


@pytest.fixture(scope="session")
def fixture_kg() -> object:
    """The fixture graph, built once (do not mutate it)."""
    return build_fixture_kg()


@pytest.fixture(scope="session")
def essay_kg() -> object:
    """The essay layer of the shipped data (goldenlib.ESSAY_FILES), built once (do not mutate it)."""
    from goldenlib import build_essay_kg

    return build_essay_kg()
