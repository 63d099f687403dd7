"""``citykg lint`` (check the ontology offline) and ``citykg docs`` (write its HTML documentation)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..api import build_docs, lint_ontology
from ..lint import lint_checks
from .common import UI, emit


def cmd_lint(args: argparse.Namespace, ui: UI) -> int:
    """Lint the ontology; problems to standard output, exit code 14 if there are any."""
    if args.list_checks:
        emit("".join(f"{name:<20} {summary}\n" for name, summary in lint_checks()))
        return 0
    report = lint_ontology(
        args.file, data=args.data or (), queries=args.queries or (), changelog=args.changelog
    )
    emit(report.to_text(Path.cwd()))
    for note in report.notes:
        ui.say(f"note: {note}")
    if report.ok:
        ui.say(f"lint: no problems ({len(report.checks)} checks on {report.files})")
    report.raise_for_problems()
    return 0


def cmd_docs(args: argparse.Namespace, ui: UI) -> int:
    """Write the ontology's HTML documentation and class diagram."""
    result = build_docs(args.out, args.file or None)
    ui.say(
        f"wrote {result.index} ({result.classes} classes, {result.properties} properties, "
        f"{result.concepts} concepts) and {result.diagram}"
    )
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``lint`` and ``docs`` to the command line."""
    s = sub.add_parser(
        "lint",
        parents=[common],
        help="check the ontology offline (labels, definitions, declarations, header...)",
        description="Check the ontology and every use of its terms (shapes, data, stored "
        "queries): one line per problem, exit code 14 if any.",
    )
    s.add_argument(
        "file",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="ontology files to lint instead of the shipped ontology (then only "
        "--data and --queries are searched for uses of its terms)",
    )
    s.add_argument(
        "--changelog",
        type=Path,
        metavar="FILE",
        help="the changelog that must have a heading for the version "
        "(default: CHANGELOG.md beside the sources)",
    )
    s.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    s.set_defaults(func=cmd_lint)

    s = sub.add_parser(
        "docs",
        parents=[common],
        help="write HTML documentation of the ontology (pyLODE) with a class diagram",
        description="Write index.html (pyLODE) and class-hierarchy.svg for the ontology.",
    )
    s.add_argument(
        "file",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="ontology files to document instead of the shipped ontology",
    )
    s.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("dist/docs"),
        metavar="DIR",
        help="output folder (default: dist/docs)",
    )
    s.set_defaults(func=cmd_docs)
