"""A short tour of citykg for a new user: build the graph, run a few stored queries.

Run with ``python -m citykg.showcase`` (``make run``). It prints each
query's name, summary and result table to standard output, and the same
command line that would run it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .api import KnowledgeGraph
from .errors import CitykgError
from .results import SelectResult


@dataclass(frozen=True)
class Stop:
    """One stop of the tour: a stored query and the parameters it runs with."""

    query: str
    params: dict[str, Any] = field(default_factory=dict)
    rows: int = 12


TOUR: tuple[Stop, ...] = (
    Stop("networks-overview"),
    Stop("networks-by-issue-area", {"issue": "https://w3id.org/citykg/ontology#ClimateChange"}),
    Stop("counterbalancing-actions"),
    Stop("sister-cities-of-city", {"city": "https://w3id.org/citykg/id/city/q62"}),
    Stop("most-twinned-cities", rows=10),
    Stop("frameworks"),
)


def render_stop(kg: KnowledgeGraph, stop: Stop) -> str:
    """The text of one stop: a heading, the command line and the table."""
    q = kg.stored_query(stop.query)
    args = " ".join(f"--param {k}={v}" for k, v in stop.params.items())
    head = [f"== {q.name}: {q.summary}", f"   $ citykg query {q.name} {args}".rstrip(), ""]
    result = kg.query(stop.query, **stop.params)
    if isinstance(result, SelectResult):
        shown = SelectResult(result.variables, result.rows[: stop.rows])
        body = shown.to_table(max_width=48)
        if len(result) > stop.rows:
            body += f"... and {len(result) - stop.rows} more rows\n"
    else:
        body = result.serialize("turtle")
    return "\n".join(head) + body + "\n"


def tour(kg: KnowledgeGraph, stops: Sequence[Stop] = TOUR) -> str:
    """The whole tour as text."""
    sizes = kg.store.graph_sizes()
    intro = [
        "citykg: a knowledge graph of city diplomacy",
        "Triples per named graph: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()),
        f"{len(kg.library)} stored queries (citykg query --list); a few of them:",
        "",
    ]
    return "\n".join(intro) + "\n".join(render_stop(kg, s) for s in stops)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the shipped graph and print the tour; return an exit code."""
    _ = argv
    try:
        kg = KnowledgeGraph()
        kg.build()
        sys.stdout.write(tour(kg))
    except CitykgError as e:
        print(f"citykg showcase: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
