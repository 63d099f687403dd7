"""Benchmark: link the English Wikipedia twin-town names against the Wikidata stand-in.

Reads ``tests/fixtures/twinning/wikipedia-twin-cities.csv`` (25,917 pairs of
city and country names, scraped from English Wikipedia, geocoded), serves
``tests/fixtures/wikidata/standin.nt.gz`` from a local Oxigraph server, links
the 79 country names (class wd:Q6256) and then every distinct (city, country)
name with the linker of ``citykg link`` (label and alias match, P31/P279*
wd:Q486972, P17, distance to the list's geocoded point), and prints precision,
recall and requests per 1,000 entities.

Truth: a name is judged only where Natural Earth (the stand-in's source,
``data/raw/naturalearth/``) picks out exactly one populated place with that
name (``NAME_EN``, ``NAMEASCII`` or ``NAME``, case-insensitive) in that
country; its ``WIKIDATAID`` is the right answer. The linker never reads
Natural Earth: it only asks the endpoint.

Run from the repository root: ``python bench/bench_linking.py`` (about a
minute). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citykg.linking import Entity, decide, find_candidates  # noqa: E402
from citykg.wikidata import WikidataClient  # noqa: E402

CSV = ROOT / "tests" / "fixtures" / "twinning" / "wikipedia-twin-cities.csv"
STANDIN = ROOT / "tests" / "fixtures" / "wikidata" / "standin.nt.gz"
NE = ROOT / "data" / "raw" / "naturalearth"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = str(Path(sys.executable).parent / "oxigraph")
    if not Path(exe).exists():
        exe = shutil.which("oxigraph") or "oxigraph"
    subprocess.run(
        [exe, "load", "--location", str(db), "--file", str(STANDIN)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [exe, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("oxigraph did not start")


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def truth_table() -> dict[tuple[str, str], str | None]:
    """(city, country) folded -> the one Natural Earth QID, or None where several match."""
    countries = list(csv.DictReader((NE / "naturalearth-countries.csv").open(encoding="utf-8")))
    sovereign_of: dict[str, str] = {}  # any country name -> SOVEREIGNT
    for r in countries:
        for k in ("ADMIN", "NAME", "NAME_EN", "NAME_LONG"):
            if r[k]:
                sovereign_of.setdefault(fold(r[k]), r["SOVEREIGNT"])
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in csv.DictReader((NE / "naturalearth-populated-places.csv").open(encoding="utf-8")):
        if not r["WIKIDATAID"] or r["FEATURECLA"] in ("Scientific station", "Historic place"):
            continue
        sov = {fold(r["ADM0NAME"]), fold(r["SOV0NAME"])}
        sov |= {fold(sovereign_of.get(n, "")) for n in set(sov)}
        for name in {fold(r[k]) for k in ("NAME_EN", "NAMEASCII", "NAME") if r[k]}:
            for country_name, sovereign in sovereign_of.items():
                if fold(sovereign) in sov or country_name in sov:
                    out[(name, country_name)].add(r["WIKIDATAID"])
    return {k: (next(iter(v)) if len(v) == 1 else None) for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--margin", type=float, default=None)
    ap.add_argument("--show-errors", type=int, default=15)
    args = ap.parse_args()
    extra = {k: v for k, v in (("threshold", args.threshold), ("margin", args.margin)) if v}

    pairs: dict[tuple[str, str], tuple[float, float] | None] = {}
    for r in csv.DictReader(CSV.open(encoding="utf-8")):
        for i in ("1", "2"):
            key = (r["city" + i].strip(), r["country" + i].strip())
            if key[0] and key[1] and key not in pairs:
                try:
                    pairs[key] = (float(r["lng" + i]), float(r["lat" + i]))
                except ValueError:
                    pairs[key] = None
    truth = truth_table()

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "db")
        try:
            client = WikidataClient(
                url, cache_dir=Path(tmp) / "cache", timeout=60, batch_size=args.batch_size
            )
            t0 = time.perf_counter()
            country_names = sorted({c for _, c in pairs})
            countries = [
                Entity(f"urn:country:{c}", "country", [c], link_classes=("Q6256",))
                for c in country_names
            ]
            found = find_candidates(client, countries)
            country_qid: dict[str, str] = {}
            for e in countries:
                o = decide(e, found[e.iri], **extra)
                if o.accepted:
                    country_qid[e.names[0]] = o.accepted.qid
            cities = [
                Entity(f"urn:city:{n}|{c}", "city", [n], country_qid.get(c), pt, ("Q486972",))
                for (n, c), pt in sorted(pairs.items())
            ]
            found = find_candidates(client, cities)
            outcomes = {e.iri: decide(e, found[e.iri], **extra) for e in cities}
            seconds = time.perf_counter() - t0
            requests = client.stats.requests
            entities = len(countries) + len(cities)

            rerun = WikidataClient(url, cache_dir=Path(tmp) / "cache", batch_size=args.batch_size)
            find_candidates(rerun, countries)
            find_candidates(rerun, cities)
        finally:
            proc.terminate()
            proc.wait()

    judged = correct = wrong = linked_unjudged = review = 0
    errors: list[str] = []
    missed: dict[str, int] = defaultdict(int)
    for e in cities:
        name, country = e.iri[len("urn:city:") :].split("|", 1)
        want = truth.get((fold(name), fold(country)), "absent")
        o = outcomes[e.iri]
        got = o.accepted.qid if o.accepted else None
        if want in ("absent", None):
            linked_unjudged += got is not None
            continue
        judged += 1
        if got == want:
            correct += 1
        elif got is not None:
            wrong += 1
            errors.append(
                f"  {name}, {country}: linked {got}, truth {want} ({o.accepted.evidence})"
            )  # type: ignore[union-attr]
        else:
            review += bool(o.candidates)
            missed[o.reason.split(":")[0]] += 1
    accepted = correct + wrong
    print(f"countries: {len(country_qid)} of {len(countries)} names linked")
    print(
        f"distinct (city, country) names: {len(cities):,}; judged (one Natural Earth "
        f"place with that name in that country): {judged:,}"
    )
    print(f"linked {accepted:,} of the judged: {correct:,} right, {wrong:,} wrong")
    print(
        f"precision {correct / accepted if accepted else 0:.4f}   "
        f"recall {correct / judged if judged else 0:.4f}"
    )
    print(
        f"not linked among the judged: {judged - accepted:,} "
        f"({review:,} to review); reasons: {dict(sorted(missed.items()))}"
    )
    print(f"names not judged but linked: {linked_unjudged:,}")
    print(
        f"requests: {requests} for {entities:,} entities = "
        f"{1000 * requests / entities:.1f} per 1,000 entities "
        f"(batch {args.batch_size} names x 7 languages); {seconds:.1f} s"
    )
    print(
        f"rerun from the cache: {rerun.stats.requests} requests, "
        f"{rerun.stats.cache_hits:,} cache hits"
    )
    for line in errors[: args.show_errors]:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
