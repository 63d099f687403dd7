"""``citykg link`` and ``citykg enrich``: Wikidata links and harvested statements.

``link`` finds Wikidata items for the entities without a Wikidata ID, writes
the clear winners to ``data/links/wikidata-links.ttl`` (generated) and the
rest to ``data/links/review.csv``; a person answers in
``data/links/decisions.csv`` (curated, never written by the tool) and the
next run applies the answers. ``link --check`` lists where our data and the
harvested Wikidata statements disagree. ``enrich`` harvests statements about
linked entities into ``data/enrichment/wikidata.nt`` (generated).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ConfigError

DEFAULT_LANGS = "en,mul,de,fr,es,it,untagged"


def _client_options(s: argparse.ArgumentParser) -> None:
    from ..wikidata import DEFAULT_CACHE_DIR, DEFAULT_ENDPOINT, DEFAULT_USER_AGENT

    w = s.add_argument_group("Wikidata client")
    w.add_argument(
        "--endpoint",
        dest="wd_endpoint",
        default=DEFAULT_ENDPOINT,
        metavar="URL",
        help=f"SPARQL endpoint in Wikidata's shape (default {DEFAULT_ENDPOINT})",
    )
    w.add_argument(
        "--user-agent",
        default=None,
        metavar="TEXT",
        help=f"User-Agent with contact details (default: settings, else {DEFAULT_USER_AGENT!r})",
    )
    w.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        metavar="DIR",
        help=f"response cache (default {DEFAULT_CACHE_DIR})",
    )
    w.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    w.add_argument(
        "--cache-days",
        type=float,
        default=30.0,
        metavar="DAYS",
        help="cached answers older than this are asked again (default 30)",
    )
    w.add_argument(
        "--batch-size", type=int, default=50, metavar="N", help="keys per VALUES block (default 50)"
    )
    w.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="per request (default 60)"
    )
    w.add_argument(
        "--retries", type=int, default=5, metavar="N", help="retries per request (default 5)"
    )
    w.add_argument(
        "--backoff",
        type=float,
        default=2.0,
        metavar="S",
        help="first backoff, doubled on each retry (default 2)",
    )
    w.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="S",
        help="at least this long between two requests (default 0)",
    )


def _client(args: argparse.Namespace) -> Any:
    from ..config import load_settings
    from ..wikidata import DEFAULT_USER_AGENT, WikidataClient

    agent = args.user_agent
    if agent is None:
        configured = load_settings(args.config).user_agent
        agent = configured if "citykg" in configured else DEFAULT_USER_AGENT
    return WikidataClient(
        args.wd_endpoint,
        user_agent=agent,
        cache_dir=None if args.no_cache else args.cache,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        min_interval=args.delay,
        batch_size=args.batch_size,
        max_age_days=args.cache_days,
    )


def _graph(args: argparse.Namespace, ui: Any) -> Any:
    from ..cli import _kg

    args.no_reasoning = True  # linking reads asserted data only
    return _kg(args, ui)


def _links_dir(args: argparse.Namespace) -> Path:
    from ..resources import resource_dir, resource_root

    if args.links_dir:
        return Path(args.links_dir)
    if resource_root().name == "_resources":  # installed: never write into the package
        return Path.cwd() / "links"
    return resource_dir("data") / "links"


def cmd_link(args: argparse.Namespace, ui: Any) -> int:
    from ..api import write_atomic
    from ..linking import (
        CURATED_FILE,
        DECISIONS_FILE,
        LINKS_FILE,
        REVIEW_FILE,
        curated_links,
        entities_from_store,
        entity_iri,
        link,
        read_decisions,
        read_links_file,
        render_links,
        render_review,
    )

    kg = _graph(args, ui)
    if args.check:
        result = kg.query("wikidata-disagreements")
        text = result.serialize(args.format)
        print(text if isinstance(text, str) else text.decode("utf-8"), end="")
        ui.say(f"{len(result.rows)} disagreement(s) between our data and Wikidata")
        return 0
    languages = ["" if x == "untagged" else x for x in args.languages.split(",") if x.strip()]
    if not languages:
        raise ConfigError("--languages names no language")
    links_dir = _links_dir(args)
    out = links_dir / LINKS_FILE
    hand = {links_dir / CURATED_FILE}
    for d in kg.settings.data_dirs:
        if (d / "links").is_dir():
            hand |= {p for p in (d / "links").glob("*.ttl")}
    hand |= set(links_dir.glob("*.ttl")) if links_dir.is_dir() else set()
    hand = {p for p in hand if p.resolve() != out.resolve()}
    only = [entity_iri(x) for x in args.entity] if args.entity else None
    entities = entities_from_store(kg.store, kinds=args.kind or None, only=only)
    client = _client(args)
    today = args.today or date.today().isoformat()
    report = link(
        entities,
        client,
        previous=read_links_file(out),
        curated=curated_links(hand),
        decisions=read_decisions(links_dir / DECISIONS_FILE),
        languages=languages,
        threshold=args.threshold,
        margin=args.margin,
        today=today,
    )
    ui.say(
        f"{len(entities)} entities without a Wikidata ID; {report.skipped_curated} linked by "
        f"hand, {report.kept} kept from earlier runs, {report.considered} considered"
    )
    ui.say(
        f"  {len(report.new_links)} new link(s), {len(report.review)} to review, "
        f"{len(report.no_candidates)} without any candidate"
    )
    ui.say(
        f"  requests: {client.stats.requests} (cache hits {client.stats.cache_hits}, "
        f"retries {client.stats.retries})"
    )
    if args.dry_run:
        for r in report.new_links:
            ui.say(f"  would link <{r.entity}> wd:{r.qid} ({r.score}) {r.evidence}")
        return 0
    stamp = f"endpoint {client.endpoint}; threshold {args.threshold}, margin {args.margin}"
    write_atomic(out, render_links(report.links, generated_by=stamp).encode("utf-8"))
    write_atomic(links_dir / REVIEW_FILE, render_review(report.review, today).encode("utf-8"))
    ui.say(f"wrote {out} ({len(report.links)} links) and {links_dir / REVIEW_FILE}")
    return 0


def cmd_enrich(args: argparse.Namespace, ui: Any) -> int:
    from ..api import write_atomic
    from ..enrichment import harvest, linked_entities, render_enrichment
    from ..resources import resource_dir

    kg = _graph(args, ui)
    from ..linking import entity_iri

    only = [entity_iri(x) for x in args.entity] if args.entity else None
    entities = linked_entities(kg.store, only)
    client = _client(args)
    report = harvest(
        client,
        entities,
        properties=args.property or ("P1082", "P625", "P571", "P17", "P6", "P190", "P463"),
    )
    out = args.output or resource_dir("data") / "enrichment" / "wikidata.nt"
    write_atomic(
        out,
        render_enrichment(report.graph, generated_by=f"endpoint {client.endpoint}").encode("utf-8"),
    )
    ui.say(
        f"{len(entities)} linked entities; statements per property: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.statements.items()))
    )
    if report.skipped:
        ui.say(
            "skipped (P463 on a place without a known government; P571 on a place): "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items()))
        )
    ui.say(
        f"requests: {client.stats.requests} (cache hits {client.stats.cache_hits}, "
        f"retries {client.stats.retries}); wrote {out}"
    )
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``link`` and ``enrich`` to the command line."""
    from ..linking import DEFAULT_MARGIN, DEFAULT_THRESHOLD

    s = sub.add_parser(
        "link",
        parents=[common],
        help="link entities without a Wikidata ID; review the ambiguous ones",
    )
    _client_options(s)
    s.add_argument(
        "--links-dir",
        type=Path,
        metavar="DIR",
        help="where wikidata-links.ttl, review.csv, decisions.csv live (default data/links "
        "in a source checkout, ./links once installed)",
    )
    s.add_argument(
        "--kind",
        action="append",
        choices=["city", "country", "subdivision", "organization", "person"],
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
        "--check",
        action="store_true",
        help="list where our data and the harvested Wikidata statements disagree",
    )
    s.add_argument("--format", "-f", default="table", choices=["table", "csv", "tsv", "json"])
    s.set_defaults(func=cmd_link)

    s = sub.add_parser(
        "enrich", parents=[common], help="harvest Wikidata statements about linked entities"
    )
    _client_options(s)
    s.add_argument(
        "--property",
        action="append",
        choices=["P1082", "P625", "P571", "P17", "P6", "P190", "P463"],
    )
    s.add_argument(
        "--entity",
        action="append",
        metavar="IRI",
        help="harvest only this linked entity (IRI or id path; repeatable)",
    )
    s.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="default data/enrichment/wikidata.nt"
    )
    s.set_defaults(func=cmd_enrich)
