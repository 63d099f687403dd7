"""``citykg lint``: each planted defect is found by its check; the shipped sources lint clean.

Each ``tests/fixtures/lint/*.ttl`` is a tiny ontology (``clean.ttl``) with one
defect planted; its ``# expect: CHECK TERM`` lines name every problem the lint
must report for it, and no other problem may be reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citykg.cli import main
from citykg.errors import EXIT_CODES
from citykg.lint import LintFailed, LintSources, lint, short

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lint"
CASES = sorted(p for p in FIXTURES.glob("*.ttl") if p.name != "clean.ttl")


def expected(path: Path) -> set[tuple[str, str]]:
    """The ``(check, term)`` pairs a fixture's ``# expect:`` lines name."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {(w[2], w[3]) for w in (line.split() for line in lines) if w[:2] == ["#", "expect:"]}


def lint_fixture(*ontology: Path, **kw: object) -> list[tuple[str, str]]:
    report = lint(LintSources(list(ontology)), version="1.0.0",
                  changelog=FIXTURES / "CHANGELOG.md", **kw)  # type: ignore[arg-type]
    for p in report.problems:  # every problem points at a line of the fixture
        assert p.path == str(ontology[0]) and p.line > 0, p
    return [(p.check, short(p.term)) for p in report.problems]


def test_the_clean_fixture_passes_every_check() -> None:
    assert lint_fixture(FIXTURES / "clean.ttl") == []


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_each_planted_defect_is_found_by_its_check(case: Path) -> None:
    want = expected(case)
    assert want, f"{case.name} names no expected problem"
    got = lint_fixture(case)
    assert sorted(set(got)) == sorted(want)
    assert len(got) == len(want), got


DATA_CASE = FIXTURES / "data"


def lint_data_case(usage: bool = True) -> set[tuple[str, str]]:
    sources = LintSources([DATA_CASE / "ontology.ttl"], data=[DATA_CASE / "data.ttl"],
                          usage=usage, allowlists=DATA_CASE)
    report = lint(sources, version="1.0.0", changelog=FIXTURES / "CHANGELOG.md")
    return {(p.check, short(p.term)) for p in report.problems}


def test_the_data_checks_find_each_planted_disagreement() -> None:
    """Examples the data denies, other vocabularies' terms undeclared, unused terms, one place twice."""
    want = expected(DATA_CASE / "ontology.ttl") | expected(DATA_CASE / "data.ttl")
    assert lint_data_case() == want


def test_unused_terms_are_only_checked_when_the_data_is_all_the_data() -> None:
    assert not {c for c, _ in lint_data_case(usage=False)} & {"unused-term"}


def test_an_allow_listed_term_that_is_used_is_reported(tmp_path: Path) -> None:
    (tmp_path / "unused-terms.txt").write_text("ckg:memberCount listed, but the data uses it\n")
    sources = LintSources([DATA_CASE / "ontology.ttl"], data=[DATA_CASE / "data.ttl"],
                          usage=True, allowlists=tmp_path)
    report = lint(sources, version="1.0.0", changelog=FIXTURES / "CHANGELOG.md")
    assert ("unused-term", "ckg:memberCount") in {(p.check, short(p.term)) for p in report.problems}


def test_every_check_has_a_planted_defect() -> None:
    checks = set(lint(LintSources([FIXTURES / "clean.ttl"]), version="1.0.0",
                      changelog=FIXTURES / "CHANGELOG.md").checks)
    planted = {check for case in CASES for check, _ in expected(case)}
    planted |= {check for check, _ in lint_data_case()}
    assert planted == checks


def test_undeclared_terms_in_data_and_queries_are_found_with_their_line() -> None:
    sources = LintSources([FIXTURES / "clean.ttl"], data=[FIXTURES / "uses" / "data.ttl"],
                          queries=[FIXTURES / "uses" / "cities.rq"])
    report = lint(sources, version="1.0.0", changelog=FIXTURES / "CHANGELOG.md")
    found = {(Path(p.path).name, p.line, p.check, short(p.term)) for p in report.problems}
    # a ckg: name in a comment or a string of the query is not a use
    found = {f for f in found if f[2] == "undeclared-term"}
    assert found == {("data.ttl", 7, "undeclared-term", "ckg:govern"),
                     ("cities.rq", 5, "undeclared-term", "ckg:governedby")}


def test_a_changelog_without_the_version_heading_is_reported() -> None:
    report = lint(LintSources([FIXTURES / "clean.ttl"]), version="1.0.0",
                  changelog=FIXTURES / "CHANGELOG-without-version.md")
    assert [(p.check, Path(p.path).name) for p in report.problems] == [
        ("version", "CHANGELOG-without-version.md")]
    with pytest.raises(LintFailed) as e:
        report.raise_for_problems()
    assert e.value.exit_code == EXIT_CODES["LintError"] == 14


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_the_shipped_ontology_shapes_data_and_queries_lint_clean() -> None:
    report = lint(LintSources.shipped())
    assert report.ok, "\n" + report.to_text(Path.cwd())


def test_cli_prints_one_line_per_problem_and_exits_14(capsys: pytest.CaptureFixture[str]) -> None:
    case = FIXTURES / "missing-label.ttl"
    code = main(["lint", "-q", "--changelog", str(FIXTURES / "CHANGELOG.md"), str(case)])
    out, err = capsys.readouterr()
    assert code == 14
    assert "missing-label.ttl:37: missing-label: ckg:Agent: has no English rdfs:label" in out
    assert "citykg: error: the ontology lint found" in err
    assert main(["lint", "--list-checks"]) == 0
    assert "undeclared-term" in capsys.readouterr().out


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_the_examples_issue_13_found_contradicted_are_caught_on_the_old_data(tmp_path: Path) -> None:
    """Regression (issue 13): the urban-governance and WHO examples contradicted the data."""
    from citykg.lint import data_files
    from citykg.resources import resource_dir

    shipped = LintSources.shipped()
    networks = resource_dir("data") / "networks.ttl"
    old = tmp_path / "networks.ttl"
    text = networks.read_text(encoding="utf-8")
    text = text.replace("  ckg:focusesOn ckg:UrbanGovernance ;\n", "")
    text = text.replace("  ckg:worksInTandemWith organization:world-health-organization ;\n", "")
    old.write_text(text, encoding="utf-8")
    data = [old if p.name == "networks.ttl" and p.parent == networks.parent else p
            for p in data_files(resource_dir("data"))]
    report = lint(LintSources(shipped.ontology, data=data), version="0.1.0", check_changelog=False)
    found = {(p.check, short(p.term)) for p in report.problems}
    assert ("example-contradicts-data", "ckg:UrbanGovernance") in found
    assert ("example-contradicts-data", "ckg:worksInTandemWith") in found
