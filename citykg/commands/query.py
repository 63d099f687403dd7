"""``citykg query`` (stored queries) and ``citykg sparql`` (ad hoc queries)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

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
    result = kg.query(args.name, allow_network=args.online, **params)
    emit(render(result, args.format), args.output)
    return 0


def cmd_sparql(args: argparse.Namespace, ui: UI) -> int:
    text = args.query
    p = Path(text)
    if len(text) < 4096 and "\n" not in text and p.suffix in (".rq", ".sparql"):
        if not p.is_file():
            raise SourceNotFoundError(f"{p}: no such query file")
        text = p.read_text(encoding="utf-8")
    elif text == "-":
        text = sys.stdin.read()
    result = open_graph(args, ui).sparql(text, allow_network=args.online)
    emit(render(result, args.format), args.output)
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
    s.set_defaults(func=cmd_sparql)
