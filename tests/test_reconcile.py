"""``citykg.reconcile``: any table against the Wikidata stand-in on a real Oxigraph server.

Expected QIDs come from the stand-in's source, Natural Earth
(``data/raw/naturalearth/naturalearth-populated-places.csv``, ``WIKIDATAID``),
or from the issue (Saint-Denis, Stockholm), never from the code's output.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_wikidata_client import FaultProxy, standin_url  # noqa: F401  (fixture)

from citykg.countries import default_index
from citykg.reconcile import (
    PLACE_CLASSES,
    TYPES,
    Hit,
    ReconcileError,
    RowQuery,
    WikidataSource,
    decide,
    match_kind,
    read_table,
    reconcile_rows,
    reconcile_table,
)
from citykg.wikidata import WikidataClient

ROOT = Path(__file__).resolve().parent.parent
NE = ROOT / "data" / "raw" / "naturalearth" / "naturalearth-populated-places.csv"

pytestmark = pytest.mark.usefixtures("standin_url")


def ne_qid(name_en: str, country: str) -> str:
    """The Natural Earth WIKIDATAID of one populated place (the stand-in's source)."""
    rows = [r for r in csv.DictReader(NE.open(encoding="utf-8"))
            if r["NAME_EN"] == name_en and r["ADM0NAME"] == country]
    assert len(rows) == 1, (name_en, country, len(rows))
    return rows[0]["WIKIDATAID"]


def run(url: str, tmp: Path, rows: list[RowQuery], type: str | None = None) -> list:  # type: ignore[type-arg]
    client = WikidataClient(url, cache_dir=tmp / "cache")
    return reconcile_rows(rows, WikidataSource(client), type=type)


@pytest.mark.parametrize(("text", "qid"), [
    ("USA", "Q30"), ("UK", "Q145"), ("The Netherlands", "Q55"), ("México", "Q96"),
    ("united states", "Q30"), ("deutschland", "Q183"), ("Allemagne", "Q183"), ("DE", "Q183"),
    ("deu", "Q183"), ("Q183", "Q183"), ("http://www.wikidata.org/entity/Q183", "Q183"),
    ("Россия", "Q159"), ("England", "Q145"), ("Lower Saxony, Germany", "Q183"), ("EL", "Q41"),
    ("Türkiye", "Q43"), ("Czechia", "Q213"), ("Georgia (country)", "Q230"),
])
def test_countries_in_any_common_form(text: str, qid: str) -> None:
    got = default_index().resolve(text)
    assert got is not None and got.qid == qid


def test_unknown_and_ambiguous_countries_resolve_to_nothing() -> None:
    assert default_index().resolve("Atlantis") is None
    assert default_index().resolve("Republic of Ireland, but misspelt") is None


@pytest.mark.parametrize(("name", "label", "kind"), [
    ("Krakow", "Kraków", "accents"), ("KRAKÓW", "Kraków", "case"), ("gdansk", "Gdańsk", "accents"),
    ("Malmoe", "Malmö", "transliteration"), ("Saint Denis", "Saint-Denis", "accents"),
    ("Barcelonna", "Barcelona", "fuzzy"), ("Moskva", "Москва", "transliteration"),
])
def test_kinds_of_match(name: str, label: str, kind: str) -> None:
    got = match_kind(name, label)
    assert got is not None and got[0].startswith(kind)


def test_real_names_link_case_accent_and_spelling_insensitively(standin_url: str,  # noqa: F811
                                                                tmp_path: Path) -> None:
    rows = [RowQuery("krakow", "poland"), RowQuery("GDANSK", "PL"), RowQuery("Malmoe", "Sweden", 55.61, 13.0),
            RowQuery("Barcelonna", "Spain", 41.39, 2.17), RowQuery("Torino", "it"),
            RowQuery("Las Palmas De Gran Canaria", "España")]
    got = run(standin_url, tmp_path, rows)
    want = [ne_qid("Kraków", "Poland"), ne_qid("Gdańsk", "Poland"), ne_qid("Malmö", "Sweden"),
            ne_qid("Barcelona", "Spain"), ne_qid("Turin", "Italy"),
            ne_qid("Las Palmas de Gran Canaria", "Spain")]
    assert [(r.decision, r.qid) for r in got] == [("linked", q) for q in want], \
        [r.reason for r in got if r.decision != "linked"]
    assert "accents match" in got[0].reason and "fuzzy" in got[3].reason
    assert "transliteration match" in got[2].reason


def test_a_spelling_variant_without_coordinates_goes_to_review(standin_url: str,  # noqa: F811
                                                               tmp_path: Path) -> None:
    (r,) = run(standin_url, tmp_path, [RowQuery("Barcelonna", "Spain")])
    assert r.decision == "review" and r.qid == ne_qid("Barcelona", "Spain")
    assert "spelling variant" in r.reason


def test_saint_denis_france_is_never_linked_to_reunion(standin_url: str,  # noqa: F811
                                                       tmp_path: Path) -> None:
    # Q47045 is Saint-Denis in Réunion (P17 France, a settlement in the stand-in);
    # Q160506, the Saint-Denis near Paris, is there untyped and without country
    no_point, near_paris = run(standin_url, tmp_path, [
        RowQuery("Saint-Denis", "France"), RowQuery("Saint-Denis", "France", 48.936, 2.357)])
    assert no_point.decision == "review"
    assert "Q160506" in no_point.reason and "cannot be ruled out" in no_point.reason
    assert near_paris.decision != "linked" or near_paris.qid == "Q160506"
    assert "Q47045" not in {c.id for c in near_paris.candidates if not c.ruled_out}


def test_coordinates_decide_between_same_name_items(standin_url: str,  # noqa: F811
                                                    tmp_path: Path) -> None:
    # Amsterdam: the settlement Q727 against the untyped municipality Q9899 (stand-in README)
    with_point, without = run(standin_url, tmp_path, [
        RowQuery("Amsterdam", "the netherlands", 52.37, 4.9), RowQuery("Amsterdam", "NL")])
    assert (with_point.decision, with_point.qid) == ("linked", "Q727")
    assert "km away" in with_point.reason
    assert without.decision == "review" and "Q9899" in without.reason
    # Victoria, Canada: the Seychelles capital contradicts the country and is ruled out
    (victoria,) = run(standin_url, tmp_path, [RowQuery("Victoria", "Canada", 48.43, -123.37)])
    assert (victoria.decision, victoria.qid) == ("linked", "Q2132")
    seychelles = next(c for c in victoria.candidates if c.id == "Q3940")
    assert seychelles.ruled_out


def test_type_makes_settlement_or_municipality_explicit(standin_url: str,  # noqa: F811
                                                        tmp_path: Path) -> None:
    # Stockholm the city, Q1754, is a settlement in the stand-in; the municipality
    # Q506250 is absent from it, so asking for a municipality finds nothing to link
    city, muni = (run(standin_url, tmp_path, [RowQuery("Stockholm", "Sweden")], type=t)[0]
                  for t in ("city", "municipality"))
    assert (city.decision, city.qid) == ("linked", "Q1754")
    assert muni.decision == "none" and "P31 not under wd:Q15284" in muni.reason


def test_a_settlement_and_a_municipality_of_one_name_are_both_shown() -> None:
    # the issue's case, with the two real items' facts: Q1754 Stockholm (the city, a
    # settlement) and Q506250 Stockholm Municipality (a municipality), both in Sweden
    def hit(q: str, cls: str) -> Hit:
        return Hit(q, {("Stockholm", "en", "label")}, {c: c == cls for c in PLACE_CLASSES},
                   True, {"Q34"}, {(18.07, 59.33)})

    hits = [hit("Q1754", "Q486972"), hit("Q506250", "Q15284")]
    sweden = default_index().resolve("Sweden")
    q = RowQuery("Stockholm", "Sweden", 59.33, 18.07)
    either = decide(q, sweden, hits, PLACE_CLASSES)
    assert either.decision == "review"
    assert "Q1754" in either.reason and "Q506250" in either.reason
    assert "settlement and a municipality" in either.reason
    assert decide(q, sweden, hits, TYPES["city"]).qid == "Q1754"
    muni = decide(q, sweden, hits, TYPES["municipality"])
    assert (muni.decision, muni.qid) == ("linked", "Q506250")


def test_every_row_is_kept_in_order_and_a_rerun_sends_nothing(standin_url: str,  # noqa: F811
                                                              tmp_path: Path) -> None:
    table = tmp_path / "members.csv"
    lines = ["Stadt;Land;Notiz", "Málaga;Spanien;x", ";Germany;empty name", "Warszawa;PL;",
             "Atlantis;Atlantis;unknown", "Warszawa;PL;duplicate", "Berlin;;no country",
             "Saint-Denis;France;"]
    table.write_bytes("\r\n".join(lines).encode("cp1252"))
    proxy = FaultProxy(standin_url)
    try:
        client = WikidataClient(proxy.url, cache_dir=tmp_path / "cache")
        df = reconcile_table(table, name="Stadt", country="Land", client=client)
        first = proxy.requests
        assert first > 0
        again = reconcile_table(table, name="Stadt", country="Land",
                                client=WikidataClient(proxy.url, cache_dir=tmp_path / "cache"))
        assert proxy.requests == first  # a rerun costs no request
    finally:
        proxy.close()
    assert list(df.columns) == ["Stadt", "Land", "Notiz", "qid", "qid_label", "score",
                                "decision", "reason"]
    assert len(df) == 7 and df["Stadt"].tolist() == [x.split(";")[0] for x in lines[1:]]
    assert df["Notiz"].tolist() == [x.split(";")[2] for x in lines[1:]]
    assert df.equals(again)
    assert all(df["reason"].str.len() > 0)
    by = dict(zip(df["Stadt"] + "|" + df["Notiz"], zip(df["decision"], df["qid"], strict=True),
                  strict=True))
    assert by["Warszawa|"] == ("linked", ne_qid("Warsaw", "Poland"))
    assert by["Warszawa|duplicate"] == by["Warszawa|"]
    assert by["|empty name"] == ("none", "")
    assert by["Atlantis|unknown"][0] == "none"
    assert by["Saint-Denis|"][0] == "review"
    # Málaga is not among Natural Earth's 50m places: the stand-in has it only from the
    # 2016 crawl (Q8851, untagged label, no type): a candidate to review, never a link
    assert by["Málaga|x"] == ("review", "Q8851")
    assert 'country "Atlantis" not recognised' in df["reason"][3]


def test_tables_are_read_whatever_their_encoding_and_delimiter(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes("name\tcountry\nKöln\tDeutschland\n".encode("utf-16"))
    assert read_table(p).to_dict("records") == [{"name": "Köln", "country": "Deutschland"}]
    p.write_bytes("name|country\nKöln|Deutschland\n".encode("cp1252"))
    assert read_table(p)["name"].tolist() == ["Köln"]
    p.write_text("a,b\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(ReconcileError, match=r"t\.csv"):
        read_table(p)


def test_missing_columns_and_clashing_columns_are_clear_errors(tmp_path: Path) -> None:
    df = pd.DataFrame({"city": ["Berlin"], "qid": [""]})
    with pytest.raises(ReconcileError, match="no column 'name'"):
        reconcile_table(df[["city"]], name="name", client=WikidataClient("http://127.0.0.1:9/x"))
    with pytest.raises(ReconcileError, match="already has column"):
        reconcile_table(df, name="city", client=WikidataClient("http://127.0.0.1:9/x"))


def test_the_readme_example_reconciles_a_plain_two_column_csv(standin_url: str,  # noqa: F811
                                                               tmp_path: Path, run_cli: Any,
                                                               monkeypatch: Any) -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    part = readme.split("## Reconciling a table with Wikidata", 1)[1]
    table = re.search(r"```csv\n(.*?)```", part, re.S).group(1)  # type: ignore[union-attr]
    command = re.search(r"```sh\n(citykg reconcile .*?)\n```", part, re.S).group(1)  # type: ignore[union-attr]
    (tmp_path / "members.csv").write_text(table, encoding="utf-8")
    args = [*command.split()[1:], "--endpoint", standin_url, "--cache", str(tmp_path / "c")]
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = list(csv.DictReader((tmp_path / "members-linked.csv").open(encoding="utf-8")))
    given = list(csv.DictReader(io.StringIO(table)))
    assert [(o["city"], o["country"]) for o in out] == [(g["city"], g["country"]) for g in given]
    got = {o["city"]: (o["decision"], o["qid"]) for o in out}
    assert got["krakow"] == ("linked", ne_qid("Kraków", "Poland"))
    assert got["Torino"] == ("linked", ne_qid("Turin", "Italy"))
    assert got["Saint-Denis"][0] == "review"
    assert got["Atlantis"] == ("none", "")
    review = list(csv.DictReader((tmp_path / "members-linked-review.csv").open(encoding="utf-8")))
    assert {"Q47045", "Q160506"} <= {r["qid"] for r in review if r["name"] == "Saint-Denis"}
    assert "4 row(s): 2 linked, 1 to review, 1 without a match" in r.stderr

    # the Python example, as written
    py = re.search(r"```python\n(from citykg.reconcile.*?)```", part, re.S).group(1)  # type: ignore[union-attr]
    code = py.replace('country="country")', f'country="country", endpoint={standin_url!r})')
    import os

    here = os.getcwd()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    os.chdir(tmp_path)
    try:
        env: dict[str, Any] = {}
        exec(compile(code, "README.md", "exec"), env)
    finally:
        os.chdir(here)
    assert env["df"]["decision"].tolist() == [o["decision"] for o in out]
    assert list((tmp_path / "user-cache" / "citykg" / "wikidata").rglob("*.json"))


def test_cache_entries_carry_their_date_and_expire(standin_url: str,  # noqa: F811
                                                   tmp_path: Path) -> None:
    import json

    proxy = FaultProxy(standin_url)
    try:
        def client(days: float | None) -> WikidataClient:
            return WikidataClient(proxy.url, cache_dir=tmp_path, max_age_days=days)

        rows = [RowQuery("Torino", "Italy")]
        reconcile_rows(rows, WikidataSource(client(30)))
        sent = proxy.requests
        entries = list(tmp_path.rglob("*.json"))
        assert entries and all("retrieved" in json.loads(p.read_text()) for p in entries)
        for p in entries:  # age every entry by 40 days
            doc = json.loads(p.read_text())
            doc["retrieved"] = "2000-01-01T00:00:00+00:00"
            p.write_text(json.dumps(doc))
        (r,) = reconcile_rows(rows, WikidataSource(client(None)))  # no expiry: the old answers
        assert proxy.requests == sent and r.best is not None and r.best.hit.retrieved == "2000-01-01"
        (r,) = reconcile_rows(rows, WikidataSource(client(30)))  # expired: asked again
        assert proxy.requests > sent
        assert r.best is not None and r.best.hit.retrieved > "2000-01-01"
    finally:
        proxy.close()


def test_the_command_line_says_what_is_wrong(tmp_path: Path, run_cli: Any) -> None:
    table = tmp_path / "t.csv"
    table.write_text("city,country\nBerlin,DE\n", encoding="utf-8")
    r = run_cli("reconcile", str(table), "--name", "town", "--endpoint", "http://127.0.0.1:9/x",
                cwd=tmp_path)
    assert r.returncode == 15 and "no column 'town'" in r.stderr
    assert r.stderr.count("\n") == 1  # one line, no traceback
    r = run_cli("reconcile", str(table), "--name", "city", "--out", str(table), cwd=tmp_path)
    assert r.returncode == 2 and "overwrite the input" in r.stderr
    r = run_cli("reconcile", str(tmp_path / "missing.csv"), "--name", "city", cwd=tmp_path)
    assert r.returncode == 3 and "missing.csv" in r.stderr
    assert table.read_text(encoding="utf-8") == "city,country\nBerlin,DE\n"


def test_countries_reconcile_locally_without_a_request(standin_url: str,  # noqa: F811
                                                       tmp_path: Path) -> None:
    proxy = FaultProxy(standin_url)
    try:
        client = WikidataClient(proxy.url, cache_dir=tmp_path)
        got = reconcile_rows([RowQuery("USA"), RowQuery("deutschland"), RowQuery("FR")],
                             WikidataSource(client), type="country")
        assert proxy.requests == 0
    finally:
        proxy.close()
    # the QIDs Natural Earth's countries file gives (data/raw/naturalearth)
    assert [(r.decision, r.qid) for r in got] == [("linked", "Q30"), ("linked", "Q183"),
                                                  ("linked", "Q142")]
    assert all("country index" in r.reason for r in got)
