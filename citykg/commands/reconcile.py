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


def cmd_reconcile(args: argparse.Namespace, ui: Any) -> int:
    from ..api import write_atomic
    from ..reconcile import default_cache_dir, reconcile_table, render_review, summary
    from ..wikidata import DEFAULT_USER_AGENT, WikidataClient

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
    client = WikidataClient(
        args.wd_endpoint,
        user_agent=args.user_agent or DEFAULT_USER_AGENT,
        cache_dir=None if args.no_cache else (args.cache or default_cache_dir()),
        timeout=args.timeout,
        retries=args.retries,
        min_interval=args.delay,
        batch_size=args.batch_size,
        max_age_days=args.cache_days,
    )
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
    from ..wikidata import DEFAULT_ENDPOINT

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
    w = s.add_argument_group("Wikidata client")
    w.add_argument(
        "--endpoint",
        dest="wd_endpoint",
        default=DEFAULT_ENDPOINT,
        metavar="URL",
        help=f"SPARQL endpoint in Wikidata's shape (default {DEFAULT_ENDPOINT})",
    )
    w.add_argument("--user-agent", metavar="TEXT", help="User-Agent with contact details")
    w.add_argument(
        "--cache", type=Path, metavar="DIR", help="answer cache (default: the user cache folder)"
    )
    w.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    w.add_argument(
        "--cache-days",
        type=float,
        default=30.0,
        metavar="DAYS",
        help="cached answers older than this are asked again (default 30)",
    )
    w.add_argument("--batch-size", type=int, default=50, metavar="N", help="names per request")
    w.add_argument("--timeout", type=float, default=60.0, metavar="S", help="per request")
    w.add_argument("--retries", type=int, default=5, metavar="N", help="retries per request")
    w.add_argument(
        "--delay", type=float, default=0.0, metavar="S", help="at least S between requests"
    )
    s.set_defaults(func=cmd_reconcile)
