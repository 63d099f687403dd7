"""``citykg link`` and ``citykg enrich``: Wikidata links and harvested statements.

Both call :meth:`citykg.api.KnowledgeGraph.link` and
:meth:`~citykg.api.KnowledgeGraph.enrich`; their files go to ``data/links/``
and ``data/enrichment/`` in the working folder unless told otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api import DEFAULT_ENRICHMENT_FILE, DEFAULT_LINKS_DIR
from ..enrichment import HARVEST_QUERIES
from ..errors import ConfigError
from ..linking import DEFAULT_MARGIN, DEFAULT_THRESHOLD, KINDS
from ..wikidata import DEFAULT_CACHE_DIR
from .common import UI, emit, open_graph, render, wikidata_client_of, wikidata_options

if TYPE_CHECKING:
    from ..wikidata import WikidataClient

DEFAULT_LANGS = "en,mul,de,fr,es,it,untagged"


def _requests(client: WikidataClient) -> str:
    s = client.stats
    return f"requests: {s.requests} (cache hits {s.cache_hits}, retries {s.retries})"


def cmd_link(args: argparse.Namespace, ui: UI) -> int:
    kg = open_graph(args, ui, reasoning=False)  # linking reads asserted data only
    if args.check:
        result = kg.disagreements()
        emit(render(result, args.format))
        ui.say(f"{len(result)} disagreement(s) between our data and Wikidata")
        return 0
    languages = ["" if x == "untagged" else x for x in args.languages.split(",") if x.strip()]
    if not languages:
        raise ConfigError("--languages names no language")
    client = wikidata_client_of(args)
    outcome = kg.link(
        client,
        links_dir=args.links_dir,
        kinds=args.kind,
        entities=args.entity,
        languages=languages,
        threshold=args.threshold,
        margin=args.margin,
        today=args.today,
        dry_run=args.dry_run,
        allow_taken=args.allow_taken,
    )
    report = outcome.report
    ui.say(
        f"{outcome.entities} entities without a Wikidata ID; {report.skipped_curated} linked by "
        f"hand, {report.kept} kept from earlier runs, {report.considered} considered"
    )
    ui.say(
        f"  {len(report.new_links)} new link(s), {len(report.review)} to review, "
        f"{len(report.no_candidates)} without any candidate"
    )
    ui.say(f"  {_requests(client)}")
    if not outcome.written:
        for r in report.new_links:
            ui.say(f"  would link <{r.entity}> wd:{r.qid} ({r.score}) {r.evidence}")
        return 0
    ui.say(f"wrote {outcome.links_file} ({len(report.links)} links) and {outcome.review_file}")
    return 0


def cmd_enrich(args: argparse.Namespace, ui: UI) -> int:
    kg = open_graph(args, ui, reasoning=False)
    client = wikidata_client_of(args)
    report = kg.enrich(client, properties=args.property, entities=args.entity, out=args.output)
    ui.say(
        f"{report.entities} linked entities; statements per property: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.statements.items()))
    )
    if report.skipped:
        ui.say(
            "skipped (P463 on a place without a known government; P571 on a place): "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items()))
        )
    ui.say(f"{_requests(client)}; wrote {report.output}")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``link`` and ``enrich`` to the command line."""
    s = sub.add_parser(
        "link",
        parents=[common],
        help="link entities without a Wikidata ID; review the ambiguous ones",
    )
    wikidata_options(s, cache_default=DEFAULT_CACHE_DIR)
    s.add_argument(
        "--links-dir",
        type=Path,
        metavar="DIR",
        help="where wikidata-links.ttl, review.csv, decisions.csv live "
        f"(default {DEFAULT_LINKS_DIR} in the working folder)",
    )
    s.add_argument(
        "--kind",
        action="append",
        choices=[k for k, _ in KINDS],
    )
    s.add_argument(
        "--entity",
        action="append",
        metavar="IRI",
        help="link only this entity (IRI or id path such as city/irvine; repeatable)",
    )
    s.add_argument(
        "--languages",
        default=DEFAULT_LANGS,
        metavar="LIST",
        help=f"label languages to match, 'untagged' for plain labels (default {DEFAULT_LANGS})",
    )
    s.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    s.add_argument("--margin", type=float, default=DEFAULT_MARGIN)
    s.add_argument(
        "--today",
        metavar="DATE",
        help="the date recorded on new links whose answer has no retrieval date (default "
        "today); a link otherwise records the day its answer was retrieved",
    )
    s.add_argument(
        "--dry-run", action="store_true", help="write nothing; print what would be linked"
    )
    s.add_argument(
        "--allow-taken",
        action="store_true",
        help="accept a clear winner even if another entity already is that item (its "
        "ckg:wikidataId or a curated link); by default such a winner goes to review",
    )
    s.add_argument(
        "--check",
        action="store_true",
        help="list where our data and the harvested Wikidata statements disagree",
    )
    s.add_argument("--format", "-f", default="table", choices=["table", "csv", "tsv", "json"])
    s.set_defaults(func=cmd_link)

    s = sub.add_parser(
        "enrich", parents=[common], help="harvest Wikidata statements about linked entities"
    )
    wikidata_options(s, cache_default=DEFAULT_CACHE_DIR)
    s.add_argument(
        "--property",
        action="append",
        choices=list(HARVEST_QUERIES),
    )
    s.add_argument(
        "--entity",
        action="append",
        metavar="IRI",
        help="harvest only this linked entity (IRI or id path; repeatable)",
    )
    s.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help=f"default {DEFAULT_ENRICHMENT_FILE} in the working folder",
    )
    s.set_defaults(func=cmd_enrich)
