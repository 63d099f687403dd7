"""A whole build, side by side with the bare engines, at 100k, 1M and 10M triples.

For each size, generates citykg-shaped N-Triples (bench/synthetic.py, with one
defect seeded in every ``--defects`` records, counted), then runs each step in
a fresh process and reports its wall time, CPU time (user + system, from the
operating system's accounting of the child) and peak memory (its maximum
resident set):

- ``citykg build``: load, OWL RL + the SPARQL rules (semi-naive), validation
  (shapes compiled to SPARQL) and publishing the build on disk, through
  :func:`citykg.buildcache.open_build` (in memory then written to disk up to
  ``CITYKG_IN_MEMORY_BYTES`` of input, on disk above);
- ``citykg query``: a cold process that opens that build and runs stored queries;
- ``citykg rebuild``: one more data file (a few records) added: the incremental path;
- ``pyoxigraph load``: bare ``Store.bulk_load`` of the same file on disk;
- ``owlrl``: rdflib + owlrl's OWL RL closure (only up to ``--owlrl-up-to``);
- ``pyshacl``: rdflib + pySHACL on the same shapes (only up to ``--pyshacl-up-to``).

    python bench/bench_build.py [--sizes 100000 1000000 10000000] [--defects 1000]
        [--rebuild-up-to N] [--workdir DIR]

Nothing here asserts on time: these are figures to read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

WORKER = r"""
import json, sys, time
from pathlib import Path
kind, data, root = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
out = {}
T0 = time.perf_counter()
last = {}
def progress(what, done, total):
    # a line per round of reasoning and per tenth of the input read, to follow a long run
    step = done if what != "bytes" else (10 * done) // max(total, 1)
    if last.get(what) != step:
        last[what] = step
        print(f"{time.perf_counter() - T0:8.1f} s  {what} {done:,}/{total:,}", file=sys.stderr, flush=True)
if kind in ("citykg-build", "citykg-rebuild"):
    from citykg.api import open_kg
    from citykg.config import Settings
    validate = sys.argv[4] == "validate"
    kg = open_kg(Settings(data_dirs=(data,), store_path=root), validate=validate, progress=progress)
    m = kg.build_cache.manifest
    out = {"how": m["how"], "steps": m["steps"], "sizes": m["sizes"],
           "violations": "not validated", "warnings": 0, "by_shape": {}}
    if validate:
        report = kg.validate()
        out.update(violations=report.violations, warnings=report.warnings)
        for r in report.results:
            if r.severity == "Violation":
                out["by_shape"][r.shape] = out["by_shape"].get(r.shape, 0) + 1
elif kind == "citykg-query":
    from citykg.api import open_kg
    from citykg.config import Settings
    t = time.perf_counter()
    kg = open_kg(Settings(data_dirs=(data,), store_path=root))
    out["open_s"] = time.perf_counter() - t
    for item in sys.argv[4].split(","):
        name, _, param = item.partition("?")
        params = dict([param.split("=", 1)]) if param else {}
        t = time.perf_counter()
        res = kg.query(name, **params)
        out[name] = [len(getattr(res, "rows", [])), time.perf_counter() - t]
elif kind == "pyoxigraph-load":
    import pyoxigraph as ox
    store = ox.Store(str(root))
    for f in sorted(data.glob("*.nt")):
        store.bulk_load(path=str(f), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode("https://w3id.org/citykg/graph/data"))
    out["triples"] = len(store)
elif kind == "owlrl":
    import owlrl, rdflib
    from citykg.resources import resource_dir
    g = rdflib.Graph()
    g.parse(resource_dir("ontology") / "citykg.ttl", format="turtle")
    for f in sorted(data.glob("*.nt")):
        g.parse(f, format="nt")
    before = len(g)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)
    out["inferred"] = len(g) - before
