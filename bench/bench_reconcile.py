"""Benchmark: ``citykg reconcile`` against the old linker on two real lists, on the stand-in.

Lists (names as their publishers wrote them, with coordinates):

- the English Wikipedia twin-town names (``tests/fixtures/twinning/
  wikipedia-twin-cities.csv``): every distinct (city, country) pair with its
  geocoded point;
- the Covenant of Mayors signatories (JRC, CC BY 4.0):
  ``data/raw/networks/covenant-of-mayors-signatories-2024.csv`` when the
  repository has it (11,973 rows), else the every-tenth-row sample
  ``tests/fixtures/reconciliation/covenant-of-mayors-sample.csv`` (1,198 rows);
  or ``--covenant PATH``. Name ``organisation_name``, country
  ``country_code`` (ISO alpha-2, lower case), ``organisation_latitude/longitude``.

Both run against ``tests/fixtures/wikidata/standin.nt.gz`` served by a local
Oxigraph server, once with :mod:`citykg.reconcile` and once with the old
linker of ``citykg link`` (exact label match; the country names linked
first by the same linker, as ``bench_linking.py`` does), in the same process.

Truth, from Natural Earth (the stand-in's source; neither matcher reads it):
a row is judged *by name* where exactly one Natural Earth populated place with
a Wikidata ID carries the row's name in that country (any of its names:
``NAME``, ``NAMEASCII`` and the 26 ``NAME_xx``, compared case- and
accent-insensitively) and, for the Covenant, lies within 30 km of the row's
point; else *by place* (spelling variants such as "Koeln") where exactly one
Natural Earth place of that country lies within 10 km of the row's point and
one of its names is like the row's (as many words, no digits, and a difflib
ratio >= 0.85 on accent-stripped letters, a measure neither matcher uses). That place's ``WIKIDATAID`` is the
answer. These are rows whose item is present in the stand-in, so recall is
measured over them.

A third list is the twin towns as a spreadsheet typed by hand often has them:
names lower-case and without accents, countries lower-case (the truth is the
same rows').

Printed per list and matcher: precision of the automatic links (right / linked
among the judged rows), recall (right / judged), the share of all rows sent to
review, links made on rows that cannot be judged, and requests per 1,000 rows
(a rerun from the cache is also timed: it must send none). Run from the
repository root: ``python bench/bench_reconcile.py`` (a few minutes).
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_linking import start_server  # noqa: E402

from citykg.countries import default_index, fold  # noqa: E402
from citykg.linking import Entity, decide, find_candidates  # noqa: E402
from citykg.reconcile import RowQuery, WikidataSource, haversine_km, reconcile_rows  # noqa: E402
from citykg.wikidata import WikidataClient  # noqa: E402

TWINS = ROOT / "tests" / "fixtures" / "twinning" / "wikipedia-twin-cities.csv"
COVENANT = ROOT / "data" / "raw" / "networks" / "covenant-of-mayors-signatories-2024.csv"
COVENANT_SAMPLE = ROOT / "tests" / "fixtures" / "reconciliation" / "covenant-of-mayors-sample.csv"
NE = ROOT / "data" / "raw" / "naturalearth"


@dataclass
class Row:
    name: str
    country: str  # as written
    lat: float | None
    lon: float | None
    truth: str | None  # the one Natural Earth QID, or None: not judged
    variant: bool = False  # judged by place: the name is none of Natural Earth's names


def ne_places() -> list[tuple[set[str], str, str, tuple[float, float]]]:
    """(folded names, ISO alpha-2 of the sovereign and of the unit, QID, point) per place."""
    import pycountry

    iso_of: dict[str, str] = {}
    for r in csv.DictReader((NE / "naturalearth-countries.csv").open(encoding="utf-8")):
        iso_of[r["ADMIN"]] = r["ISO_A2"]
        if r["ISO_A2"] == "-99":  # Natural Earth has no code for France and Norway
            found = pycountry.countries.get(name=r["ADMIN"])
            if found is not None:
                iso_of[r["ADMIN"]] = found.alpha_2
    out = []
    for r in csv.DictReader((NE / "naturalearth-populated-places.csv").open(encoding="utf-8")):
        if not r["WIKIDATAID"] or r["FEATURECLA"] in ("Scientific station", "Historic place"):
            continue
        names = {fold(v) for k, v in r.items() if k.startswith("NAME") and k != "NAMEALT" and v}
        names.discard("")
        codes = {r["ISO_A2"], iso_of.get(r["ADM0NAME"], ""), iso_of.get(r["SOV0NAME"], "")}
        out.append((names, " ".join(sorted(c for c in codes if len(c) == 2)), r["WIKIDATAID"],
                    (float(r["LONGITUDE"]), float(r["LATITUDE"]))))  # fmt: skip
    return out


def truth_of(
    places: list[tuple[set[str], str, str, tuple[float, float]]],
) -> Callable[[str, str | None, tuple[float, float] | None, float | None], str | None]:
    by_name: dict[str, list[tuple[str, str, tuple[float, float]]]] = defaultdict(list)
    for names, codes, qid, pt in places:
        for n in names:
            by_name[n].append((codes, qid, pt))

    def truth(
        name: str, iso2: str | None, point: tuple[float, float] | None, within: float | None
    ) -> str | None:
        if not iso2:
            return None
        hits = {q for codes, q, pt in by_name.get(fold(name), []) if iso2 in codes.split()
                and (within is None or (point is not None and haversine_km(point, pt) <= within))}  # fmt: skip
        return next(iter(hits)) if len(hits) == 1 else None

    return truth


def plain(text: str) -> str:
    """Accent-stripped, case-folded letters (the truth's own, simple normalisation)."""
    import unicodedata

    t = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in t if ch.isalnum())


