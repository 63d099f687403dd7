"""``citykg ingest SOURCE --mapping MAPPING``: tables into Turtle through a CSVW mapping."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import rdflib

from ..errors import IngestError
from ..namespaces import graph_iri


def shapes_validator(
    ontology_dirs: list[Path],
    shapes_dirs: list[Path],
    data_dirs: list[Path],
    context: list[Path],
    out: Path | None = None,
) -> Any:
    """A validator for :func:`citykg.ingest.ingest`: runs the SHACL shapes on the new
    triples together with the ontology and the current data (so that references to
    existing entities resolve; the file being rebuilt, ``out``, is left out), and
    returns one message per violation whose focus node the new triples describe."""

    def validate(graph: rdflib.Graph) -> list[str]:
        import pyoxigraph as ox

        from ..loader import rdf_files
        from ..store import OxigraphStore
        from ..validation import load_shapes, validate_store

        shapes = load_shapes(shapes_dirs)
        if len(shapes) == 0:
            return []
        store = OxigraphStore()
        store.add(graph, "ingest")  # type: ignore[arg-type]
        for f in [f for d in ontology_dirs for f in rdf_files(d)]:
            store.load_file(f, "ontology")
        existing = [
            f
            for d in data_dirs
            for f in rdf_files(d)
            if out is None or f.resolve() != out.resolve()
        ]
        for f in existing + [f for f in context if f not in existing]:
            store.load_file(f, "data")
        graphs = [ox.NamedNode(str(graph_iri(n))) for n in ("ingest", "ontology", "data")]
        report = validate_store(store.ox, shapes, None, graphs)
        subjects = {str(s) for s in graph.subjects()}
        return [
            r.one_line()
            for r in report.sorted_results()
            if r.severity == "Violation" and r.focus in subjects
        ]

    return validate


def cmd_ingest(args: argparse.Namespace, ui: Any) -> int:
    from ..config import load_settings
    from ..ingest import ingest

    settings = load_settings(args.config, extra_data=args.data or [])
    context = list(args.requires or [])
    validator = (
        None
        if args.no_validate
        else shapes_validator(
            list(settings.ontology_dirs),
            list(settings.shapes_dirs),
            list(settings.data_dirs),
            context,
            args.out,
        )
    )
    try:
        result = ingest(
            args.source,
            args.mapping,
            args.out,
            validate=validator,
            requires=context or None,
            encoding=args.encoding,
        )
    except IngestError as e:
        for row, reason in e.problems:
            where = f"row {row}" if row else "result"
            print(f"citykg: {args.source or args.mapping}: {where}: {reason}", file=sys.stderr)
        raise
    for note in result.notes:
        ui.detail(f"note: {note}")
    rows = sum(result.rows.values())
    ui.say(
        f"{rows:,} rows → {result.triples:,} triples, {result.subjects:,} subjects "
        f"in {result.seconds:.1f} s"
    )
    if result.written and result.output is not None:
        ui.say(f"wrote {result.output}")
    elif args.out is None:
        sys.stdout.write(result.turtle)
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``citykg ingest``."""
    s = sub.add_parser(
        "ingest",
        parents=[common],
        help="convert a CSV/TSV table to Turtle through a CSVW mapping, validated before writing",
    )
    s.add_argument(
        "source",
        type=Path,
        nargs="?",
        help="the table (or a folder of tables); default: the files the mapping names",
    )
    s.add_argument(
        "--mapping",
        type=Path,
        required=True,
        metavar="METADATA.json",
        help="the CSV on the Web metadata (see data/mappings/)",
    )
    s.add_argument(
        "--out",
        type=Path,
        metavar="FILE.ttl",
        help="write here (atomically); default: print the Turtle",
    )
    s.add_argument(
        "--requires",
        type=Path,
        action="append",
        metavar="FILE.ttl",
        help="a layer the mapping joins against (replaces the mapping's own list)",
    )
    s.add_argument(
        "--encoding", metavar="NAME", help="the table's encoding (default: as declared, else UTF-8)"
    )
    s.add_argument("--no-validate", action="store_true", help="skip the SHACL shapes (not advised)")
    s.set_defaults(func=cmd_ingest)
