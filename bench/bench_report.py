"""Runtime and peak memory of ``citykg report`` on the shipped graph, beside baselines.

In a fresh process per measurement (so that peak memory is the step's own):

- ``build``: building the shipped graph (no reasoning), the floor of every command;
- ``queries``: build + the four stored queries of ``queries/analytics/`` with
  their rows turned into DataFrames (the bare query time the report starts from);
- ``report (whole graph)`` and ``report (network)``/``report (country)``: build +
  :func:`citykg.report.build_report` + writing the folder, as ``citykg report`` does.

Each line prints wall time, the step's time beyond the build and the process's
peak resident memory (the store is native memory, so RSS, not a Python heap
tracer, which would also slow the run fourfold). Nothing is asserted.

    python bench/bench_report.py [--network IRI] [--country CODE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

WORKER = r"""
import json, resource, sys, time
from pathlib import Path
kind, arg, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
import citykg
kg = citykg.load(reasoning=False)
built = time.perf_counter() - t0
rows = 0
if kind == "queries":
    for name in ("places", "countries", "network-memberships", "twinning-ties"):
        rows += len(kg.query("analytics/" + name, limit=None).to_dataframe())
elif kind.startswith("report"):
    from citykg.report import build_report, write_report
    opts = {}
    if kind == "report-network":
        opts["network"] = arg
    elif kind == "report-country":
        opts["country"] = arg
    r = build_report(kg.analytics, **opts)
    write_report(r, Path(out))
    rows = sum(len(t.frame) for t in r.tables)
total = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"total": total, "built": built, "rss_mb": rss, "rows": rows}))
"""


def measure(kind: str, arg: str = "") -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="citykg-bench-report-") as out:
        proc = subprocess.run(
            [sys.executable, "-c", WORKER, kind, arg, out],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default="https://w3id.org/citykg/id/network/covenant-of-mayors")
    ap.add_argument("--country", default="DE")
    args = ap.parse_args()
    runs = [
        ("build (baseline)", "build", ""),
        ("analytics queries (baseline)", "queries", ""),
        ("report, whole graph", "report", ""),
        (f"report, country {args.country}", "report-country", args.country),
        ("report, network " + args.network.rsplit("/", 1)[-1], "report-network", args.network),
    ]
    print(f"{'step':<40} {'wall s':>8} {'beyond build s':>15} {'peak RSS MB':>12} {'rows':>8}")
    for label, kind, arg in runs:
        try:
            r = measure(kind, arg)
        except SystemExit as e:
            print(f"{label:<40} failed: {str(e).splitlines()[-1]}")
            continue
        print(
            f"{label:<40} {r['total']:>8.1f} {r['total'] - r['built']:>15.1f} "
            f"{r['rss_mb']:>12.0f} {int(r['rows']):>8,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
