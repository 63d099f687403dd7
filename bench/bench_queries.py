"""Every stored query against its budget, on the shipped graph and on larger ones.

Usage::

    python bench/bench_queries.py [--scale 1 --scale 10] [-k PATTERN ...] [--timeout 300]
                                  [--out FILE] [--fresh] [--report] [--root DIR] [--work DIR]

It builds the shipped graph (ontology, data, inferences) once into an on-disk
Oxigraph store (scale 1), and for every other ``--scale K`` a store K times
larger in memberships: every membership, its member and the place the member
governs (not countries or subdivisions) is copied ``K - 1`` times under new
IRIs (``...-x1``, ``...-x2``), with every triple that touches them, asserted or
inferred, in the same named graph. The vocabulary is the shipped one, and so is
the shape: the few very large networks (the Covenant of Mayors) grow as much
as the many small ones, and a city in several networks stays in several
networks. Stores live under ``--work``, in a folder named by a digest of
ontology/ and data/, so a changed graph is built again and an unchanged one is
reused.

Each query runs with its default parameters, first through citykg's API
(``kg.query(name, limit=None, timeout=None, memory=None)``), then, as the
baseline, on bare pyoxigraph with the same bound text: one long-lived child
process per graph and engine, fed one query at a time. A child reports the
wall time of running the query and reading every row, and the growth of its
peak resident memory (VmHWM after minus VmRSS before: Rust's allocations are
invisible to tracemalloc). The parent kills a child whose query passes
``--timeout`` seconds (and starts a fresh one for the next query) and caps each
child's address space (``--max-memory``), so a runaway query is reported, not
suffered.

Each row is printed (and flushed) as soon as both engines have run it, the two
side by side, and each measurement is appended at once to a tab-separated file
(``--out``, by default ``bench/results/queries-<date>.tsv``; one line per
measurement, appended and flushed, never rewritten). A rerun with the same
file skips what the file already holds for the same graph (digest and scale),
engine and query text (a timeout shorter than this run's ``--timeout`` is
measured again), so an interrupted run resumes where it stopped; ``--fresh`` measures everything again (earlier lines stay in the file,
the newest line of a kind wins). ``--report`` prints the table from the file
without running anything.

A row is flagged ``OVER`` when citykg's run on the shipped graph exceeds the
query's ``#+ budget`` in time or memory, and ``OVERxK`` when its run on the
scale-K graph exceeds K times the budget. Nothing is asserted: this prints
figures.

``--root DIR`` takes ontology/, shapes/, data/ and queries/ from another
checkout (to measure a branch not merged yet).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import gc
import hashlib
import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
ORG = "http://www.w3.org/ns/org#"
CKG = "https://w3id.org/citykg/ontology#"
ENGINES = ("citykg", "bare")  # bare pyoxigraph is the baseline
COLUMNS = [
    "when",
    "data",
    "scale",
    "quads",
    "engine",
    "query",
    "qhash",
    "budget",
    "seconds",
    "memory",
    "rows",
    "error",
    "load",
]


def settings_for(root: Path | None) -> Any:
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


def rss_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def digest(paths: list[Path]) -> str:
    """A short digest of every file under ``paths`` (names and bytes)."""
    h = hashlib.sha256()
    for base in paths:
        for f in sorted(p for p in base.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(base.parent)).encode() + b"\0")
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def query_hash(q: Any) -> str:
    """A short digest of what runs: the bound text without its ``#+`` header."""
    from citykg.errors import QueryParameterError

    try:
        text = q.bind({})
    except QueryParameterError:  # it fails in the child too, with its message
        text = q.text
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#+"))
    return hashlib.sha256(body.encode()).hexdigest()[:12]


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
        nxt: list[ox.NamedNode | ox.BlankNode] = []
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

        def rename(t: Any, k: int = k, bnodes: dict[str, ox.BlankNode] = bnodes) -> Any:
            if t not in copied:
                return t
            if isinstance(t, ox.BlankNode):
                return bnodes.setdefault(t.value, ox.BlankNode())
            return ox.NamedNode(f"{t.value}-x{k}")

        for q in touching:
            yield ox.Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name)


