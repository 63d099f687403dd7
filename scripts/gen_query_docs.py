"""Write ``queries/README.md`` from the ``#+`` headers of the stored queries.

Each query runs with its default parameters on the shipped graph for an
example table (at most five rows); where the shipped data has no row yet, the
example comes from the test fixture graph (tests/fixtures/queries-fixture.trig)
and says so. Queries tagged ``network`` get no example. Usage::

    python scripts/gen_query_docs.py [--check]

``--check`` writes nothing and fails when the README is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "queries"))

from citykg.api import KnowledgeGraph  # noqa: E402
from citykg.querydocs import query_docs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if queries/README.md is stale")
    args = parser.parse_args(argv)
    from goldenlib import build_fixture_kg

    shipped = KnowledgeGraph()
    shipped.build()
    fixture = build_fixture_kg()
    assert isinstance(fixture, KnowledgeGraph)
    text = query_docs(shipped, fixture)
    out = ROOT / "queries" / "README.md"
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            print(f"{out} is out of date: run python scripts/gen_query_docs.py", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.splitlines())} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