def place_truth_of(
    places: list[tuple[set[str], str, str, tuple[float, float]]],
) -> Callable[[str, str | None, tuple[float, float] | None], str | None]:
    """Judge a row by place: exactly one Natural Earth place of that country lies within
    10 km of the row's point, and its name is like the row's (as many words, no digits,
    difflib ratio >= 0.85 on accent-stripped letters, against any of its names)."""
    from difflib import SequenceMatcher

    grid: dict[tuple[int, int], list[tuple[set[str], str, str, tuple[float, float]]]] = defaultdict(
        list
    )
    for p in places:
        grid[(round(p[3][1]), round(p[3][0]))].append(p)

    def truth(name: str, iso2: str | None, point: tuple[float, float] | None) -> str | None:
        if not iso2 or point is None:
            return None
        lon, lat = point
        near = [p for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                for p in grid.get((round(lat) + dy, round(lon) + dx), [])
                if iso2 in p[1].split() and haversine_km(point, p[3]) <= 10]  # fmt: skip
        if len(near) != 1:
            return None
        names, _, qid, _ = near[0]
        a = plain(name)
        if not a or any(ch.isdigit() for ch in a):
            return None  # "Prague 1" is a district, not Prague
        words = len(name.split())
        ok = any(
            len(n.split()) == words and SequenceMatcher(None, a, n.replace(" ", "")).ratio() >= 0.85
            for n in names
        )
        return qid if ok else None

    return truth


def messy(row: Row) -> Row:
    """The row as a spreadsheet often has it: names lower-case and without accents, the
    country lower-case ("saint-etienne", "france"); the truth is the same."""
    import unicodedata

    def strip(t: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))

    return Row(strip(row.name).lower(), row.country.lower(), row.lat, row.lon, row.truth,
               row.variant)  # fmt: skip


def num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def twin_rows(truth: Callable[..., str | None], by_place: Callable[..., str | None]) -> list[Row]:
    seen: dict[tuple[str, str], Row] = {}
    countries = default_index()
    for r in csv.DictReader(TWINS.open(encoding="utf-8")):
        for i in ("1", "2"):
            key = (r["city" + i].strip(), r["country" + i].strip())
            if key[0] and key[1] and key not in seen:
                lat, lon = num(r["lat" + i]), num(r["lng" + i])
                c = countries.resolve(key[1])
                iso2 = c.iso2 if c else None
                row = Row(key[0], key[1], lat, lon, truth(key[0], iso2, None, None))
                if row.truth is None and lat is not None and lon is not None:
                    row.truth = by_place(key[0], iso2, (lon, lat))
                    row.variant = row.truth is not None
                seen[key] = row
    return [seen[k] for k in sorted(seen)]


def covenant_rows(
    path: Path, truth: Callable[..., str | None], by_place: Callable[..., str | None]
) -> list[Row]:
    out = []
    for r in csv.DictReader(path.open(encoding="utf-8")):
        lat, lon = num(r["organisation_latitude"]), num(r["organisation_longitude"])
        pt = (lon, lat) if lat is not None and lon is not None else None
        code = r["country_code"].upper()
        row = Row(r["organisation_name"], r["country_code"], lat, lon,
                  truth(r["organisation_name"], code, pt, 30.0))  # fmt: skip
        if row.truth is None:
            row.truth = by_place(r["organisation_name"], code, pt)
            row.variant = row.truth is not None
        out.append(row)
    return out


def old_linker(
    client: WikidataClient, rows: list[Row], country_names: dict[str, str]
) -> list[str | None]:
    """The linker of ``citykg link``: countries linked first, then every row."""
    countries = [Entity(f"urn:country:{c}", "country", [n], link_classes=("Q6256",))
                 for c, n in sorted(country_names.items())]  # fmt: skip
    found = find_candidates(client, countries)
    qid_of = {}
    for e in countries:
        o = decide(e, found[e.iri])
        if o.accepted:
            qid_of[e.iri[len("urn:country:") :]] = o.accepted.qid
    ents = [
        Entity(f"urn:row:{i}", "city", [r.name], qid_of.get(r.country),
               (r.lon, r.lat) if r.lat is not None and r.lon is not None else None, ("Q486972",))
        for i, r in enumerate(rows) if r.name.strip()
    ]  # fmt: skip
    found = find_candidates(client, ents)
    got: list[str | None] = [None] * len(rows)
    for e in ents:
        o = decide(e, found[e.iri])
        got[int(e.iri.rsplit(":", 1)[1])] = o.accepted.qid if o.accepted else None
    return got


