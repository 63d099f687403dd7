"""``citykg report`` (an HTML report with figures, tables and CSVs) and the network exports.

``citykg export --format graphml|gexf`` is answered here too (see
:func:`export_network`): the logic is in :mod:`citykg.analytics` and
:mod:`citykg.report`; this module only parses, calls and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import UI, emit, open_graph

NETWORK_FORMATS = ("graphml", "gexf")
GRAPH_KINDS = ("twinning", "membership", "co-membership")


def cmd_report(args: argparse.Namespace, ui: UI) -> int:
    """Build the graph and write the report folder."""
    from ..analytics import require

    require("matplotlib")
    require("networkx")
    from ..report import build_report, write_report

    kg = open_graph(args, ui)
    report = build_report(
        kg.analytics, network=args.network, country=args.country, top=args.top, progress=ui.progress
    )
    ui.close()
    written = write_report(report, args.out)
    ui.say(
        f"wrote {args.out / 'index.html'} ({len(report.figures)} figures, "
        f"{len(report.tables)} tables as CSV, {len(written)} files)"
    )
    return 0


def export_network(args: argparse.Namespace, ui: UI) -> int:
    """``citykg export --format graphml|gexf``: a network of the graph for Gephi and friends."""
    from ..analytics import require, to_gexf, to_graphml

    require("networkx")
    kg = open_graph(args, ui)
    a = kg.analytics
    country = a.country_iri(args.country) if args.country else None
    kind = args.kind
    if kind == "twinning":
        g = a.twinning_graph(country=country)
    elif kind == "membership":
        g = a.membership_graph(args.network, as_of=args.year)
    else:
        g = a.co_membership_graph(args.network, as_of=args.year, minimum=args.minimum)
    if country is not None and kind != "twinning":
        keep = [
            n
            for n, d in g.nodes(data=True)
            if d.get("country") == country or d.get("kind") == "network"
        ]
        g = g.subgraph(keep).copy()
    data = to_graphml(g) if args.format == "graphml" else to_gexf(g)
    emit(data, args.output)
    if args.output:
        ui.say(
            f"wrote {args.output}: {kind} network, {g.number_of_nodes():,} nodes, "
            f"{g.number_of_edges():,} edges"
        )
    return 0


def add_network_export_options(s: argparse.ArgumentParser) -> None:
    """The options of ``citykg export`` that choose a network (for graphml and gexf)."""
    g = s.add_argument_group("network export (--format graphml or gexf)")
    g.add_argument(
        "--kind",
        choices=GRAPH_KINDS,
        default="twinning",
        help="which network: twinning (places), membership (places and networks), "
        "co-membership (places sharing networks); default twinning",
    )
    g.add_argument("--network", metavar="IRI", help="only this network's memberships")
    g.add_argument(
        "--country", metavar="CODE", help="only this country's places (ISO code, QID or IRI)"
    )
    g.add_argument("--year", type=int, metavar="YYYY", help="memberships as of this year")
    g.add_argument(
        "--minimum",
        type=int,
        default=1,
        metavar="N",
        help="co-membership: shared networks (default 1)",
    )


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