elif kind == "pyshacl":
    import pyshacl, rdflib
    from citykg.resources import resource_dir
    from citykg.validation import load_shapes
    g = rdflib.Graph()
    g.parse(resource_dir("ontology") / "citykg.ttl", format="turtle")
    for f in sorted(data.glob("*.nt")):
        g.parse(f, format="nt")
    conforms, report, _ = pyshacl.validate(g, shacl_graph=load_shapes([resource_dir("shapes")]),
                                           inference=None, advanced=True, allow_warnings=True)
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    out["violations"] = sum(1 for _ in report.subjects(SH.resultSeverity, SH.Violation))
print(json.dumps(out))
"""


def queries_for(n: int) -> str:
    """Stored queries to run on the generated graph, with parameters naming its records."""
    city = f"https://w3id.org/citykg/id/city/q{1000 + max(2, n // 4000)}"
    return ",".join(
        [
            "members-of-network?network=https://w3id.org/citykg/id/network/n0",
            "networks-overview",
            f"sister-cities-of-city?city={city}",
            f"networks-of-city?city={city}",
        ]
    )


def measure_rusage(kind: str, data: Path, root: Path, *extra: str) -> dict[str, object]:
    """Run one step in a fresh process: its result, wall and CPU time, peak memory (``wait4``).

    The child's standard error (progress lines with timestamps) goes to
    ``<kind>.log`` beside the data folder, to follow a long run with ``tail -f``.
    """
    t = time.perf_counter()
    log = data.parent / f"{kind}.log"
    with log.open("w+") as err, tempfile.TemporaryFile("w+") as out_f:
        p = subprocess.Popen(
            [sys.executable, "-c", WORKER, kind, str(data), str(root), *extra],
            stdout=out_f,
            stderr=err,
            text=True,
        )
        _pid, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        out_f.seek(0)
        err.seek(0)
        if status != 0:
            raise SystemExit(f"{kind} failed:\n{err.read()[-3000:]}")
        result: dict[str, object] = json.loads(out_f.read().strip().splitlines()[-1])
    result["wall"] = wall
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def generate_file(n: int, folder: Path, defects: int) -> tuple[Path, dict[str, int]]:
    """``synthetic.nt`` of ``n`` triples in ``folder``, and the defects seeded in it.

    A file generated before with the same size and defect rate (its counts are
    kept beside it in ``synthetic.json``) is reused: 10M triples take minutes.
    """
    from synthetic import generate

    folder.mkdir(parents=True, exist_ok=True)
    stats: dict[str, int] = {}
    path = folder / "synthetic.nt"
    meta = folder / "synthetic.json"
    if path.exists() and meta.exists():
        kept = json.loads(meta.read_text(encoding="utf-8"))
        if kept.get("n") == n and kept.get("defects") == defects:
            return path, kept["stats"]
    with path.open("w", encoding="utf-8") as f:
        batch = []
        for line in generate(n, defects=defects, stats=stats):
            batch.append(line)
            if len(batch) >= 100_000:
                f.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            f.write("\n".join(batch) + "\n")
    meta.write_text(json.dumps({"n": n, "defects": defects, "stats": stats}), encoding="utf-8")
    return path, stats


ADDITION = """\
<https://w3id.org/citykg/id/city/bench-new> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/citykg/ontology#City> .
<https://w3id.org/citykg/id/city/bench-new> <http://www.w3.org/2000/01/rdf-schema#label> "Bench new city"@en .
<https://w3id.org/citykg/id/city/bench-new> <https://w3id.org/citykg/ontology#wikidataId> "Q1999999999" .
<https://w3id.org/citykg/id/twinning/bench-new> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/citykg/ontology#Twinning> .
<https://w3id.org/citykg/id/twinning/bench-new> <https://w3id.org/citykg/ontology#twinningParty> <https://w3id.org/citykg/id/city/bench-new> .
"""


def row(size: int, step: str, r: dict[str, object], note: str = "") -> None:
    print(
        f"{size:>10,}  {step:<18} {float(r['wall']):>8.1f} {float(r['cpu']):>8.1f} "  # type: ignore[arg-type]
        f"{float(r['peak_mb']):>8.0f}  {note}",  # type: ignore[arg-type]
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--defects", type=int, default=1000, help="one defect in N records")
    ap.add_argument("--owlrl-up-to", type=int, default=100_000)
    ap.add_argument("--pyshacl-up-to", type=int, default=100_000)
    ap.add_argument(
        "--validate-up-to",
        type=int,
        default=10**12,
        help="leave validation out of citykg's build above this many triples",
    )
    ap.add_argument(
        "--rebuild-up-to",
        type=int,
        default=10**12,
        help="leave out the incremental 'rebuild +1' step above this many triples",
    )
    ap.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to write, kept afterwards, generated files reused (default: a temp dir)",
    )
    args = ap.parse_args(argv)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}"
    )
    print(f"{'triples':>10}  {'step':<18} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}  notes")
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            top = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            top = args.workdir
        for n in args.sizes:
            base = top / str(n)
            for old in ("bare-store", "builds", "x"):  # an earlier run's, never reused
                shutil.rmtree(base / old, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                (base / "data" / "added.nt").unlink()
            t, started = time.perf_counter(), time.time()
            path, stats = generate_file(n, base / "data", args.defects)
            how = "kept from an earlier run" if path.stat().st_mtime < started else "generated"
            print(
                f"# {how}: {n:,} triples ({path.stat().st_size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t:.0f} s; seeded defects: "
                + ", ".join(f"{k} {v}" for k, v in stats.items()),
                flush=True,
            )
            r = measure_rusage("pyoxigraph-load", base / "data", base / "bare-store")
            row(n, "pyoxigraph load", r, f"{r['triples']:,} triples (bulk_load, on disk)")
            v = "validate" if n <= args.validate_up_to else "no"
            r = measure_rusage("citykg-build", base / "data", base / "builds", v)
            sizes = r["sizes"]
            assert isinstance(sizes, dict)
            row(
                n,
                "citykg build",
                r,
                f"{sum(sizes.values()):,} quads, {sizes.get('inferred', 0):,} inferred; "
                f"{r['violations']} violations",
            )
            for step in r["steps"]:  # type: ignore[attr-defined]
                print(f"{'':>10}    {step}")
            print(f"{'':>10}    violations by shape: {r['by_shape']}")
            r = measure_rusage("citykg-query", base / "data", base / "builds", queries_for(n))
            times = ", ".join(
                f"{k.split('?')[0]} {v[0]} rows {v[1]:.2f} s"  # type: ignore[index]
                for k, v in r.items()
                if isinstance(v, list)
            )
            row(n, "citykg query", r, f"open {float(r['open_s']):.2f} s; {times}")  # type: ignore[arg-type]
            if n <= args.rebuild_up_to:
                (base / "data" / "added.nt").write_text(ADDITION, encoding="utf-8")
                r = measure_rusage("citykg-rebuild", base / "data", base / "builds", v)
                row(n, "citykg rebuild +1", r, str(r["how"]))
                for step in r["steps"]:  # type: ignore[attr-defined]
                    print(f"{'':>10}    {step}")
                (base / "data" / "added.nt").unlink()
            if n <= args.owlrl_up_to:
                r = measure_rusage("owlrl", base / "data", base / "x")
                row(n, "owlrl (reasoning)", r, f"{r['inferred']:,} triples added")
            if n <= args.pyshacl_up_to:
                r = measure_rusage("pyshacl", base / "data", base / "x")
                row(n, "pyshacl (validation)", r, f"{r['violations']} violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