def report(title: str, rows: list[Row], got: list[str | None], review: int | None, requests: int,
           seconds: float, rerun: int, errors: int) -> list[str]:  # fmt: skip
    judged = [(r, g) for r, g in zip(rows, got, strict=True) if r.truth]
    linked = [(r, g) for r, g in judged if g]
    right = sum(1 for r, g in linked if g == r.truth)
    unjudged = sum(1 for r, g in zip(rows, got, strict=True) if not r.truth and g)
    p = right / len(linked) if linked else 0.0
    rec = right / len(judged) if judged else 0.0
    var = [(r, g) for r, g in judged if r.variant]
    var_right = sum(1 for r, g in var if g == r.truth)
    lines = [
        f"  {title:<16} precision {p:.4f} ({right:,}/{len(linked):,})   recall {rec:.4f} "
        f"({right:,}/{len(judged):,}; spelling variants {var_right:,}/{len(var):,})   "
        + (f"review {review / len(rows):.3f}   " if review is not None else "review n/a   ")
        + f"unjudged links {unjudged:,}   {1000 * requests / len(rows):.1f} requests/1,000 rows "
        f"({requests}; rerun {rerun}); {seconds:.1f} s"
    ]
    wrong = [(r, g) for r, g in linked if g != r.truth]
    for r, g in wrong[:errors]:
        lines.append(f"      wrong: {r.name!r}, {r.country!r}: linked {g}, truth {r.truth}")
    return lines


def run(title: str, rows: list[Row], url: str, tmp: Path, errors: int) -> None:
    judged = sum(1 for r in rows if r.truth)
    variants = sum(1 for r in rows if r.variant)
    print(f"{title}: {len(rows):,} rows, {judged:,} judged ({judged - variants:,} by name: one "
          f"Natural Earth place with that name in that country; {variants:,} by place: "
          f"a spelling variant of the one place within 10 km)")  # fmt: skip
    # the old linker
    client = WikidataClient(url, cache_dir=tmp / f"old-{title}", timeout=120, batch_size=100)
    t0 = time.perf_counter()
    names = {r.country: r.country for r in rows if r.country}
    old = old_linker(client, rows, names)
    secs = time.perf_counter() - t0
    again = WikidataClient(url, cache_dir=tmp / f"old-{title}", batch_size=100)
    old_linker(again, rows, names)
    old_review = None  # the old linker's review queue is not per row
    # reconcile
    c2 = WikidataClient(url, cache_dir=tmp / f"new-{title}", timeout=120, batch_size=100)
    queries = [RowQuery(r.name, r.country, r.lat, r.lon) for r in rows]
    t0 = time.perf_counter()
    res = reconcile_rows(queries, WikidataSource(c2))
    secs2 = time.perf_counter() - t0
    again2 = WikidataClient(url, cache_dir=tmp / f"new-{title}", batch_size=100)
    reconcile_rows(queries, WikidataSource(again2))
    new = [r.qid if r.decision == "linked" else None for r in res]
    assert len(res) == len(rows)  # every row answered
    counts = Counter(r.decision for r in res)
    for line in report("old linker", rows, old, old_review, client.stats.requests, secs,
                       again.stats.requests, errors):  # fmt: skip
        print(line)
    for line in report("reconcile", rows, new, counts["review"], c2.stats.requests, secs2,
                       again2.stats.requests, errors):  # fmt: skip
        print(line)
    missed = Counter(
        r.reason.split(":")[0] + (": " + r.reason.split(":")[1][:60] if r.decision == "review" else "")
        for r, row in zip(res, rows, strict=True)
        if row.truth and (r.qid != row.truth or r.decision != "linked")
    )  # fmt: skip
    print(f"  reconcile decisions {dict(counts)}; judged rows not linked, by reason:")
    for why, n in missed.most_common(6):
        print(f"      {n:5,}  {why}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--covenant", type=Path, help="the Covenant of Mayors signatories CSV")
    ap.add_argument("--show-errors", type=int, default=10)
    ap.add_argument(
        "--lists", default="twins,messy,covenant", help="which lists (default all three)"
    )
    args = ap.parse_args()
    covenant = args.covenant or (COVENANT if COVENANT.is_file() else COVENANT_SAMPLE)
    places = ne_places()
    truth, by_place = truth_of(places), place_truth_of(places)
    twins = twin_rows(truth, by_place)
    cov = covenant_rows(covenant, truth, by_place)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "db")
        try:
            if "twins" in args.lists:
                run("twin towns", twins, url, Path(tmp), args.show_errors)
            if "messy" in args.lists:
                run("twin towns as typed by hand", [messy(r) for r in twins], url, Path(tmp),
                    args.show_errors)  # fmt: skip
            if "covenant" in args.lists:
                print(f"(Covenant file: {covenant.name}, {len(cov):,} rows)")
                run("Covenant", cov, url, Path(tmp), args.show_errors)
        finally:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
