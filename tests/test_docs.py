"""``citykg docs``: pyLODE HTML with every class, property and concept, and the class diagram."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from citykg.cli import main
from citykg.docs import NAMESPACE, class_hierarchy_svg, load_ontology, own_classes, own_terms

# one worker runs the module, so `citykg docs` (its module fixture) runs once
pytestmark = pytest.mark.xdist_group("test_docs")


class _Anchors(HTMLParser):
    """The ids, the in-page links and the diagram nodes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: set[str] = set()
        self.nodes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if (a.get("href") or "").startswith("#"):
            self.links.add(str(a["href"])[1:])
        if a.get("data-iri"):
            self.nodes.add(str(a["data-iri"]))


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``citykg docs`` run once, into a temporary folder."""
    out = tmp_path_factory.mktemp("docs")
    assert main(["docs", "-q", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def page(docs: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed((docs / "index.html").read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


def test_every_class_property_and_concept_has_its_fragment_as_anchor(
        page: _Anchors, ontology: Graph) -> None:
    classes = own_classes(ontology)
    assert len(classes) > 50
    missing = [str(t) for t in own_terms(ontology) if str(t)[len(NAMESPACE):] not in page.ids]
    assert missing == []
    assert len(page.ids) == len(set(page.ids)), "duplicate anchors"


def test_in_page_links_all_resolve(page: _Anchors) -> None:
    assert sorted(page.links - set(page.ids)) == []


def test_the_diagram_shows_every_class_inline_and_in_its_file(
        docs: Path, page: _Anchors, ontology: Graph) -> None:
    classes = {str(c) for c in own_classes(ontology)}
    assert page.nodes == classes
    svg = ET.parse(docs / "class-hierarchy.svg").getroot()
    nodes = {a.get("data-iri") for a in svg.iter("{http://www.w3.org/2000/svg}a")}
    assert nodes == classes
    assert all(a.get("href", "").startswith("index.html#")
               for a in svg.iter("{http://www.w3.org/2000/svg}a"))


def test_a_class_with_two_superclasses_is_drawn_under_both() -> None:
    def ckg(name: str) -> URIRef:
        return URIRef(NAMESPACE + name)

    g = Graph()
    for name in ("A", "B", "C", "D"):
        g.add((ckg(name), RDF.type, OWL.Class))
        g.add((ckg(name), RDFS.label, Literal(name.lower(), lang="en")))
    g.add((ckg("C"), RDFS.subClassOf, ckg("A")))
    g.add((ckg("C"), RDFS.subClassOf, ckg("B")))
    g.add((ckg("D"), RDFS.subClassOf, ckg("C")))
    g.add((ckg("A"), RDFS.subClassOf, SKOS.Concept))
    svg = ET.fromstring(class_hierarchy_svg(g))
    nodes = list(svg.iter("{http://www.w3.org/2000/svg}a"))
    drawn = [str(a.get("data-iri"))[len(NAMESPACE):] for a in nodes]
    assert drawn == ["A", "C", "D", "B", "C"]  # D drawn once, under C's first place
    assert ["repeat" in str(a.get("class")) for a in nodes] == [False] * 4 + [True]
    assert "skos:Concept" in class_hierarchy_svg(g)  # a reused superclass is named
