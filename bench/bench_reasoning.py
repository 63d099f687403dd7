"""OWL 2 RL materialisation: citykg's SPARQL-compiled rules next to owlrl.

Generates citykg-shaped graphs (bench/synthetic.py) of 100k and 1M triples,
loads them with the shipped ontology, and in a fresh process per measurement
materialises the inferences: citykg's rules on Oxigraph (with and without the
SPARQL rules of ontology/rules/), and owlrl on rdflib as the baseline (by
default only up to 100k triples: it took 46 s there and would take minutes at
1M). Prints time, peak memory, triples inferred and the ratio to owlrl.

    python bench/bench_reasoning.py [--sizes 100000 1000000] [--owlrl-up-to 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

WORKER = r"""
import json, resource, sys, time
from pathlib import Path
kind, data, ontology, rules = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
if kind.startswith("citykg"):
    from citykg.reasoning import materialise
    from citykg.store import OxigraphStore
    import pyoxigraph as ox
    store = OxigraphStore()
    store.load_file(Path(ontology), "ontology")
    store.ox.bulk_load(path=data, format=ox.RdfFormat.N_TRIPLES,
                       to_graph=ox.NamedNode("https://w3id.org/citykg/graph/data"))
    t0 = time.perf_counter()
    report = materialise(store, [Path(rules)] if kind == "citykg+rules" else [])
    seconds = time.perf_counter() - t0
    inferred = report.inferred
else:
    import owlrl, rdflib
    g = rdflib.Graph()
    g.parse(ontology, format="turtle")
    g.parse(data, format="nt")
    before = len(g)
    t0 = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)
    seconds = time.perf_counter() - t0
    inferred = len(g) - before
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss, "inferred": inferred}))
"""


def run(kind: str, data: Path) -> dict[str, float]:
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            kind,
            str(data),
            str(ROOT / "ontology" / "citykg.ttl"),
            str(ROOT / "ontology" / "rules"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out: dict[str, float] = json.loads(p.stdout)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument(
        "--owlrl-up-to",
        type=int,
        default=100_000,
        help="run the owlrl baseline only up to this many triples",
    )
    args = ap.parse_args(argv)
    from synthetic import generate

    print(
        f"{'triples':>9}  {'reasoner':<14} {'seconds':>8} {'peak MB':>8} {'inferred':>9}  vs owlrl"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = Path(tmp) / f"synthetic-{n}.nt"
            t = time.perf_counter()
            data.write_text("\n".join(generate(n)) + "\n", encoding="utf-8")
            print(f"# generated {n:,} triples in {time.perf_counter() - t:.1f} s", flush=True)
            base = None
            kinds = (["owlrl"] if n <= args.owlrl_up_to else []) + ["citykg", "citykg+rules"]
            for kind in kinds:
                r = run(kind, data)
                ratio = ""
                if kind == "owlrl":
                    base = r
                elif base is not None:
                    ratio = f"{base['seconds'] / r['seconds']:.1f}x faster"
                print(
                    f"{n:>9,}  {kind:<14} {r['seconds']:>8.2f} {r['rss_mb']:>8.0f} "
                    f"{int(r['inferred']):>9,}  {ratio}",
                    flush=True,
                )
            if n > args.owlrl_up_to:
                print(f"{n:>9,}  {'owlrl':<14} skipped (--owlrl-up-to {args.owlrl_up_to:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
