"""Stored-query overhead: citykg's API against the same text on bare pyoxigraph.

Opens the cached build of the shipped graph (made first if needed), then for
every stored query that runs offline times, in the same process and over the
same store, (a) bare pyoxigraph: ``store.query(text)`` with the rows read out
as Oxigraph terms, (b) citykg in this process: ``kg.query(name, isolate=False)``
(parameter binding, the query guard, the run and the conversion to a result),
and (c) citykg's default, ``kg.query(name)``: the same run in the child process
that bounds it (:mod:`citykg.sandbox`), its result sent back over a pipe. With ``--format`` both
sides also convert: json and csv with pyoxigraph's own serialiser against
citykg's ``serialize``; dataframe a pandas frame of the terms' values built
column by column against citykg's typed ``to_dataframe``. Prints the
median of each and the ratios to bare, then the median ratios over all queries.

    python bench/bench_query.py [--repeat 30] [--format json]

Nothing here asserts on time: these are figures to read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable


def _median(fn: Callable[[], object], repeat: int) -> float:
    t = time.perf_counter()
    fn()  # warm-up: caches of both sides are filled, as in a long-running process
    first = time.perf_counter() - t
    times = []
    for _ in range(max(3, min(repeat, int(3.0 / max(first, 1e-6))))):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--format", choices=["none", "json", "csv", "dataframe"], default="none")
    ap.add_argument(
        "--skip-over",
        type=float,
        default=None,
        metavar="MS",
        help="skip queries whose bare run takes longer (their overhead is noise)",
    )
    args = ap.parse_args(argv)
    import pyoxigraph as ox

    import citykg
    from citykg.results import SelectResult

    kg = citykg.load(cache=True)
    bare = kg.store.ox  # the same Oxigraph store

    def convert(res: object) -> object:
        if args.format == "none" or not isinstance(res, SelectResult):
            return res
        if args.format == "dataframe":
            return res.to_dataframe()
        return res.serialize(args.format)

    print(
        f"{'query':<40} {'rows':>6} {'bare ms':>9} {'in-proc ms':>10} {'ratio':>6}"
        f" {'child ms':>9} {'ratio':>6}"
    )
    ratios, child_ratios = [], []
    for q in kg.library:
        if q.needs_network:
            continue
        text = q.bind({})

        def run_bare(text: str = text) -> object:
            r = bare.query(text, use_default_graph_as_union=True)
            if isinstance(r, ox.QuerySolutions):
                if args.format in ("json", "csv"):
                    fmt = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV}
                    return r.serialize(format=fmt[args.format])
                if args.format == "dataframe":
                    import pandas as pd

                    names = [v.value for v in r.variables]
                    rows = [tuple(s) for s in r]
                    return pd.DataFrame(
                        {
                            n: [None if x[i] is None else x[i].value for x in rows]  # type: ignore[union-attr]
                            for i, n in enumerate(names)
                        }
                    )
                return [tuple(s) for s in r]
            if isinstance(r, ox.QueryTriples):
                return list(r)
            return bool(r)

        def run_api(name: str = q.name) -> object:
            return convert(kg.query(name, isolate=False))

        def run_child(name: str = q.name) -> object:
            return convert(kg.query(name))

        t = time.perf_counter()
        rows = run_bare()
        if args.skip_over is not None and (time.perf_counter() - t) * 1000 > args.skip_over:
            print(f"{q.name[:40]:<40} skipped (bare run over {args.skip_over:.0f} ms)")
            continue
        b = _median(run_bare, args.repeat)
        a = _median(run_api, args.repeat)
        c = _median(run_child, args.repeat)
        ratio = a / b if b > 0 else float("nan")
        child_ratio = c / b if b > 0 else float("nan")
        ratios.append(ratio)
        child_ratios.append(child_ratio)
        n = len(rows) if isinstance(rows, list) else 1 if isinstance(rows, bool) else -1
        print(
            f"{q.name[:40]:<40} {n:>6} {b * 1000:>9.2f} {a * 1000:>10.2f} {ratio:>6.2f}"
            f" {c * 1000:>9.2f} {child_ratio:>6.2f}"
        )
        sys.stdout.flush()
    print(
        f"# {len(ratios)} stored queries, format {args.format}: median ratio in this process "
        f"{statistics.median(ratios):.2f} (max {max(ratios):.2f}), in the child process "
        f"{statistics.median(child_ratios):.2f} (max {max(child_ratios):.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
