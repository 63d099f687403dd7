"""Load and query figures for the embedded store next to rdflib's in-memory store.

Generates citykg-shaped graphs (bench/synthetic.py) of 100k and 1M triples as
Turtle, then in a fresh process per measurement: parses the file into the
store (time and peak memory), and runs a two-hop join (every twinning to the
country of each party) and a label lookup. Prints a table with ratios against
rdflib's in-memory store, the baseline run side by side.

    python bench/bench_store.py [--sizes 100000 1000000] [--skip-rdflib-above N]

Nothing here asserts on time: these are figures to read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

JOIN = """
PREFIX ckg: <https://w3id.org/citykg/ontology#>
SELECT (COUNT(*) AS ?n) WHERE { ?t ckg:twinningParty ?a . ?a ckg:country ?c . ?c a ckg:Country }
"""
LOOKUP = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s WHERE { ?s rdfs:label ?l . FILTER(STR(?l) = "City 42") }
"""

WORKER = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
queries = json.loads(sys.argv[3])
t0 = time.perf_counter()
if kind == "oxigraph":
    import pyoxigraph as ox
    store = ox.Store()
    store.bulk_load(path=path, format=ox.RdfFormat.TURTLE)
    run = lambda q: len(list(store.query(q)))
else:
    import rdflib
    if kind == "rdflib+oxrdflib":
        g = rdflib.Graph(store="Oxigraph")
    else:
        g = rdflib.Graph()
    g.parse(path, format="ox-turtle" if kind == "rdflib+oxrdflib" else "turtle")
    run = lambda q: len(list(g.query(q)))
load = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = []
for q in queries:
    t = time.perf_counter(); run(q); times.append(time.perf_counter() - t)
print(json.dumps({"load": load, "rss_mb": rss, "queries": times}))
"""

STORES = ("rdflib", "oxigraph", "rdflib+oxrdflib")


def make_turtle(n: int, folder: Path) -> Path:
    """A Turtle file of about ``n`` generated triples."""
    import pyoxigraph as ox
    from synthetic import generate

    nt = "\n".join(generate(n)) + "\n"
    triples = list(ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    out = folder / f"synthetic-{n}.ttl"
    ox.serialize(
        triples,
        output=str(out),
        format=ox.RdfFormat.TURTLE,
        prefixes={"ckg": "https://w3id.org/citykg/ontology#", "id": "https://w3id.org/citykg/id/"},
    )
    return out


def measure(kind: str, path: Path) -> dict[str, object]:
    """Load and query in a fresh interpreter, so peak memory is the store's own."""
    p = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(path), json.dumps([JOIN, LOOKUP])],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(p.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument(
        "--skip-rdflib-above",
        type=int,
        default=2_000_000,
        help="do not run the slow rdflib baseline above this many triples",
    )
    args = ap.parse_args(argv)
    print(
        f"{'triples':>9}  {'store':<16} {'load s':>8} {'peak MB':>8} {'join s':>8} "
        f"{'lookup s':>9}   ratios vs rdflib (load, memory, join)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            t = time.perf_counter()
            path = make_turtle(n, Path(tmp))
            print(
                f"# generated {n:,} triples as Turtle in {time.perf_counter() - t:.1f} s "
                f"({path.stat().st_size / 1e6:.0f} MB)",
                flush=True,
            )
            base: dict[str, object] | None = None
            for kind in STORES:
                if kind != "oxigraph" and n > args.skip_rdflib_above:
                    print(f"{n:>9,}  {kind:<16} skipped (--skip-rdflib-above)")
                    continue
                r = measure(kind, path)
                q = r["queries"]
                assert isinstance(q, list)
                ratio = ""
                if kind == "rdflib":
                    base = r
                elif base is not None:
                    bq = base["queries"]
                    assert isinstance(bq, list)
                    ratio = (
                        f"{float(base['load']) / float(r['load']):.1f}x faster, "  # type: ignore[arg-type]
                        f"{float(base['rss_mb']) / float(r['rss_mb']):.1f}x less, "  # type: ignore[arg-type]
                        f"{bq[0] / q[0]:.1f}x faster"
                    )
                print(
                    f"{n:>9,}  {kind:<16} {float(r['load']):>8.2f} {float(r['rss_mb']):>8.0f} "  # type: ignore[arg-type]
                    f"{q[0]:>8.3f} {q[1]:>9.3f}   {ratio}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
