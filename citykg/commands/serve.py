"""``citykg serve``: the built graph as a read-only SPARQL endpoint with Linked Data pages."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..extras import require_extra
from .common import open_graph, settings_of


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return parse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``citykg serve``."""
    s = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the graph: SPARQL endpoint, entity pages, VoID, dumps (read-only)",
        description="Open the graph as every command does (the build kept in the --store "
        "folder, built or updated first if needed), or read a dump, and serve it read-only "
        "over HTTP: the SPARQL 1.1 Protocol at /sparql, dereferenceable IRIs at /id/..., "
        "HTML pages, the ontology, VoID and dumps. See docs/serving.md.",
    )
    s.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument(
        "--base-url",
        metavar="URL",
        help="public URL of the server (default http://HOST:PORT); its path, if any, "
        "prefixes every route",
    )
    s.add_argument(
        "--from-dump",
        type=Path,
        metavar="FILE",
        help="serve this N-Quads (.nq) or TriG (.trig) dump, as it is, instead of the built "
        "graph (--data, --store and --no-reasoning then do not apply)",
    )
    s.add_argument(
        "--timeout",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="time limit of one query (default: query_timeout setting, 30)",
    )
    s.add_argument(
        "--max-rows",
        type=_positive(int),
        default=10_000,
        metavar="N",
        help="results are cut at N rows or triples (default 10,000)",
    )
    s.add_argument(
        "--workers",
        type=_positive(int),
        default=2,
        metavar="N",
        help="query worker processes (default 2)",
    )
    s.add_argument(
        "--queue",
        type=int,
        default=8,
        metavar="N",
        help="requests that may wait for a worker before 503 (default 8)",
    )
    s.add_argument(
        "--max-query-length",
        type=_positive(int),
        default=20_000,
        metavar="CHARS",
        help="longest query text accepted (default 20,000)",
    )
    s.add_argument(
        "--max-body",
        type=_positive(int),
        default=256 * 1024,
        metavar="BYTES",
        help="largest request body accepted (default 262,144)",
    )
    s.add_argument(
        "--max-nesting",
        type=_positive(int),
        default=40,
        metavar="N",
        help="deepest bracket nesting accepted in a query (default 40)",
    )
    s.add_argument(
        "--max-operators",
        type=_positive(int),
        default=1_000,
        metavar="N",
        help="most operators (!, +, &&, =...) accepted in a query (default 1,000)",
    )
    s.add_argument(
        "--max-result-bytes",
        type=_positive(int),
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="results are cut at about this many bytes (default 16,777,216)",
    )
    s.add_argument(
        "--worker-memory",
        type=int,
        default=2048,
        metavar="MIB",
        help="address-space cap of each query worker process, in MiB (default 2048; 0: none)",
    )
    s.add_argument(
        "--light-workers",
        type=_positive(int),
        default=1,
        metavar="N",
        help="worker processes of the light lane: parsing and cheap queries (default 1)",
    )
    s.add_argument(
        "--light-timeout",
        type=_positive(float),
        default=1.0,
        metavar="SECONDS",
        help="a light query running longer moves to the heavy lane (default 1)",
    )
    s.add_argument(
        "--retry-after",
        type=_positive(int),
        default=5,
        metavar="SECONDS",
        help="Retry-After of every 503 answer (default 5)",
    )
    s.add_argument(
        "--allow-service",
        action="append",
        default=[],
        metavar="IRI",
        help="a SERVICE endpoint queries may call (repeatable; default: none)",
    )
    s.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace, ui: Any) -> int:
    """Open the graph (or read a dump), then serve it until interrupted."""
    require_extra("server", "citykg serve")
    from ..api import load_dump
    from ..server.app import ServerConfig
    from ..server.asgi import serve
    from ..server.workers import Limits

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = settings_of(args)
    t0 = time.perf_counter()
    # a dump is served as it is; otherwise the graph is opened as by every other command
    kg = load_dump(args.from_dump, settings) if args.from_dump else open_graph(args, ui)
    ui.detail(f"graph ready in {time.perf_counter() - t0:.1f} s")
    limits = Limits(
        timeout=args.timeout or settings.query_timeout,
        max_rows=args.max_rows,
        max_query_chars=args.max_query_length,
        max_nesting=args.max_nesting,
        workers=args.workers,
        queue=max(0, args.queue),
        allowed_services=frozenset(args.allow_service),
        max_result_bytes=args.max_result_bytes,
        max_operators=args.max_operators,
        worker_memory=max(0, args.worker_memory) * 1024 * 1024,
        light_workers=args.light_workers,
        light_timeout=args.light_timeout,
    )
    config = ServerConfig(
        host=args.host,
        port=args.port,
        base_url=args.base_url,
        limits=limits,
        max_body=args.max_body,
        retry_after=args.retry_after,
    )

    def ready(url: str) -> None:
        ui.say(
            f"citykg serve: {url}/ (SPARQL at {url}/sparql; pid {os.getpid()}); "
            f"{limits.workers} heavy + {limits.light_workers} light workers, "
            f"{limits.timeout:g} s per query; Ctrl-C stops"
        )

    serve(kg, config, on_ready=ready)
    return 0
