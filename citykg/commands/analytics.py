"""``citykg report``: an HTML report with figures, tables and CSVs.

The logic is in :mod:`citykg.analytics` and :mod:`citykg.report`; this module
only parses, calls and prints. (``citykg export --format graphml|gexf`` is in
:mod:`citykg.commands.graph`.)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import UI, open_graph


def cmd_report(args: argparse.Namespace, ui: UI) -> int:
    """Build the graph and write the report folder (:meth:`KnowledgeGraph.report`)."""
    written = open_graph(args, ui).report(
        args.out, network=args.network, country=args.country, top=args.top, progress=ui.progress
    )
    ui.close()
    ui.say(f"wrote {args.out / 'index.html'} ({len(written)} files: figures, CSV tables)")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``report`` to the command line."""
    s = sub.add_parser(
        "report",
        parents=[common],
        help="write an HTML report (map, timeline, network drawing, hubs) with a CSV per table",
    )
    s.add_argument("--network", metavar="IRI", help="report on one network")
    s.add_argument("--country", metavar="CODE", help="report on one country (ISO code, QID or IRI)")
    s.add_argument("--top", type=int, default=20, metavar="N", help="rows of the hubs table (20)")
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help="the report folder")
    s.set_defaults(func=cmd_report)
