"""Benchmark: validate synthetic citykg-shaped graphs of 100k and 1M triples.

Prints, for each size, the time and peak memory (resident set size) of the
SPARQL engine (citykg.shacl_sparql on Oxigraph), and with ``--pyshacl`` of
pySHACL too (slow: minutes at 100k). Each measurement runs in a fresh
process so that peak memory is its own. Asserts nothing about time.

    .venv/bin/python bench/bench_validation.py [--sizes 100000 1000000] [--pyshacl]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def measure(size: int, engine: str) -> dict[str, float]:
    """Generate, load and validate one graph in this process; return figures."""
    import pyoxigraph as ox
    import rdflib
    from synthetic import generate

    from citykg.validation import load_shapes

    shapes = load_shapes([ROOT / "shapes"])
    onto = rdflib.Graph().parse(ROOT / "ontology" / "citykg.ttl").serialize(format="nt")
    t0 = time.perf_counter()
    data = onto + "\n".join(generate(size, defects=500)) + "\n"
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    c0 = 0.0
    if engine == "sparql":
        from citykg.shacl_sparql import validate_store

        store = ox.Store()
        graph = ox.NamedNode("https://w3id.org/citykg/graph/data")
        store.bulk_load(data.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        triples = len(store)
        t_load = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        results = validate_store(store, shapes)
    else:
        import pyshacl

        g = rdflib.Graph().parse(data=data, format="nt")
        triples = len(g)
        t_load = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        _c, rep, _t = pyshacl.validate(
            g, shacl_graph=shapes, inference=None, advanced=True, allow_warnings=True
        )
        results = list(rep.subjects(rdflib.RDF.type, rdflib.SH.ValidationResult))  # type: ignore[union-attr]
    t_val = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "triples": triples,
        "generate_s": t_gen,
        "load_s": t_load,
        "validate_s": t_val,
        "cpu_s": cpu,
        "peak_mb": peak_mb,
        "results": len(results),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--pyshacl", action="store_true", help="also time pySHACL (slow)")
    ap.add_argument("--child", nargs=2, metavar=("SIZE", "ENGINE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1])))
        return
    engines = ["sparql"] + (["pyshacl"] if args.pyshacl else [])
    print(
        f"{'engine':<8} {'triples':>10} {'load s':>8} {'validate s':>11} {'cpu s':>6} {'peak MB':>8} {'results':>8}"
    )
    for size in args.sizes:
        for engine in engines:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(size), engine],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{engine:<8} {int(r['triples']):>10,} {r['load_s']:>8.1f} {r['validate_s']:>11.1f} {r['cpu_s']:>6.1f} "
                f"{r['peak_mb']:>8.0f} {int(r['results']):>8,}",
                flush=True,
            )


if __name__ == "__main__":
    main()
