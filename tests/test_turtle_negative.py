"""Every file of the W3C Turtle negative-syntax suite is rejected, with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from citykg.errors import ParseError
from citykg.store import OxigraphStore

SUITE = Path(__file__).parent / "fixtures" / "w3c-turtle-negative-syntax"
BASE = "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
RDFT = rdflib.Namespace("http://www.w3.org/ns/rdftest#")


def negative_files() -> list[Path]:
    """The files the suite's manifest lists as negative syntax tests."""
    g = rdflib.Graph()
    g.parse(SUITE / "manifest.ttl", format="turtle", publicID=BASE + "manifest.ttl")
    names = sorted(
        str(g.value(t, MF.action)).rsplit("/", 1)[-1]
        for t in g.subjects(rdflib.RDF.type, RDFT.TestTurtleNegativeSyntax)
    )
    return [SUITE / n for n in names]


def test_the_suite_is_complete() -> None:
    files = negative_files()
    assert len(files) == 94
    assert all(f.is_file() for f in files)


@pytest.mark.parametrize("path", negative_files(), ids=lambda p: p.stem)
def test_negative_syntax_file_is_rejected_with_file_and_line(path: Path) -> None:
    store = OxigraphStore()
    with pytest.raises(ParseError) as info:
        store.load_file(path, "data", base_iri=BASE + path.name)
    err = info.value
    assert err.path == str(path)
    assert err.line is not None and err.line >= 1
    assert err.problem
    assert str(err).startswith(f"{path}:{err.line}")
    assert store.graph_sizes()["data"] == 0, "a rejected file must add nothing"
