"""The shapes: bad records caught by the intended shape, valid records by none,
both engines agreeing (pySHACL's side in the slow set), and the shapes graph
itself checked.

Each ``tests/shapes/<topic>/invalid-NNN.ttl`` holds one defect and names, in
its header, the shape (``# shape: ckgsh:X``) and path (``# path: ckg:y``) it
must trip; each ``valid-NNN.ttl`` must trip nothing. A case is validated
together with the ontology, as the build does.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import BNode, Node

from citykg.shacl_sparql import RawResult, report_graph, results_of_report, validate_store
from citykg.validation import load_shapes

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "shapes").glob("*/*.ttl"))
CKGSH = "https://w3id.org/citykg/shapes#"
GRAPH = ox.NamedNode("https://w3id.org/citykg/graph/data")
PREFIXES = {"ckgsh": CKGSH, "ckg": "https://w3id.org/citykg/ontology#",
            "rdf": str(RDF), "rdfs": str(RDFS), "skos": "http://www.w3.org/2004/02/skos/core#",
            "org": "http://www.w3.org/ns/org#", "dcterms": "http://purl.org/dc/terms/",
            "dcat": "http://www.w3.org/ns/dcat#", "geo": "http://www.opengis.net/ont/geosparql#"}


def expand(curie: str) -> str:
    pfx, local = curie.split(":", 1)
    return PREFIXES[pfx] + local


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return load_shapes([ROOT / "shapes"])


@pytest.fixture(scope="module")
def ontology_nt() -> str:
    g = rdflib.Graph().parse(ROOT / "ontology" / "citykg.ttl")
    return g.serialize(format="nt")


def _key(r: RawResult) -> tuple[str, ...]:
    """A result as comparable text (blank nodes differ between parses)."""

    def t(n: Node | None) -> str:
        return "_:b" if isinstance(n, BNode) else ("" if n is None else n.n3())

    return (t(r.severity), t(r.shape), t(r.component), t(r.focus), t(r.path), t(r.value),
            str(r.message))


def both_engines(data_nt: str, shapes: rdflib.Graph) -> tuple[list[RawResult], list[RawResult]]:
    """Validate N-Triples with pySHACL and with the SPARQL engine."""
    data = rdflib.Graph().parse(data=data_nt, format="nt")
    _c, rep, _t = pyshacl.validate(data, shacl_graph=shapes, inference=None, advanced=True,
                                   allow_warnings=True)
    assert isinstance(rep, rdflib.Graph), rep
    store = ox.Store()
    store.load(data_nt.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=GRAPH)
    return results_of_report(rep), validate_store(store, shapes)


def header(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^# (shape|path): (\S+)$", path.read_text(encoding="utf-8"), re.M))


def test_cases_are_many_and_declared() -> None:
    invalid = [c for c in CASES if c.name.startswith("invalid-")]
    assert len(invalid) >= 40
    for c in invalid:
        assert set(header(c)) == {"shape", "path"}, f"{c}: header must name the shape and the path"
    assert {c.parent.name for c in CASES if c.name.startswith("valid-")} == {
        c.parent.name for c in invalid}


def check_case(case: Path, results: list[RawResult]) -> None:
    """The results are what the case's header says (written by hand, with the case)."""
    tripped = {(str(r.shape), str(r.path)) for r in results}
    if case.name.startswith("valid-"):
        assert not results, f"a valid case trips {sorted(tripped)}"
        return
    want = header(case)
    assert results, "the case trips nothing"
    shape, path = expand(want["shape"]), expand(want["path"])
    assert {s for s, _ in tripped} == {shape}, f"expected only {want['shape']}, got {sorted(tripped)}"
    assert path in {p for _, p in tripped}, f"expected path {want['path']}, got {sorted(tripped)}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(case: Path, shapes: rdflib.Graph, ontology_nt: str) -> None:
    """The build's engine (shapes compiled to SPARQL) against the case's header."""
    data = rdflib.Graph().parse(case)
    store = ox.Store()
    store.load((ontology_nt + data.serialize(format="nt")).encode(),
               format=ox.RdfFormat.N_TRIPLES, to_graph=GRAPH)
    check_case(case, validate_store(store, shapes))


def _keys(results: list[RawResult]) -> collections.Counter[tuple[str, ...]]:
    return collections.Counter(map(_key, results))


INVALID = [c for c in CASES if c.name.startswith("invalid-")]


