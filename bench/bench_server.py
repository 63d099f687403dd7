"""Load benchmark of ``citykg serve`` on loopback: requests per second and latency percentiles.

Starts a real server (from a dump: ``--dump FILE``, else ``dist/citykg.nq``, else
a fresh build), then runs fixed phases with a fixed number of concurrent
clients and requests, and stops by itself:

1. an entity page, 2. a stored query, 3. a heavy query (a join that passes
the time limit), 4. light page requests while heavy queries run, and 5. light
requests of each kind (``ASK {}``, a small lookup, VoID, a page), first on an
idle server (the baseline, in the same run) and then while ``--heavy`` heavy
queries hold the heavy lane, side by side.

It prints figures and asserts nothing about time. Network: 127.0.0.1 only.

    python bench/bench_server.py [--dump dist/citykg.nq] [--clients 8] [--requests 200]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from server_fixtures import running_server  # noqa: E402

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
#: Light requests: what a browser or a linked-data client asks most.
LIGHT = {
    "ASK {}": "ASK {}",
    "lookup": "SELECT ?p ?o WHERE { <https://w3id.org/citykg/id/network/c40> ?p ?o } LIMIT 50",
}


def fetch(url: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return status, time.perf_counter() - t0


def phase(name: str, url: str, clients: int, requests: int) -> list[float]:
    """``requests`` GETs of ``url`` from ``clients`` threads; prints the figures."""
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as ex:
        results = list(ex.map(fetch, [url] * requests))
    wall = time.perf_counter() - t0
    report(name, results, wall, clients)
    return [r[1] for r in results]


def report(name: str, results: list[tuple[int, float]], wall: float, clients: int) -> None:
    if not results:
        print(f"{name:<34}     0 req")
        return
    lat = sorted(r[1] * 1000 for r in results)
    codes: dict[int, int] = {}
    for status, _ in results:
        codes[status] = codes.get(status, 0) + 1

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))]

    print(f"{name:<34} {len(results):>5} req  {clients:>3} clients  "
          f"{len(results) / wall:>8.1f} req/s  p50 {pct(50):>8.1f} ms  p90 {pct(90):>8.1f} ms  "
          f"p99 {pct(99):>8.1f} ms  max {lat[-1]:>8.1f} ms  status {codes}")


def light_under_load(url: str, heavy: str, args: argparse.Namespace) -> None:
    """Light requests one at a time, idle and then while ``args.heavy`` heavy queries run."""
    targets = {name: f"{url}/sparql?" + urllib.parse.urlencode({"query": q})
               for name, q in LIGHT.items()}
    targets["VoID"] = f"{url}/.well-known/void"
    targets["entity page"] = f"{url}/page/network/c40"
    for u in targets.values():
        fetch(u)
    n = max(20, args.requests // 2)
    print(f"\nlight requests, one client, {n} each: idle (baseline) | while {args.heavy} heavy "
          "queries run")
    idle = {name: [fetch(u) for _ in range(n)] for name, u in targets.items()}
    loaded: dict[str, list[tuple[int, float]]] = {name: [] for name in targets}
    stop = threading.Event()

    def heavy_loop() -> None:
        while not stop.is_set():
            fetch(heavy)

    with concurrent.futures.ThreadPoolExecutor(args.heavy) as ex:
        loops = [ex.submit(heavy_loop) for _ in range(args.heavy)]
        time.sleep(1.0)
        for _ in range(n):
            for name, u in targets.items():
                loaded[name].append(fetch(u))
        stop.set()
        for f in loops:
            f.result()

    def pct(rs: list[tuple[int, float]], p: float) -> float:
        lat = sorted(r[1] * 1000 for r in rs)
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))]

    print(f"{'request':<14} {'idle p50':>9} {'idle p99':>9} | {'load p50':>9} {'load p99':>9} "
          "  status under load")
    for name in targets:
        codes: dict[int, int] = {}
        for status, _ in loaded[name]:
            codes[status] = codes.get(status, 0) + 1
        print(f"{name:<14} {pct(idle[name], 50):>7.1f}ms {pct(idle[name], 99):>7.1f}ms | "
              f"{pct(loaded[name], 50):>7.1f}ms {pct(loaded[name], 99):>7.1f}ms   {codes}")


def memory(pid: int) -> None:
    """Peak resident memory of the server process and of its worker processes (Linux)."""

    def status(p: int) -> dict[str, str]:
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            return {}
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def children(p: int) -> list[int]:
        out: list[int] = []
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return sorted(set(out))

    print("\nmemory (resident now, VmRSS; peak, VmHWM):")
    main = status(pid)
    print(f"  server process {pid}: {main.get('VmRSS', '?').strip()} now, "
          f"{main.get('VmHWM', '?').strip()} peak")
    for c in children(pid):
        st = status(c)
        print(f"  child {c} ({st.get('Name', '?').strip()}): {st.get('VmRSS', '?').strip()} now, "
              f"{st.get('VmHWM', '?').strip()} peak, address space {st.get('VmSize', '?').strip()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", type=Path, help="an N-Quads dump to serve (default dist/citykg.nq)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--heavy", type=int, default=4, help="heavy queries in phases 3 and 4")
    ap.add_argument("--timeout", type=float, default=5, help="the server's query time limit")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = args.dump or ROOT / "dist" / "citykg.nq"
        if not dump.is_file():
            dump = Path(tmp) / "citykg.nq"
            print("building the graph for the dump...", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "citykg", "export", "-q", "-o", str(dump)],
                           check=True, cwd=ROOT)
        t0 = time.perf_counter()
        with running_server(dump, Path(tmp), "--timeout", str(args.timeout), "--workers", "2",
                            "--queue", "8") as server:
            print(f"server up in {time.perf_counter() - t0:.1f} s at {server.url}")
            page = f"{server.url}/page/network/c40"
            stored = f"{server.url}/queries/networks/networks-overview?format=json"
            heavy = f"{server.url}/sparql?" + urllib.parse.urlencode({"query": HEAVY})
            fetch(page)
            fetch(stored)
            phase("entity page", page, args.clients, args.requests)
            phase("stored query (JSON)", stored, args.clients, args.requests)
            phase(f"heavy query (limit {args.timeout:g} s)", heavy, 2, args.heavy)

            light: list[tuple[int, float]] = []
            stop = threading.Event()

            def light_loop() -> None:
                while not stop.is_set() and len(light) < args.requests:
                    light.append(fetch(page))

            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(args.heavy + 2) as ex:
                heavies = [ex.submit(fetch, heavy) for _ in range(args.heavy)]
                loops = [ex.submit(light_loop) for _ in range(2)]
                hres = [h.result() for h in heavies]
                stop.set()
                for f in loops:
                    f.result()
            wall = time.perf_counter() - t0
            report("pages while heavy queries run", light, wall, 2)
            report("  ...the heavy queries meanwhile", hres, wall, args.heavy)
            light_under_load(server.url, heavy, args)
            memory(server.process.pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
