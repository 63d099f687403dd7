"""Every stored query against the fixture graph and the shipped graph, compared with its golden file.

These goldens are snapshots: they check that nothing changed, not that it is
right. A query with rows written by hand from the essay
(``tests/queries/essay/``, checked by test_essay_expected.py) has no shipped
snapshot: its answer on the shipped data is checked against the essay
instead; snapshots of the shipped graph remain for the generated and dataset
layers only. A query without a golden file fails. Regenerate on purpose with
``pytest tests/queries --regen-golden`` and review the diff (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from goldenlib import HERE, golden_text

from citykg.errors import NetworkRequiredError
from citykg.queries import QueryLibrary
from citykg.resources import resource_dir

LIBRARY = QueryLibrary([resource_dir("queries")])
NAMES = [q.name for q in LIBRARY]
GRAPHS = ("fixture", "shipped")
#: Queries whose essay-layer answer is written by hand (no shipped snapshot).
HAND_WRITTEN = {p.relative_to(HERE / "essay").with_suffix("").as_posix()
                for p in (HERE / "essay").rglob("*.csv")}


def _snapshotted(name: str, graph: str) -> bool:
    return not (graph == "shipped" and name in HAND_WRITTEN)


def _golden_base(name: str, graph: str) -> Path:
    return HERE / f"{name}.{graph}"


def _existing(base: Path) -> list[Path]:
    return sorted(p for p in base.parent.glob(base.name + ".*") if p.suffix in (".csv", ".nt", ".txt"))


# Not here: the queries whose shipped answer is checked against rows written by
# hand from the essay (test_essay_expected.py).
#: Goldens over the shipped graph that take more than about 10 s (CONTRIBUTING): the slow set.
SLOW = {("analytics/network-memberships", "shipped"), ("analytics/places", "shipped"),
        ("quality/missing-english-labels", "shipped")}


@pytest.mark.parametrize(
    ("name", "graph"),
    [pytest.param(n, g, marks=[pytest.mark.slow] if (n, g) in SLOW else [], id=f"{n}-{g}")
     for n in NAMES for g in GRAPHS if _snapshotted(n, g)],
)
def test_query_matches_golden(name: str, graph: str, request: pytest.FixtureRequest,
                              regen_golden: bool) -> None:
    kg = request.getfixturevalue("fixture_kg" if graph == "fixture" else "kg")
    query = LIBRARY.get(name)
    if query.needs_network:
        with pytest.raises(NetworkRequiredError) as err:
            kg.query(name)
        suffix, text = ".txt", str(err.value) + "\n"
    else:
        suffix, text = golden_text(kg.query(name, limit=None))
    base = _golden_base(name, graph)
    path = base.with_name(base.name + suffix)
    if regen_golden:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return
        for old in _existing(base):
            old.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        pytest.fail(f"--regen-golden rewrote {path.relative_to(HERE.parent.parent)} from the code "
                    "under test: check it against the source (the essay, the dataset), review "
                    "the diff, and rerun without --regen-golden", pytrace=False)
    if not path.exists():
        pytest.fail(f"no golden file {path.relative_to(HERE.parent.parent)} for query '{name}' "
                    f"on the {graph} graph: run `pytest tests/queries --regen-golden` and review it")
    assert text == path.read_text(encoding="utf-8"), (
        f"query '{name}' on the {graph} graph differs from {path.name}; if the change is "
        "intended, regenerate with --regen-golden and review the diff")


def test_no_stale_golden_files() -> None:
    """Every golden file belongs to a stored query (a renamed query leaves none behind)."""
    expected = {str(_golden_base(n, g)) for n in NAMES for g in GRAPHS if _snapshotted(n, g)}
    stale = [p for p in HERE.rglob("*.*.*")
             if "essay" not in p.relative_to(HERE).parts and p.suffix in (".csv", ".nt", ".txt") and str(p.with_suffix("")) not in expected]
    assert not stale, f"golden files of no stored query: {stale}"
