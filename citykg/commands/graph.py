"""``citykg build``, ``validate``, ``info``, ``export`` and ``reason``: the graph itself."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..api import check_dl
from ..errors import EXIT_CODES
from ..extras import require
from ..namespaces import GRAPH_NAMES
from .common import UI, emit, open_graph

ENGINES = ["sparql", "pyshacl"]
ENGINE_HELP = "SHACL engine: shapes compiled to SPARQL on Oxigraph (fast), or pySHACL"


def cmd_build(args: argparse.Namespace, ui: UI) -> int:
    kg = open_graph(args, ui)
    report = kg.build_report
    assert report is not None
    ui.say("Triples per named graph:")
    for name, n in report.sizes.items():
        ui.say(f"  {name:<12} {n:>9,}")
    if report.reasoning is not None:
        r = report.reasoning
        ui.say(
            f"Reasoning: {r.inferred:,} triples inferred in {r.rounds} rounds "
            f"({r.rules} OWL RL rules, {r.custom_rules} SPARQL rules)"
        )
    ui.say("Instances per class:")
    for cls, n in list(kg.class_counts().items())[: None if args.verbose else 25]:
        ui.say(f"  ckg:{cls:<32} {n:>7,}")
    code = 0
    if report.reasoning is not None and report.reasoning.inconsistencies:
        for line in report.reasoning.inconsistencies:
            ui.say(f"inconsistent: {line}")
        code = EXIT_CODES["ReasonerError"]
    vreport = kg.validate(engine=args.engine)
    if not vreport.conforms(args.strict):
        sys.stderr.write(vreport.to_text(max_per_shape=None if args.verbose else 20))
        return EXIT_CODES["ValidationFailed"]
    ui.say(f"Validation: {vreport.summary()}")
    if args.out:
        kg.export("nquads", out=args.out)
        ui.say(f"wrote {args.out}")
    return code


def cmd_validate(args: argparse.Namespace, ui: UI) -> int:
    report = open_graph(args, ui).validate(engine=args.engine)
    text = {
        "text": lambda: report.to_text(max_per_shape=args.max_per_shape),
        "json": report.to_json,
        "turtle": report.to_turtle,
    }[args.format]()
    emit(text, args.output)
    return 0 if report.conforms(args.strict) else EXIT_CODES["ValidationFailed"]


NETWORK_FORMATS = ("graphml", "gexf")
GRAPH_KINDS = ("twinning", "membership", "co-membership")


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


def cmd_export(args: argparse.Namespace, ui: UI) -> int:
    if args.format in NETWORK_FORMATS:
        return export_network(args, ui)
    data = open_graph(args, ui).export(args.format, args.graph or None, args.output)
    if data is not None:
        emit(data)
    else:
        ui.say(f"wrote {args.output}")
    return 0


def cmd_info(args: argparse.Namespace, ui: UI) -> int:
    kg = open_graph(args, ui)
    info: dict[str, Any] = kg.info()
    build = kg.build_cache
    if build is not None:
        info["build"] = {
            "key": build.key,
            "folder": str(build.folder),
            "reason": build.reason,
            "how": build.manifest.get("how"),
            "created": build.manifest.get("created"),
            "steps": build.manifest.get("steps", []),
        }
    if args.format == "json":
        emit(json.dumps(info, indent=1) + "\n")
        return 0
    lines = [*(build.describe() if build is not None else []), "Triples per named graph:"]
    lines += [f"  {k:<12} {v:>9,}" for k, v in info["graphs"].items()]
    lines.append("Instances per class:")
    lines += [f"  ckg:{k:<32} {v:>7,}" for k, v in info["classes"].items()]
    emit("\n".join(lines) + "\n")
    return 0


def cmd_reason(args: argparse.Namespace, ui: UI) -> int:
    if args.dl:
        require("owlready2", "dl", "the OWL 2 DL check (citykg reason --dl)")
    kg = open_graph(args, ui)
    r = kg.build_report.reasoning if kg.build_report is not None else None
    if r is not None:
        ui.say(f"OWL 2 RL: {r.inferred:,} triples inferred in {r.rounds} rounds")
        for line in r.inconsistencies:
            ui.say(f"inconsistent (RL): {line}")
    code = EXIT_CODES["ReasonerError"] if r is not None and r.inconsistencies else 0
    if args.dl:
        dl = check_dl(args.file or None)
        if not dl.consistent:
            ui.say(f"OWL 2 DL (HermiT): INCONSISTENT: {dl.explanation}")
            return EXIT_CODES["ReasonerError"]
        ui.say(
            f"OWL 2 DL (HermiT): consistent; {len(dl.unsatisfiable)} unsatisfiable class(es)"
            f" ({dl.mapped_literals} date literals mapped to strings for HermiT)"
        )
        for c in dl.unsatisfiable:
            ui.say(f"  unsatisfiable: <{c}>")
        if dl.unsatisfiable:
            code = EXIT_CODES["ReasonerError"]
    return code


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``build``, ``validate``, ``export``, ``info`` and ``reason``."""
    s = sub.add_parser("build", parents=[common], help="load, reason, validate; print a summary")
    s.add_argument("--strict", action="store_true", help="fail on warnings too")
    s.add_argument(
        "--force", action="store_true", help="rebuild in full even if a cached build matches"
    )
    s.add_argument("--out", type=Path, metavar="FILE", help="also write the graph as N-Quads")
    s.add_argument("--engine", choices=ENGINES, default="sparql", help=ENGINE_HELP)
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("validate", parents=[common], help="validate the graph against the shapes")
    s.add_argument("--format", choices=["text", "turtle", "json"], default="text")
    s.add_argument("--strict", action="store_true", help="fail on warnings too")
    s.add_argument("--max-per-shape", type=int, default=None, metavar="N")
    s.add_argument("--engine", choices=ENGINES, default="sparql", help=ENGINE_HELP)
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("export", parents=[common], help="serialise the graph")
    s.add_argument(
        "--format",
        "-f",
        choices=["nquads", "trig", "ntriples", "turtle", "rdfxml", *NETWORK_FORMATS],
        default="nquads",
        help="an RDF format, or graphml/gexf for a network of the graph (see --kind)",
    )
    s.add_argument("--graph", action="append", choices=list(GRAPH_NAMES))
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    add_network_export_options(s)
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("info", parents=[common], help="triples per graph, instances per class")
    s.add_argument("--format", choices=["text", "json"], default="text")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser(
        "reason", parents=[common], help="OWL 2 RL materialisation; --dl runs HermiT"
    )
    s.add_argument("--dl", action="store_true", help="also check OWL 2 DL consistency with HermiT")
    s.add_argument("--file", type=Path, action="append", help="RDF files for the DL check")
    s.set_defaults(func=cmd_reason)
