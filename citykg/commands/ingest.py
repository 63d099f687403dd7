"""``citykg ingest SOURCE --mapping MAPPING``: tables into Turtle through a CSVW mapping."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..api import ingest_table
from ..config import load_settings
from ..errors import IngestError
from .common import UI, emit


def cmd_ingest(args: argparse.Namespace, ui: UI) -> int:
    settings = load_settings(args.config, extra_data=args.data or [])
    try:
        result = ingest_table(
            args.source,
            args.mapping,
            args.out,
            validate=not args.no_validate,
            requires=args.requires,
            encoding=args.encoding,
            settings=settings,
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
        emit(result.turtle)
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
