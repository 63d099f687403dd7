"""``citykg publish`` (write a release folder) and ``citykg push`` (load it into a SPARQL server)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..api import push_release
from ..publish import DEFAULT_BASE_URL, default_version
from ..push import DEFAULT_BATCH, METHODS
from .common import UI, open_graph

PASSWORD_ENV = "CITYKG_ENDPOINT_PASSWORD"


def cmd_publish(args: argparse.Namespace, ui: UI) -> int:
    """Build the graph and write ``<out>/<version>/``."""
    release = open_graph(args, ui).publish(
        args.out,
        args.version,
        base_url=args.base_url,
        sparql_endpoint=args.sparql_endpoint,
        changelog=args.changelog,
        progress=ui.progress,
    )
    ui.close()
    for w in release.warnings:
        ui.say(f"warning: {w}")
    ui.say(f"wrote {release.folder} ({len(release.files)} files)")
    for f in release.files:
        ui.detail(f"  {f.path:<40} {f.size:>12,}  {f.sha256[:16]}")
    return 0


def cmd_push(args: argparse.Namespace, ui: UI) -> int:
    """Upload a release's named graphs to a SPARQL server and check the counts."""
    release = args.release
    if release is None:
        release = args.out / (args.version or default_version())
    report = push_release(
        release,
        args.endpoint,
        graph_store=args.graph_store,
        update_endpoint=args.update_endpoint,
        user=args.user,
        password=os.environ.get(PASSWORD_ENV),
        timeout=args.timeout,
        method=args.method,
        batch_size=args.batch_size,
        retries=args.retries,
        progress=ui.progress,
    )
    ui.close()
    ui.say(
        f"pushed {release} to {args.endpoint} by {report.method} in {report.seconds:.1f} s "
        f"({report.requests} requests, {report.retries} retried)"
    )
    for name, n in report.counted.items():
        ui.say(f"  {name:<12} {n:>9,} triples (checked)")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``publish`` and ``push`` to the command line."""
    s = sub.add_parser(
        "publish",
        parents=[common],
        help="write a release folder: dumps, ontology, shapes, VoID, DCAT, checksums",
    )
    s.add_argument("--version", metavar="V", help="release version (default: the package's)")
    s.add_argument(
        "--out",
        type=Path,
        default=Path("dist"),
        metavar="DIR",
        help="parent folder of the release (default: dist/)",
    )
    s.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help=f"where releases are served (default: {DEFAULT_BASE_URL})",
    )
    s.add_argument(
        "--sparql-endpoint", metavar="URL", help="a public SPARQL endpoint to announce in VoID"
    )
    s.add_argument(
        "--changelog", type=Path, metavar="FILE", help="CHANGELOG.md for the release note"
    )
    s.set_defaults(func=cmd_publish)

    s = sub.add_parser(
        "push", parents=[common], help="upload a release's named graphs to a SPARQL server"
    )
    s.add_argument(
        "--endpoint", required=True, metavar="URL", help="the server's SPARQL query endpoint"
    )
    s.add_argument("--graph-store", metavar="URL", help="its Graph Store protocol endpoint")
    s.add_argument("--update-endpoint", metavar="URL", help="its SPARQL Update endpoint")
    s.add_argument(
        "--user", metavar="NAME", help=f"HTTP user (the password is read from ${PASSWORD_ENV})"
    )
    s.add_argument(
        "--release", type=Path, metavar="DIR", help="the release folder (default: OUT/VERSION)"
    )
    s.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR")
    s.add_argument("--version", metavar="V")
    s.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help="gsp: Graph Store protocol; update: SPARQL Update (default: gsp when known)",
    )
    s.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, metavar="N")
    s.add_argument("--retries", type=int, default=3, metavar="N")
    s.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS")
    s.set_defaults(func=cmd_push)
