"""Documentation of the stored queries: ``queries/README.md`` from their headers.

Each query runs with its default parameters for an example table; where the
shipped data has no row yet and a fixture graph is given, the example comes
from the fixture and says so. Queries tagged ``network`` get no example.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from .queries import QueryLibrary, library_markdown
from .resources import resource_root
from .results import GraphResult, QueryResult, SelectResult

ROWS = 5


class Queryable(Protocol):
    """What the documentation needs of a graph (a :class:`citykg.api.Queryable` is one)."""

    @property
    def library(self) -> QueryLibrary: ...

    def query(self, name: str, *, allow_network: bool = False, **params: Any) -> QueryResult: ...


def questions_file() -> Path:
    """``docs/competency-questions.md`` of the source checkout (absent from a wheel)."""
    return resource_root() / "docs" / "competency-questions.md"


def read_questions(path: Path | None = None) -> dict[int, str]:
    """Competency questions by number, from a numbered Markdown list."""
    path = path or questions_file()
    if not path.is_file():
        return {}
    found = re.findall(r"^(\d+)\.\s+(.+)$", path.read_text(encoding="utf-8"), re.M)
    return {int(n): text.strip() for n, text in found}


def render(result: object, where: str) -> str:
    """An example block for one result."""
    if isinstance(result, SelectResult):
        table = result.to_markdown(limit=ROWS).rstrip("\n")
        return f"Example ({where}, default parameters, {len(result)} rows):\n\n{table}"
    if isinstance(result, GraphResult):
        nt = result.serialize("ntriples").splitlines()
        shown = "\n".join(nt[:8]) + ("\n# ..." if len(nt) > 8 else "")
        return f"Example ({where}, default parameters, {len(nt)} triples):\n\n```\n{shown}\n```"
    return ""


def examples(shipped: Queryable, fixture: Queryable | None = None) -> dict[str, str]:
    """Rendered examples per query name."""
    out = {}
    for q in shipped.library:
        if q.needs_network:
            out[q.name] = "No example: the query needs the network (it is refused offline)."
            continue
        res = shipped.query(q.name)
        where = "shipped data"
        if len(res) == 0 and fixture is not None:  # type: ignore[arg-type]
            res, where = fixture.query(q.name), "test fixture graph; no row on the shipped data yet"
        out[q.name] = render(res, where)
    return out


def query_docs(shipped: Queryable, fixture: Queryable | None = None) -> str:
    """The whole ``queries/README.md``."""
    return library_markdown(shipped.library, examples(shipped, fixture), questions=read_questions())


def query_list(library: QueryLibrary, fmt: str = "table") -> str:
    """The stored queries as a table, JSON or a Markdown table (``citykg query --list``).

    >>> print(query_list(QueryLibrary([]), "markdown"), end="")
    | query | summary | parameters | tags |
    |---|---|---|---|
    """
    if fmt == "json":
        return (
            json.dumps(
                [
                    {
                        "name": q.name,
                        "summary": q.summary,
                        "tags": q.tags,
                        "parameters": [
                            {
                                "name": p.name,
                                "type": p.type,
                                "optional": p.optional,
                                "default": p.default,
                            }
                            for p in q.parameters
                        ],
                    }
                    for q in library
                ],
                indent=1,
            )
            + "\n"
        )
    if fmt == "markdown":
        lines = ["| query | summary | parameters | tags |", "|---|---|---|---|"]
        for q in library:
            params = ", ".join(f"`{p.name}` ({p.type})" for p in q.parameters) or "—"
            lines.append(f"| `{q.name}` | {q.summary} | {params} | {', '.join(q.tags)} |")
        return "\n".join(lines) + "\n"
    rows = [
        (q.name, q.summary, ", ".join(f"{p.name}:{p.type}" for p in q.parameters)) for q in library
    ]
    w0 = max([len("name")] + [len(r[0]) for r in rows])
    w1 = min(70, max([len("summary")] + [len(r[1]) for r in rows]))
    out = [f"{'name':<{w0}}  {'summary':<{w1}}  parameters"]
    for n, s, p in rows:
        s = s if len(s) <= w1 else s[: w1 - 1] + "…"
        out.append(f"{n:<{w0}}  {s:<{w1}}  {p}".rstrip())
    out.append(f"({len(rows)} stored queries)")
    return "\n".join(out) + "\n"
