"""``citykg query`` (stored queries) and ``citykg sparql`` (ad hoc queries)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..api import check_sparql
from ..errors import NetworkRequiredError, SourceNotFoundError
from ..querydocs import query_list
from .common import RESULT_FORMATS, UI, emit, open_graph, parameters, render


def cmd_query(args: argparse.Namespace, ui: UI) -> int:
    if args.list or not args.name:
        if args.format == "markdown":
            emit(open_graph(args, ui).query_docs(), args.output)
            return 0
        emit(query_list(open_graph(args, ui, build=False).library, args.format), args.output)
        return 0
    params = parameters(args.param)
    library = open_graph(args, ui, build=False).library
    stored = library.get(args.name)
    if stored.needs_network and not args.online and not args.explain:
        raise NetworkRequiredError(
            f"query '{stored.name}' is tagged 'network': it calls a remote SPARQL service "
            "(Wikidata) and is refused offline; pass --online to run it"
        )
    text = stored.bind(params)  # fail on a bad parameter before building the graph
    if args.explain:
        emit(text, args.output)
        return 0
    kg = open_graph(args, ui)
    kg.library = library  # already read: the query file is not parsed twice
    bounds: dict[str, Any] = {**_limits(args), **params}
    result = kg.query(args.name, allow_network=args.online, **bounds)
    emit(render(result, args.format), args.output)
    _say_truncated(result, ui)
    return 0


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    """The bounds of a query run from --limit/--offset/--timeout/--max-memory/--no-limit.

    The query runs in this process (``isolate=False``): a command exits right
    after a stopped query, which ends it, so it needs no child process.
    """
    if args.no_limit:
        return {
            "limit": None,
            "offset": args.offset,
            "timeout": None,
            "memory": None,
            "isolate": False,
        }
    return {
        "limit": args.limit,
        "offset": args.offset,
        "timeout": args.timeout,
        "memory": int(args.max_memory * 10**6),
        "isolate": False,
    }


def _say_truncated(result: Any, ui: UI) -> None:
    note = getattr(result, "truncated", None)
    if note:
        ui.say(f"citykg: {note}")


def _limit_options(s: argparse.ArgumentParser) -> None:
    from ..limits import DEFAULT_LIMIT, DEFAULT_MEMORY, DEFAULT_TIMEOUT

    g = s.add_argument_group("limits (on by default)")
    g.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help="rows per page")
    g.add_argument("--offset", type=int, default=0, metavar="N", help="skip N rows: the next page")
    g.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")
    g.add_argument("--max-memory", type=float, default=DEFAULT_MEMORY / 10**6, metavar="MB")
    g.add_argument("--no-limit", action="store_true", help="lift the row, time and memory limits")


def cmd_sparql(args: argparse.Namespace, ui: UI) -> int:
    text = args.query
    p = Path(text)
    if len(text) < 4096 and "\n" not in text and p.suffix in (".rq", ".sparql"):
        if not p.is_file():
            raise SourceNotFoundError(f"{p}: no such query file")
        text = p.read_text(encoding="utf-8")
    elif text == "-":
        text = sys.stdin.read()
    # Refused before the graph is opened (or built): an update or a SERVICE costs nothing.
    check_sparql(text, allow_network=args.online)
    result = open_graph(args, ui).sparql(text, allow_network=args.online, **_limits(args))
    emit(render(result, args.format), args.output)
    _say_truncated(result, ui)
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``query`` and ``sparql``."""
    s = sub.add_parser("query", parents=[common], help="run a stored query, or list them")
    s.add_argument("name", nargs="?", help="the stored query (see --list)")
    s.add_argument("--list", action="store_true", help="list the stored queries")
    s.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    s.add_argument("--format", "-f", choices=RESULT_FORMATS, default="table")
    s.add_argument("--explain", action="store_true", help="print the final query text, do not run")
    s.add_argument("--endpoint", metavar="URL", help="run on a remote SPARQL 1.1 endpoint")
    s.add_argument("--online", action="store_true", help="allow queries tagged 'network'")
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    _limit_options(s)
    s.set_defaults(func=cmd_query)

    s = sub.add_parser(
        "sparql",
        parents=[common],
        help="run an ad hoc SPARQL query (text, FILE.rq or -); the project's prefixes are known",
    )
    s.add_argument("query")
    s.add_argument("--format", "-f", choices=RESULT_FORMATS, default="table")
    s.add_argument("--endpoint", metavar="URL", help="run on a remote SPARQL 1.1 endpoint")
    s.add_argument("--online", action="store_true", help="allow SERVICE calls to Wikidata")
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    _limit_options(s)
    s.set_defaults(func=cmd_sparql)