@pytest.mark.parametrize("case", INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_candidates_and_joined_targets_agree(
    case: Path, shapes: rdflib.Graph, ontology_nt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A constraint on values gives the same rows whether it is answered from
    its candidates (values first, then their focus nodes checked) or by its
    query with the targets joined in (MAX_CANDIDATES 0 forces the latter), on
    every invalid case, and on it again with its own IRIs made blank nodes,
    which the candidate route hands to the joined query."""
    from citykg import shacl_sparql

    data = rdflib.Graph().parse(case).serialize(format="nt")
    blank = re.sub(r"<https://w3id\.org/citykg/id/([^>]+)>",
                   lambda m: "_:" + re.sub(r"\W", "_", m[1]), data)
    assert blank != data
    for nt in (data, blank):
        store = ox.Store()
        store.load((ontology_nt + nt).encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=GRAPH)
        monkeypatch.setattr(shacl_sparql, "MAX_CANDIDATES", 5_000)
        fast = validate_store(store, shapes)
        monkeypatch.setattr(shacl_sparql, "MAX_CANDIDATES", 0)
        joined = validate_store(store, shapes)
        assert joined, "the case trips nothing"
        assert _keys(fast) == _keys(joined)


def test_most_constraints_on_values_have_candidates(shapes: rdflib.Graph) -> None:
    from citykg.shacl_sparql import compile_shapes, store_subclasses

    store = ox.Store()
    queries = compile_shapes(shapes, store_subclasses(store))
    with_candidates = [q for q in queries if q.candidates]
    assert len(with_candidates) > len(queries) // 2
    for q in with_candidates:
        assert q.shape.probe and "SELECT DISTINCT ?this WHERE" not in q.candidates, q.text


@pytest.mark.slow  # pySHACL takes about 6 s a case (100 cases): the slow set
@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case_agrees_with_pyshacl(case: Path, shapes: rdflib.Graph, ontology_nt: str) -> None:
    """pySHACL, a second engine, gives the same results, and the header's."""
    data = rdflib.Graph().parse(case)
    py, fast = both_engines(ontology_nt + data.serialize(format="nt"), shapes)
    assert collections.Counter(map(_key, fast)) == collections.Counter(map(_key, py)), \
        "the SPARQL engine and pySHACL disagree"
    check_case(case, py)


def test_shapes_conform_to_shacl_shacl(shapes: rdflib.Graph) -> None:
    shsh = rdflib.Graph().parse(ROOT / "tests" / "fixtures" / "shacl-shacl.ttl")
    conforms, _rep, text = pyshacl.validate(shapes, shacl_graph=shsh, inference=None)
    assert conforms, text


def test_every_shape_is_documented(shapes: rdflib.Graph) -> None:
    named = {s for t in (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint)
             for s in shapes.subjects(RDF.type, t)}
    assert named
    for s in named:
        assert not isinstance(s, BNode), "give every shape an IRI, so that reports can name it"
        assert str(s).startswith(CKGSH), s
        assert shapes.value(s, RDFS.comment) is not None, f"{s} has no rdfs:comment"
        closed = shapes.value(s, SH.closed) is not None
        has_own = shapes.value(s, SH.message) is not None
        if not has_own and not closed:
            # a node shape without a message must only group messaged constraints
            assert shapes.value(s, SH.path) is None, f"{s} has no sh:message"


def test_every_target_exists_in_the_ontology(shapes: rdflib.Graph) -> None:
    onto = rdflib.Graph().parse(ROOT / "ontology" / "citykg.ttl")
    classes = set(onto.subjects(RDF.type, OWL.Class)) | set(onto.subjects(RDF.type, RDFS.Class))
    props = {p for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                         RDF.Property) for p in onto.subjects(RDF.type, t)}
    external_ok = {RDF.Statement}  # RDF's own class, used for reification
    for s, c in shapes.subject_objects(SH.targetClass):
        assert c in classes or c in external_ok, f"{s} targets {c}, which the ontology does not declare"
    for pred in (SH.targetSubjectsOf, SH.targetObjectsOf):
        for s, p in shapes.subject_objects(pred):
            assert p in props or str(p).startswith(str(RDFS)) or p in (
                rdflib.URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),), \
                f"{s} targets subjects/objects of {p}, which the ontology does not declare"
    for s, c in shapes.subject_objects(SH["class"]):
        assert c in classes, f"{s} requires class {c}, which the ontology does not declare"
    ckg = "https://w3id.org/citykg/ontology#"
    for s, p in shapes.subject_objects(SH.path):
        if str(p).startswith(ckg):
            assert p in props, f"{s} has path {p}, which the ontology does not declare"


def test_report_graph_round_trip() -> None:
    r = RawResult(SH.Warning, rdflib.URIRef(CKGSH + "X"), SH.MinCountConstraintComponent,
                  rdflib.URIRef("https://w3id.org/citykg/id/city/q62"), RDFS.label, None,
                  rdflib.Literal("m", lang="en"))
    assert results_of_report(report_graph([r])) == [r]
