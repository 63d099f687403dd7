"""``KnowledgeGraph.export``: what it writes, where, and in which form."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib


def test_export_writes_to_a_path_given_as_text(kg: object, tmp_path: Path) -> None:
    """``out`` may be a str or a Path (a notebook user types a string); the file holds
    exactly the named graph's triples, as the store counts them."""
    sizes = kg.store.graph_sizes()  # type: ignore[attr-defined]
    out = tmp_path / "sub" / "ontology.ttl"
    assert kg.export("turtle", graphs=["ontology"], out=str(out)) is None  # type: ignore[attr-defined]
    parsed = rdflib.Graph().parse(out, format="turtle")
    assert len(parsed) == sizes["ontology"] > 0


def test_export_refuses_an_unknown_format(kg: object) -> None:
    from citykg.errors import QueryError

    with pytest.raises(QueryError, match="unknown export format 'rdfa'"):
        kg.export("rdfa")  # type: ignore[attr-defined]
