"""``citykg reconcile``: link the names of any CSV table to Wikidata.

A thin layer over :func:`citykg.reconcile.reconcile_table`: it parses the
options, shows a progress bar, writes the result (every input row, in order,
plus ``qid``, ``qid_label``, ``score``, ``decision``, ``reason``) and a review
file with the candidates of the rows to review, and reports the counts.
Output goes to the working folder, answers are cached in the user's cache
folder; nothing is written into the installed package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..extras import require
from ..files import write_atomic
from .common import wikidata_client_of, wikidata_options


def cmd_reconcile(args: argparse.Namespace, ui: Any) -> int:
    require("pandas", "notebook", "citykg reconcile (its tables are pandas DataFrames)")
    from ..api import reconcile_table
    from ..reconcile import render_review, summary

    table: Path = args.table
    out: Path | None = None if str(args.out) == "-" else args.out
    if out is None and str(args.out) != "-":
        out = Path.cwd() / f"{table.stem}-reconciled.csv"
    if out is not None and out.resolve() == table.resolve():
        raise ConfigError(f"{out}: the result would overwrite the input table; choose --out")
    review = args.review or (
        (out.with_name(f"{out.stem}-review.csv"))
        if out
        else Path.cwd() / f"{table.stem}-review.csv"
    )
    client = wikidata_client_of(args)
    df = reconcile_table(
        table,
        name=args.name,
        country=args.country,
        lat=args.lat,
        lon=args.lon,
        type=args.type,
        client=client,
        encoding=args.encoding,
        delimiter=args.delimiter,
        progress=lambda done, total: ui.progress("reconcile (names)", done, total),
    )
    ui.close()
    results = df.attrs["results"]
    text = df.to_csv(index=False, lineterminator="\n")
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text.encode("utf-8"))
    write_atomic(review, render_review(df, results, args.name, args.country).encode("utf-8"))
    counts = summary(results)
    ui.say(
        f"{len(df)} row(s): {counts['linked']} linked, {counts['review']} to review, "
        f"{counts['none']} without a match"
    )
    ui.say(
        f"requests: {client.stats.requests} (cache hits {client.stats.cache_hits}, "
        f"retries {client.stats.retries})"
    )
    ui.say(f"wrote {out if out else 'standard output'} and {review}")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``citykg reconcile``."""
    from ..reconcile import TYPES

    s = sub.add_parser(
        "reconcile",
        parents=[common],
        help="link the names of any CSV table to Wikidata (every row kept, with a decision)",
        description="Reconcile a CSV table against Wikidata: the output has every input row "
        "plus qid, qid_label, score, decision (linked/review/none) and reason; the rows to "
        "review get their candidates in a review file.",
    )
    s.add_argument("table", type=Path, metavar="TABLE.csv", help="the table to reconcile")
    s.add_argument("--name", required=True, metavar="COL", help="the column of names")
    s.add_argument("--country", metavar="COL", help="a column of countries (name, ISO code or QID)")
    s.add_argument("--lat", metavar="COL", help="a column of latitudes (with --lon)")
    s.add_argument("--lon", metavar="COL", help="a column of longitudes (with --lat)")
    s.add_argument(
        "--type",
        choices=sorted(TYPES),
        help="what the names are (default: a settlement or a municipality)",
    )
    s.add_argument(
        "--out",
        type=Path,
        metavar="RESULT.csv",
        help="the result ('-' for standard output; default TABLE-reconciled.csv here)",
    )
    s.add_argument(
        "--review", type=Path, metavar="FILE", help="default RESULT-review.csv beside the result"
    )
    s.add_argument("--encoding", help="the table's encoding (default: sniffed)")
    s.add_argument("--delimiter", help="the table's delimiter (default: sniffed)")
    wikidata_options(s, cache_default=None)
    s.set_defaults(func=cmd_reconcile)
