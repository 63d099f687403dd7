"""The Covenant of Mayors report's numbers against the source file, counted with the csv module.

The source is the JRC's signatories file shipped under data/raw/networks/
(one row per signatory); the report is :func:`citykg.report.build_report` on
the shipped graph. Nothing here is computed by the code under test.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

pytest.importorskip("networkx", reason="pip install 'citykg[analytics]'")
pytest.importorskip("matplotlib", reason="pip install 'citykg[analytics]'")

from citykg.analytics import Analytics, kg_runner
from citykg.report import Report, build_report, write_report
from citykg.resources import resource_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analytics_sources import raw_twinning_pairs

COVENANT = "https://w3id.org/citykg/id/network/covenant-of-mayors"
SOURCE = resource_dir("data") / "raw" / "networks" / "covenant-of-mayors-signatories-2024.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with SOURCE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def a(kg: object) -> Analytics:
    return Analytics(kg_runner(kg))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def report(a: Analytics, tmp_path_factory: pytest.TempPathFactory) -> Report:
    r = build_report(a, network=COVENANT)
    write_report(r, tmp_path_factory.mktemp("covenant-report"))
    return r


def _names(cell: str) -> list[str]:
    return [n.strip() for n in cell.split(";") if n.strip() and n.strip() != "-"]


def test_adhesions_per_year_match_the_source(rows: list[dict[str, str]], report: Report) -> None:
    expected = Counter(int(r["date_of_adhesion"][:4]) for r in rows if r["date_of_adhesion"])
    table = report.table("adhesions-per-year").dropna(subset=["year"])
    got = {int(y): int(n) for y, n in zip(table["year"], table["joined"], strict=True)}
    assert got == dict(expected)
    numbers = dict(report.numbers)
    assert numbers["first adhesion"] == min(expected) and numbers["last adhesion"] == max(expected)


def test_signatories_per_country_match_the_source(
    rows: list[dict[str, str]], a: Analytics, report: Report
) -> None:
    """A signatory's country is its place's; a group's profile (group_profile True) has no
    place, so no country, in the graph: those rows are counted apart."""
    places = [r for r in rows if r["group_profile"] == "False"]
    expected = Counter(r["country_code"].upper() for r in places)
    countries = a.countries()
    codes = {str(c): str(x) for c, x in zip(countries["country"], countries["alpha2"], strict=True)
             if isinstance(x, str)}
    m = a.memberships(COVENANT)
    m = m[m["role"].astype("string").str.endswith("SignatoryRole")]
    assert int(m[m["place"].isna()]["member"].nunique()) == len(rows) - len(places) == 294
    got: Counter[str] = Counter()
    for country, n in m.groupby("country")["member"].nunique().items():
        got[codes.get(str(country), str(country))] += int(n)
    # Natural Earth gives France and Norway no ISO code: compare them by total
    for code in ("FR", "NO"):
        expected.pop(code, None)
    got_coded = {k: v for k, v in got.items() if len(k) == 2}
    assert got_coded == dict(expected)
    assert len(expected) + 2 >= dict(report.numbers)["countries of members"] >= len(expected)


def test_coordinators_and_supporters_match_the_source(
    rows: list[dict[str, str]], report: Report
) -> None:
    numbers = dict(report.numbers)
    for column, relation in (("coordinator_name", "coordinator"), ("supporter_name", "supporter")):
        per_name: dict[str, int] = defaultdict(int)
        backed = 0
        for r in rows:
            names = set(_names(r[column]))
            backed += bool(names)
            for n in names:
                per_name[n] += 1
        t = report.table(f"{relation}s")
        assert numbers[f"{relation}s"] == len(per_name), relation
        assert numbers[f"members with a {relation}"] == backed, relation
        # the same number of signatories behind each organisation, whatever its label
        assert sorted(int(x) for x in t["members"]) == sorted(per_name.values()), relation


def test_members_and_memberships(rows: list[dict[str, str]], report: Report) -> None:
    numbers = dict(report.numbers)
    roles = report.table("members-per-role").set_index("role")["members"]
    assert int(roles["SignatoryRole"]) == len(rows) == 11_973
    coordinators = {n for r in rows for n in _names(r["coordinator_name"])}
    supporters = {n for r in rows for n in _names(r["supporter_name"])}
    assert int(roles["CoordinatorRole"]) == len(coordinators)
    assert int(roles["SupporterRole"]) == len(supporters)
    assert numbers["memberships"] == len(rows) + len(coordinators) + len(supporters)


def test_twinnings_between_members_match_the_raw_crawl(kg: object, a: Analytics, report: Report) -> None:
    places = set(a.memberships(COVENANT)["place"].dropna())
    qid = {str(p): str(q) for p, q in kg.sparql(  # type: ignore[attr-defined]
        "PREFIX ckg: <https://w3id.org/citykg/ontology#> SELECT ?p ?q WHERE { ?p ckg:wikidataId ?q }", limit=None
    ).rows if str(p) in places}
    member_qids = set(qid.values())
    pairs = {p for p in raw_twinning_pairs() if p <= member_qids}
    assert dict(report.numbers)["twinning ties"] == len(pairs)


def test_report_has_the_pictures(report: Report) -> None:
    names = {f.name for f in report.figures}
    assert {"map", "timeline", "network", "hubs", "coordination"} <= names
    for f in report.figures:
        assert f.svg.startswith(b"<?xml") and b"</svg>" in f.svg[-100:]


def test_report_figures_are_deterministic(a: Analytics) -> None:
    one = build_report(a, network=COVENANT)
    two = build_report(a, network=COVENANT)
    assert [f.svg for f in one.figures] == [f.svg for f in two.figures]


def test_source_file_is_the_shipped_copy() -> None:
    assert SOURCE.is_file(), f"{SOURCE}: the Covenant source copy shipped by the Covenant layer"
    assert Path(SOURCE).stat().st_size > 1_000_000
