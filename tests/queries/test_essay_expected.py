"""Stored queries answering competency questions from the essay layer, checked against rows written by hand.

Each file ``tests/queries/essay/<group>/<name>.csv`` is written by hand from
the founding essay, never from a query's output: ``#`` lines say what it
covers (and ``# params: name=value`` the parameters), the header names the
query's columns to compare, and the last column, ``essay``, cites the
paragraph that supports the row (free text: everything after the last compared
column). The query runs on the essay layer of the
shipped data (:data:`goldenlib.ESSAY_FILES`) and the distinct rows it
returns, projected onto those columns, must be exactly the rows of the file:
a row the essay does not support fails, and so does a row the essay supports
that the query misses. In cells, ``id:`` abbreviates
``https://w3id.org/citykg/id/`` and ``ckg:`` the ontology namespace; an empty
cell is an unbound value.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from goldenlib import HERE

from citykg.queries import QueryLibrary, questions_of
from citykg.resources import resource_dir

LIBRARY = QueryLibrary([resource_dir("queries")])
EXPECTED_DIR = HERE / "essay"
EXPECTED = sorted(EXPECTED_DIR.rglob("*.csv"))
#: The competency questions whose answer comes from the essay layer (the
#: others are about memberships, twinnings and Wikidata: dataset layers).
ESSAY_QUESTIONS = {1, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20}
PREFIXES = {"id:": "https://w3id.org/citykg/id/", "ckg:": "https://w3id.org/citykg/ontology#"}


def query_name(path: Path) -> str:
    """``essay/networks/mergers.csv`` -> ``networks/mergers``."""
    return path.relative_to(EXPECTED_DIR).with_suffix("").as_posix()


def expand(cell: str) -> str:
    for short, full in PREFIXES.items():
        if cell.startswith(short):
            return full + cell[len(short):]
    return cell


def read_expected(path: Path) -> tuple[dict[str, str], list[str], set[tuple[str, ...]]]:
    """Parameters, compared columns and rows of a hand-written file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    params: dict[str, str] = {}
    for line in lines:
        m = re.match(r"#\s*params:\s*(.+)$", line)
        if m:
            for pair in m.group(1).split(","):
                k, v = pair.strip().split("=", 1)
                params[k.strip()] = expand(v.strip())
    body = [line for line in lines if not line.startswith("#")]
    reader = csv.reader(body)
    header = next(reader)
    assert header[-1] == "essay", f"{path.name}: the last column cites the essay"
    columns = header[:-1]
    rows: set[tuple[str, ...]] = set()
    for n, row in enumerate(reader, start=2):
        if len(row) > len(header):  # the citation is free text, commas and quotes included
            row = [*row[:len(header) - 1], ",".join(row[len(header) - 1:])]
        assert len(row) == len(header), f"{path.name}: row {n} has {len(row)} cells, not {len(header)}"
        assert row[-1].strip(), f"{path.name}: row {n} cites no paragraph"
        rows.add(tuple(expand(c) for c in row[:-1]))
    return params, columns, rows


def actual_rows(kg: object, name: str, params: dict[str, str], columns: list[str]) -> set[tuple[str, ...]]:
    res = kg.query(name, **params)  # type: ignore[attr-defined]
    index = [res.variables.index(c) for c in columns]
    return {tuple("" if r[i] is None else str(r[i]) for i in index) for r in res.rows}


@pytest.mark.parametrize("path", EXPECTED, ids=query_name)
def test_query_returns_exactly_the_rows_the_essay_supports(path: Path, essay_kg: object) -> None:
    params, columns, expected = read_expected(path)
    got = actual_rows(essay_kg, query_name(path), params, columns)
    unsupported = sorted(got - expected)
    missing = sorted(expected - got)
    assert not unsupported and not missing, (
        f"{query_name(path)} on the essay layer:\n"
        + "".join(f"  returned, not supported by the essay: {r}\n" for r in unsupported)
        + "".join(f"  supported by the essay, not returned: {r}\n" for r in missing))


def test_every_essay_question_has_hand_written_rows() -> None:
    """Every stored query answering an essay-layer question has an expected file, and every such question is covered."""
    have = {query_name(p) for p in EXPECTED}
    covered: set[int] = set()
    for q in LIBRARY:
        asked = set(questions_of(q)) & ESSAY_QUESTIONS
        if asked:
            assert q.name in have, f"{q.name} answers question(s) {sorted(asked)}: write {q.name}.csv by hand"
            covered |= asked
    assert covered == ESSAY_QUESTIONS


def test_a_row_the_essay_does_not_support_fails(essay_kg: object, tmp_path: Path) -> None:
    """The check bites: the old golden row that put C40 among the committers after the withdrawal is refused."""
    params, columns, expected = read_expected(EXPECTED_DIR / "actions" / "commitments-after-withdrawal.csv")
    wrong = expected | {(PREFIXES["id:"] + "network/c40", "", "")}
    assert actual_rows(essay_kg, "actions/commitments-after-withdrawal", params, columns) != wrong