def build_stores(root: Path | None, work: Path, scales: list[int]) -> dict[int, int]:
    """The on-disk store of every scale under ``work`` (built if missing); their sizes in quads."""
    sizes_file = work / "sizes.json"
    sizes = (
        {int(k): v for k, v in json.loads(sizes_file.read_text()).items()}
        if sizes_file.exists()
        else {}
    )
    missing = [s for s in scales if not (work / f"x{s}" / "DONE").exists()]
    if not missing:
        return sizes
    from citykg.api import KnowledgeGraph

    t0 = time.perf_counter()
    kg = KnowledgeGraph(settings_for(root))
    kg.build()
    mem = kg.store.ox  # type: ignore[attr-defined]
    print(f"# built the shipped graph in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for scale in missing:
        path = work / f"x{scale}"
        t0 = time.perf_counter()
        disk = ox.Store(str(path))
        disk.clear()  # a half-written store from an interrupted build
        disk.bulk_extend(mem.quads_for_pattern(None, None, None, None))
        if scale > 1:
            disk.bulk_extend(copies(mem, scale))
        disk.flush()
        sizes[scale] = len(disk)
        del disk
        gc.collect()
        (path / "DONE").write_text("")
        tmp = sizes_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(sizes))
        tmp.replace(sizes_file)
        print(
            f"# wrote x{scale}: {sizes[scale]:,} quads in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
    return sizes


# --- runs in a child process -----------------------------------------------


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: 5 > /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def child(store_path: str, mode: str, root: Path | None) -> None:
    """Run the queries named on standard input, one a line; one JSON line out per query."""
    import inspect

    from citykg.api import KnowledgeGraph
    from citykg.queries import QueryLibrary
    from citykg.results import AskResult, GraphResult, SelectResult
    from citykg.store import OxigraphStore

    settings = settings_for(root)
    library = QueryLibrary(list(settings.query_dirs))
    oxstore = ox.Store.read_only(store_path)
    kg = KnowledgeGraph(settings, store=OxigraphStore.wrap(oxstore, Path(store_path)))
    lift: dict[str, object] = {"limit": None, "timeout": None, "memory": None}
    if "timeout" not in inspect.signature(kg.query).parameters:
        lift = {}  # before the bounded API
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        text = library.get(name).bind({})
        gc.collect()
        print(json.dumps({"start": name}), flush=True)
        reset_peak()
        before = rss_kb("VmRSS")
        t0 = time.perf_counter()
        if mode == "citykg":
            res: object = kg.query(name, **lift)  # type: ignore[arg-type]
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


class Worker:
    """A long-lived child over one store and one engine; replaced when it dies or is killed."""

    def __init__(self, store: Path, mode: str, root: Path | None, max_memory: int) -> None:
        self.store, self.mode, self.root, self.max_memory = store, mode, root, max_memory
        self.proc: subprocess.Popen[str] | None = None
        self.buffer = b""
        self.errors: IO[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        max_memory = self.max_memory

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

        self.errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, str(HERE), "--child", str(self.store), self.mode]
        if self.root is not None:
            cmd += ["--root", str(self.root)]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            preexec_fn=limit,
        )
        self.proc, self.buffer = proc, b""
        if self._read(120.0) is None or proc.poll() is not None:
            raise SystemExit(
                f"the {self.mode} child on {self.store} did not start: {self._last_error()}"
            )
        return proc

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The next JSON line of the child, or None if it stays silent ``timeout`` seconds.

        Reads the pipe's descriptor into a buffer of our own: a buffered
        ``readline`` may take two lines at once, and ``select`` would then wait
        for a second line that has already arrived.
        """
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return {"eof": True}
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)  # type: ignore[no-any-return]

    def _last_error(self) -> str:
        if self.errors is None:
            return ""
        self.errors.seek(0)
        lines = self.errors.read().strip().splitlines()
        return lines[-1][:80] if lines else ""

    def run(self, name: str, timeout: float) -> dict[str, Any]:
        """Run one query; its figures, or ``{"error": ...}``."""
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        assert proc.stdin is not None
        proc.stdin.write(name + "\n")
        proc.stdin.flush()
        deadline = None
        while True:
            wait = 300.0 if deadline is None else max(0.0, deadline - time.monotonic())
            msg = self._read(wait)
            if msg is None:
                self.stop()
                if deadline is None:
                    return {"error": "child silent"}
                return {"error": f"timeout {timeout:g}s"}
            if "eof" in msg:
                proc.wait()
                err = self._last_error() or f"exit {proc.returncode}"
                self.stop()
                return {"error": f"died ({err[:50]})"}
            if "start" in msg:
                deadline = time.monotonic() + timeout
                continue
            return msg

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                if f is not None:
                    f.close()
            self.proc = None
        if self.errors is not None:
            self.errors.close()
            self.errors = None


# --- the results file -------------------------------------------------------


@dataclass
class Results:
    """The append-only TSV of measurements; the newest line of each kind wins."""

    path: Path
    since: str = ""  # lines older than this are ignored for resuming (--fresh)
    rows: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)

    @staticmethod
    def key(row: dict[str, str]) -> tuple[str, ...]:
        return (row["data"], row["scale"], row["engine"], row["query"], row["qhash"])

    def load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open(newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("when", "") >= self.since and None not in row.values():
                    self.rows[self.key(row)] = row

    def add(self, row: dict[str, str]) -> None:
        new = not self.path.exists() or self.path.stat().st_size == 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = "\t".join(str(row[c]).replace("\t", " ").replace("\n", " ") for c in COLUMNS)
        head = "\t".join(COLUMNS) + "\n" if new else ""
        # one write of one short line to a file opened for appending: a crash leaves whole lines
        with self.path.open("a") as f:
            f.write(head + line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.rows[self.key(row)] = row


def shorter_timeout(row: dict[str, str], timeout: float) -> bool:
    """The row is a timeout shorter than ``timeout``: worth measuring again."""
    m = re.fullmatch(r"timeout ([0-9.]+)s", row["error"])
    return m is not None and float(m.group(1)) < timeout


def cell(r: dict[str, str] | None) -> str:
    if r is None:
        return "-"
    if r["error"]:
        return r["error"]
    return f"{float(r['seconds']):.2f} s, {int(r['memory']) / 1e6:.0f} MB, {int(r['rows']):,} rows"


def flag(budget: Any, scale: int, r: dict[str, str] | None) -> str:
    if budget is None:
        return "NO BUDGET"
    if r is None:
        return ""
    name = "OVER" if scale == 1 else f"OVERx{scale}"
    if (
        r["error"]
        or float(r["seconds"]) > scale * budget.seconds
        or int(r["memory"]) > scale * budget.memory
    ):
        return name
    return "ok"


def ratio(a: dict[str, str] | None, b: dict[str, str] | None) -> str:
    if a is None or b is None or a["error"] or b["error"] or float(b["seconds"]) <= 0:
        return "-"
    return f"{float(a['seconds']) / float(b['seconds']):.2f}"


def table(queries: list[Any], scales: list[int], data: str, results: Results) -> list[str]:
    """The markdown table: one row per query and graph, citykg beside bare pyoxigraph."""
    out = [
        "| query | budget | graph | citykg | bare pyoxigraph | citykg/bare | flag |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in queries:
        qh, budget = query_hash(q), str(q.budget) if q.budget else "-"
        for s in scales:
            r = {e: results.rows.get((data, str(s), e, q.name, qh)) for e in ENGINES}
            if r["citykg"] is None and r["bare"] is None:
                continue
            graph = "shipped" if s == 1 else f"x{s}"
            out.append(
                f"| {q.name} | {budget} | {graph} | {cell(r['citykg'])} | {cell(r['bare'])} "
                f"| {ratio(r['citykg'], r['bare'])} | {flag(q.budget, s, r['citykg'])} |"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--root", type=Path, help="take ontology/data/shapes/queries from here")
    ap.add_argument(
        "--scale",
        type=int,
        action="append",
        help="graph size in memberships, 1 = shipped (repeatable; default: 1 and 10)",
    )
    ap.add_argument(
        "-k",
        dest="patterns",
        action="append",
        help="only queries whose name contains this or matches this glob (repeatable)",
    )
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per query and engine")
    ap.add_argument(
        "--out", type=Path, help="results file (default bench/results/queries-DATE.tsv)"
    )
    ap.add_argument("--fresh", action="store_true", help="measure again what --out already holds")
    ap.add_argument("--report", action="store_true", help="print the table from --out; run nothing")
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "citykg-bench-queries"
    )
    ap.add_argument("--max-memory", type=float, default=6.0, help="GB of address space per child")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = args.root.resolve() if args.root else None
    if args.child:
        child(args.child[0], args.child[1], root)
        return
    from citykg.queries import QueryLibrary

    scales = sorted(set(args.scale or [1, 10]))
    base = root or REPO
    data = digest([base / "ontology", base / "data"])
    work = args.work / data
    out = args.out or REPO / "bench" / "results" / f"queries-{dt.date.today().isoformat()}.tsv"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = Results(out, since=now if args.fresh else "")
    results.load()
    library = QueryLibrary(list(settings_for(root).query_dirs))
    queries = [q for q in library if not q.needs_network]
    if args.patterns:
        queries = [
            q
            for q in queries
            if any(p in q.name or fnmatch.fnmatch(q.name, p) for p in args.patterns)
        ]
    if args.report:
        print("\n".join(table(queries, scales, data, results)))
        return
    work.mkdir(parents=True, exist_ok=True)
    sizes = build_stores(root, work, scales)
    load = os.getloadavg()
    print(f"# data {data}: " + ", ".join(f"x{s} {sizes[s]:,} quads" for s in scales))
    print(f"# results appended to {out}")
    print(
        f"# load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )
    print("# each cell: wall time, peak RSS growth, rows; citykg/bare: ratio of wall times;")
    print(
        "# OVER = citykg over budget on the shipped graph, OVERxK = over K times it on the xK graph"
    )
    print("\n".join(table([], scales, data, results)), flush=True)
    max_memory = int(args.max_memory * 1e9)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # children are stopped on the way out
    for s in scales:
        workers = {e: Worker(work / f"x{s}", e, root, max_memory) for e in ENGINES}
        try:
            for q in queries:
                qh, budget = query_hash(q), str(q.budget) if q.budget else "-"
                for e in ENGINES:
                    done = results.rows.get((data, str(s), e, q.name, qh))
                    if done is not None and not shorter_timeout(done, args.timeout):
                        continue
                    m = workers[e].run(q.name, args.timeout)
                    results.add(
                        {
                            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "data": data,
                            "scale": str(s),
                            "quads": str(sizes[s]),
                            "engine": e,
                            "query": q.name,
                            "qhash": qh,
                            "budget": budget,
                            "seconds": f"{m.get('seconds', 0.0):.4f}",
                            "memory": str(m.get("memory", 0)),
                            "rows": str(m.get("rows", 0)),
                            "error": m.get("error", ""),
                            "load": f"{os.getloadavg()[0]:.2f}",
                        }
                    )
                print(table([q], [s], data, results)[-1], flush=True)
        finally:
            for w in workers.values():
                w.stop()
    load = os.getloadavg()
    print(f"# load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("\n".join(table(queries, scales, data, results)))


if __name__ == "__main__":
    main()
