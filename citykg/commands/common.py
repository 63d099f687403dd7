"""What every command module shares: messages and progress, the graph options, output.

Command modules import from here and from the public API only, never from
each other or from :mod:`citykg.cli`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api import KnowledgeGraph
from ..config import Settings, load_settings
from ..errors import QueryParameterError
from ..files import write_atomic
from ..results import GraphResult, QueryResult

if TYPE_CHECKING:
    from ..wikidata import WikidataClient


class UI:
    """Messages to standard error, at the chosen verbosity, with progress bars."""

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._bars: dict[str, Any] = {}

    def say(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr)

    def detail(self, msg: str) -> None:
        if self.verbose and not self.quiet:
            print(msg, file=sys.stderr)

    def progress(self, label: str, done: int, total: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        key = label.split(" ")[0]
        bar = self._bars.get(key)
        if bar is None:
            desc = {
                "load": "loading files",
                "reason": "reasoning (rounds)",
                "bytes": "loading",
            }.get(key, key)
            bar = tqdm(
                total=total or None,
                desc=desc,
                unit="B" if key == "bytes" else "",
                unit_scale=key == "bytes",
                file=sys.stderr,
                leave=False,
                disable=not sys.stderr.isatty() and not self.verbose,
            )
            self._bars[key] = bar
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


Command = Callable[[argparse.Namespace, UI], int]


def graph_options() -> argparse.ArgumentParser:
    """The options every command takes: extra folders, the store, settings, verbosity."""
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("graph")
    g.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="DIR",
        help="an extra folder of Turtle data (repeatable)",
    )
    g.add_argument(
        "--queries",
        type=Path,
        action="append",
        metavar="DIR",
        help="an extra folder of stored queries (repeatable)",
    )
    g.add_argument(
        "--store",
        type=Path,
        metavar="PATH",
        help="keep the builds of the graph in PATH (default: the user cache folder)",
    )
    g.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: ./citykg.toml if present)",
    )
    g.add_argument("--no-reasoning", action="store_true", help="skip OWL RL materialisation")
    g.add_argument("-q", "--quiet", action="store_true", help="only data and errors")
    g.add_argument("-v", "--verbose", action="store_true", help="more detail on standard error")
    return common


def settings_of(args: argparse.Namespace, *, reasoning: bool | None = None) -> Settings:
    """The settings the graph options name."""
    if reasoning is None and getattr(args, "no_reasoning", False):
        reasoning = False
    return load_settings(
        args.config,
        extra_data=args.data or [],
        extra_queries=args.queries or [],
        store_path=args.store,
        endpoint=getattr(args, "endpoint", None),
        reasoning=reasoning,
    )


def open_graph(
    args: argparse.Namespace, ui: UI, *, build: bool = True, reasoning: bool | None = None
) -> KnowledgeGraph:
    """The knowledge graph the options name, built (with progress bars) unless told not to."""
    settings = settings_of(args, reasoning=reasoning)
    if settings.endpoint:
        return KnowledgeGraph(settings)
    if not build:
        from ..store import OxigraphStore

        # the store folder holds builds, not a store: nothing is built here
        return KnowledgeGraph(settings, store=OxigraphStore())
    from ..api import open_kg

    t0 = time.perf_counter()
    kg = open_kg(settings, force=getattr(args, "force", False), progress=ui.progress)
    ui.close()
    reason = kg.build_cache.reason if kg.build_cache is not None else ""
    ui.detail(f"graph ready in {time.perf_counter() - t0:.2f} s: {reason}")
    return kg


def parameters(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as a dictionary."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise QueryParameterError(f"--param takes NAME=VALUE, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v
    return out


def emit(text: str | bytes, out: Path | None = None) -> None:
    """Data to standard output, or atomically to a file."""
    if out is not None:
        write_atomic(out, text)
        return
    if isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
    sys.stdout.flush()


def render(result: QueryResult, fmt: str) -> str:
    """A query result in a command-line format (a graph's table is Turtle)."""
    if isinstance(result, GraphResult):
        fmt = {"table": "turtle", "json": "jsonld"}.get(fmt, fmt)
    return str(result.serialize(fmt))


#: Output formats of query results on the command line.
RESULT_FORMATS = ["table", "csv", "tsv", "json", "xml", "markdown", "turtle", "ntriples", "jsonld"]


def wikidata_options(s: argparse.ArgumentParser, *, cache_default: Path | None) -> None:
    """The Wikidata client's options (``link``, ``enrich``, ``reconcile``): one definition.

    ``cache_default`` None means the user's cache folder.
    """
    from ..wikidata import DEFAULT_ENDPOINT, DEFAULT_USER_AGENT

    w = s.add_argument_group("Wikidata client")
    w.add_argument(
        "--endpoint",
        dest="wd_endpoint",
        default=DEFAULT_ENDPOINT,
        metavar="URL",
        help=f"SPARQL endpoint in Wikidata's shape (default {DEFAULT_ENDPOINT})",
    )
    w.add_argument(
        "--user-agent",
        default=None,
        metavar="TEXT",
        help=f"User-Agent with contact details (default: settings, else {DEFAULT_USER_AGENT!r})",
    )
    w.add_argument(
        "--cache",
        type=Path,
        default=cache_default,
        metavar="DIR",
        help=f"answer cache (default {cache_default or 'the user cache folder'})",
    )
    w.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    w.add_argument(
        "--cache-days",
        type=float,
        default=30.0,
        metavar="DAYS",
        help="cached answers older than this are asked again (default 30)",
    )
    w.add_argument(
        "--batch-size", type=int, default=50, metavar="N", help="keys per request (default 50)"
    )
    w.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="per request (default 60)"
    )
    w.add_argument(
        "--retries", type=int, default=5, metavar="N", help="retries per request (default 5)"
    )
    w.add_argument(
        "--backoff",
        type=float,
        default=2.0,
        metavar="S",
        help="first backoff, doubled on each retry (default 2)",
    )
    w.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="S",
        help="at least this long between two requests (default 0)",
    )


def wikidata_client_of(args: argparse.Namespace) -> WikidataClient:
    """The client :func:`wikidata_options` describe (:func:`citykg.api.wikidata_client`)."""
    from ..api import wikidata_client

    agent = args.user_agent
    if agent is None:
        configured = load_settings(getattr(args, "config", None)).user_agent
        agent = configured if "citykg" in configured else None
    cache = args.cache
    if cache is None and not args.no_cache:
        from ..reconcile import default_cache_dir

        cache = default_cache_dir()
    return wikidata_client(
        args.wd_endpoint,
        user_agent=agent,
        cache_dir=cache,
        use_cache=not args.no_cache,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        min_interval=args.delay,
        batch_size=args.batch_size,
        max_age_days=args.cache_days,
    )
