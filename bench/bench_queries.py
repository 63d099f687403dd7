"""Every stored query against its budget, on the shipped graph and on one ten times larger.

Usage::

    python bench/bench_queries.py [--root DIR] [--scale 10] [--only NAME ...] [--work DIR]

It builds the shipped graph (ontology, data, inferences) once into an on-disk
Oxigraph store, and a second store ``--scale`` times larger in memberships:
every membership, its member and the place the member governs (not countries
or subdivisions) is copied ``scale - 1`` times under new IRIs (``...-x1``,
``...-x2``), with every triple that touches them, asserted or inferred, in the
same named graph. The vocabulary is the shipped one, and so is the shape: the
few very large networks (the Covenant of Mayors) grow as much as the many small
ones, and a city in several networks stays in several networks.

Each query runs with its default parameters in a fresh child process per
graph and per engine: citykg's API (``kg.query(name, limit=None,
timeout=None)``) and bare pyoxigraph on the same bound text. A child reports
the wall time of running the query and reading every row, and the growth of
its peak resident memory (VmHWM after minus VmRSS before: Rust's allocations
are invisible to tracemalloc). The parent kills a child that passes
``--kill-after`` seconds and caps each child's address space (``--max-memory``),
so a runaway query is reported, not suffered.

A query is flagged ``OVER`` when citykg's run on the shipped graph exceeds its
``#+ budget``, and ``OVER10`` when the run on the larger graph exceeds ten
times the budget. Nothing is asserted: this prints figures.

``--root DIR`` takes ontology/, shapes/, data/ and queries/ from another
checkout (to measure a branch not merged yet).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
ORG = "http://www.w3.org/ns/org#"
CKG = "https://w3id.org/citykg/ontology#"


def settings_for(root: Path | None) -> object:
    from citykg.config import Settings

    if root is None:
        return Settings(reasoning=True)
    return Settings(
        ontology_dirs=(root / "ontology",),
        shapes_dirs=(root / "shapes",),
        data_dirs=(root / "data",),
        query_dirs=(root / "queries",),
        reasoning=True,
    )


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# --- the graphs -------------------------------------------------------------

COPIED = f"""
PREFIX org: <{ORG}>
PREFIX ckg: <{CKG}>
SELECT DISTINCT ?x WHERE {{
  {{ ?x a org:Membership }}
  UNION {{ ?m a org:Membership ; org:member ?x }}
  UNION {{ ?m a org:Membership ; org:member ?y . ?y ckg:governs ?x .
           FILTER NOT EXISTS {{ ?x a ckg:Country }} FILTER NOT EXISTS {{ ?x a ckg:Subdivision }} }}
}}"""


def copies(store: ox.Store, scale: int) -> Iterator[ox.Quad]:
    """The quads of ``scale - 1`` copies of every membership, member and governed place."""
    copied: set[ox.NamedNode | ox.BlankNode] = set()
    for sol in store.query(COPIED, use_default_graph_as_union=True):  # type: ignore[union-attr]
        copied.add(sol["x"])
    touching: list[ox.Quad] = []
    frontier = list(copied)
    while frontier:  # blank nodes hanging off copied things are copied with them
        nxt = []
        for s in frontier:
            for q in store.quads_for_pattern(s, None, None, None):
                touching.append(q)
                o = q.object
                if isinstance(o, ox.BlankNode) and o not in copied:
                    copied.add(o)
                    nxt.append(o)
        frontier = nxt
    for o in [x for x in copied if isinstance(x, ox.NamedNode)]:
        for q in store.quads_for_pattern(None, None, o, None):
            if q.subject not in copied:
                touching.append(q)
    for k in range(1, scale):
        bnodes: dict[str, ox.BlankNode] = {}

        def rename(t: object, k: int = k, bnodes: dict[str, ox.BlankNode] = bnodes) -> object:
            if t not in copied:
                return t
            if isinstance(t, ox.BlankNode):
                return bnodes.setdefault(t.value, ox.BlankNode())
            return ox.NamedNode(f"{t.value}-x{k}")  # type: ignore[attr-defined]

        for q in touching:
            yield ox.Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name)  # type: ignore[arg-type]


def build_stores(root: Path | None, work: Path, scale: int) -> dict[str, int]:
    from citykg.api import KnowledgeGraph

    shipped, scaled = work / "shipped", work / f"x{scale}"
    if (shipped / "DONE").exists() and (scaled / "DONE").exists():
        return json.loads((work / "sizes.json").read_text())  # type: ignore[no-any-return]
    t0 = time.perf_counter()
    kg = KnowledgeGraph(settings_for(root))  # type: ignore[arg-type]
    kg.build()
    mem = kg.store.ox  # type: ignore[attr-defined]
    print(f"built the shipped graph in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    sizes = {}
    for name, path, extra in ((shipped.name, shipped, 1), (scaled.name, scaled, scale)):
        t0 = time.perf_counter()
        disk = ox.Store(str(path))
        disk.bulk_extend(mem.quads_for_pattern(None, None, None, None))
        if extra > 1:
            disk.bulk_extend(copies(mem, extra))
        disk.flush()
        sizes[name] = len(disk)
        del disk
        gc.collect()
        (path / "DONE").write_text("")
        print(
            f"wrote {name}: {sizes[name]:,} quads in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
    (work / "sizes.json").write_text(json.dumps(sizes))
    return sizes


# --- runs in a child process -----------------------------------------------


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: 5 > /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def child(store_path: str, mode: str, names: list[str], root: Path | None) -> None:
    """Run queries one after another; one JSON line per query on standard output."""
    import inspect

    from citykg.api import KnowledgeGraph
    from citykg.queries import QueryLibrary
    from citykg.results import AskResult, GraphResult, SelectResult
    from citykg.store import OxigraphStore

    settings = settings_for(root)
    library = QueryLibrary(list(settings.query_dirs))  # type: ignore[attr-defined]
    oxstore = ox.Store.read_only(store_path)
    store = OxigraphStore.__new__(OxigraphStore)
    store.path, store.ox = Path(store_path), oxstore
    kg = KnowledgeGraph(settings, store=store)  # type: ignore[arg-type]
    lift: dict[str, object] = {"limit": None, "timeout": None, "memory": None}
    if "timeout" not in inspect.signature(kg.query).parameters:
        lift = {}  # before the bounded API
    for name in names:
        text = library.get(name).bind({})
        gc.collect()
        print(json.dumps({"start": name}), flush=True)
        reset_peak()
        before = rss_kb("VmRSS")
        t0 = time.perf_counter()
        if mode == "citykg":
            res: object = kg.query(name, **lift)
            rows = (
                len(res.rows)
                if isinstance(res, SelectResult)
                else len(res.triples)
                if isinstance(res, GraphResult)
                else int(isinstance(res, AskResult))
            )
        else:
            res = oxstore.query(text, use_default_graph_as_union=True)
            rows = 1 if isinstance(res, ox.QueryBoolean) else sum(1 for _ in res)  # type: ignore[attr-defined]
        res = None
        seconds = time.perf_counter() - t0
        peak = rss_kb("VmHWM")
        out = {
            "name": name,
            "seconds": seconds,
            "memory": max(0, peak - before) * 1024,
            "rows": rows,
        }
        print(json.dumps(out), flush=True)


def run_children(
    store: Path, mode: str, names: list[str], root: Path | None, kill_after: float, max_memory: int
) -> dict[str, dict[str, object]]:
    """Run every query in as few children as possible; a child that dies or stalls is replaced."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    results: dict[str, dict[str, object]] = {}
    todo = list(names)
    while todo:
        errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed below
        cmd = [sys.executable, str(HERE), "--child", str(store), mode, *todo]
        if root is not None:
            cmd += ["--root", str(root)]
        p = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=errors, text=True, preexec_fn=limit
        )
        assert p.stdout is not None
        current, deadline, progressed = None, None, False
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([p.stdout], [], [], wait)
            if not ready:  # the current query passed kill_after
                p.kill()
                p.wait()
                results[str(current)] = {"error": f"killed after {kill_after:g} s"}
                todo.remove(str(current))
                break
            line = p.stdout.readline()
            if not line:  # the child ended: done, or died (out of memory, a crash)
                p.wait()
                errors.seek(0)
                err = errors.read().strip().splitlines() or [""]
                if current is not None:
                    results[current] = {"error": f"died ({err[-1][:50] or p.returncode})"}
                    todo.remove(current)
                elif todo and not progressed:
                    raise SystemExit(f"child failed: {err[-1]}")
                break
            msg = json.loads(line)
            if "start" in msg:
                current, deadline = msg["start"], time.monotonic() + kill_after
                continue
            results[msg["name"]] = msg
            todo.remove(msg["name"])
            progressed = True
            current, deadline = None, None
        if p.poll() is None:
            p.wait()
        errors.close()
    return results


def cell(r: dict[str, object]) -> str:
    if "error" in r:
        return str(r["error"])
    return f"{float(r['seconds']):7.2f}s {int(r['memory']) / 1e6:6.0f}MB {int(r['rows']):>7}"  # type: ignore[call-overload]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, help="take ontology/data/shapes/queries from here")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--only", nargs="*", help="query names (default: all)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/citykg-bench-queries"))
    ap.add_argument("--kill-after", type=float, default=300.0, help="seconds per child")
    ap.add_argument("--max-memory", type=float, default=6.0, help="GB of address space per child")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = args.root.resolve() if args.root else None
    if args.child:
        child(args.child[0], args.child[1], args.child[2:], root)
        return
    from citykg.queries import QueryLibrary

    args.work.mkdir(parents=True, exist_ok=True)
    sizes = build_stores(root, args.work, args.scale)
    library = QueryLibrary(list(settings_for(root).query_dirs))  # type: ignore[attr-defined]
    queries = [q for q in library if not q.needs_network]
    if args.only:
        queries = [q for q in queries if q.name in args.only or q.name.split("/")[-1] in args.only]
    load = os.getloadavg()
    print(
        f"# graphs: shipped {sizes['shipped']:,} quads, x{args.scale} {sizes[f'x{args.scale}']:,}"
    )
    print(
        f"# load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )
    print(
        "# each cell: wall time, peak RSS growth, rows; OVER = citykg over budget on the shipped graph,"
    )
    print(f"# OVER10 = over 10x the budget on the x{args.scale} graph")
    head = [
        "query",
        "budget",
        "shipped citykg",
        "shipped bare",
        f"x{args.scale} citykg",
        f"x{args.scale} bare",
        "flag",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    out = []
    max_memory = int(args.max_memory * 1e9)
    names = [q.name for q in queries]
    runs = {}
    for graph in ("shipped", f"x{args.scale}"):
        for mode in ("citykg", "bare"):
            runs[f"{graph} {mode}"] = run_children(
                args.work / graph, mode, names, root, args.kill_after, max_memory
            )
            print(f"# ran {graph} {mode}", file=sys.stderr, flush=True)
    for q in queries:
        cells = {key: r[q.name] for key, r in runs.items()}
        flags = []
        b = q.budget
        own, big = cells["shipped citykg"], cells[f"x{args.scale} citykg"]
        if b is None:
            flags.append("NO BUDGET")
        else:
            if "error" in own or float(own["seconds"]) > b.seconds or int(own["memory"]) > b.memory:  # type: ignore[arg-type]
                flags.append("OVER")
            if (
                "error" in big
                or float(big["seconds"]) > 10 * b.seconds
                or int(big["memory"]) > 10 * b.memory
            ):  # type: ignore[arg-type]
                flags.append("OVER10")
        row = [
            q.name,
            str(b) if b else "-",
            *(cell(c) for c in cells.values()),
            " ".join(flags) or "ok",
        ]
        print("| " + " | ".join(row) + " |", flush=True)
        out.append({"query": q.name, "budget": str(b), "cells": cells, "flags": flags})
    load = os.getloadavg()
    print(f"# load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
