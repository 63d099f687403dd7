"""Reasoning: the SPARQL-compiled OWL 2 RL rules infer what owlrl infers on the
ontology's own constructs; pinned inferences on the shipped graph; HermiT."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from citykg.api import KnowledgeGraph
from citykg.config import Settings
from citykg.namespaces import CKG, DCTERMS, ID, SKOS
from citykg.reasoning import check_dl, java_available, materialise
from citykg.resources import resource_dir
from citykg.store import OxigraphStore, parse_file
from citykg.terms import triple_to_rdflib

FIXTURES = Path(__file__).parent / "fixtures" / "reasoning"
TEST_NS = "https://w3id.org/citykg/id/test/"
ONTOLOGY = resource_dir("ontology") / "citykg.ttl"


def _abox(triples: set[tuple[rdflib.term.Node, ...]]) -> set[tuple[rdflib.term.Node, ...]]:
    """Statements about the fixture's individuals that both reasoners should agree on."""
    skip_types = {OWL.Thing, OWL.NamedIndividual, RDFS.Resource}
    return {
        (s, p, o) for s, p, o in triples
        if isinstance(s, rdflib.URIRef) and str(s).startswith(TEST_NS)
        and not isinstance(o, rdflib.BNode | rdflib.Literal)
        and p != OWL.sameAs and not (p == RDF.type and o in skip_types)
    }


@pytest.fixture(scope="module")
def ours() -> set[tuple[rdflib.term.Node, ...]]:
    store = OxigraphStore()
    store.load_file(ONTOLOGY, "ontology")
    store.load_file(FIXTURES / "abox.ttl", "data")
    materialise(store, [])  # the OWL RL rules only, without the SPARQL rules
    return set(store.triples())


@pytest.fixture(scope="module")
def owlrl_closure() -> set[tuple[rdflib.term.Node, ...]]:
    import owlrl

    g = rdflib.Graph()
    for f in (ONTOLOGY, FIXTURES / "abox.ttl"):
        for t in parse_file(f):
            g.add(triple_to_rdflib(t))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)
    return set(g)


def test_rl_rules_infer_what_owlrl_infers(ours: set, owlrl_closure: set) -> None:
    a, b = _abox(ours), _abox(owlrl_closure)
    missing = sorted(b - a)
    extra = sorted(a - b)
    assert not missing, "owlrl infers what citykg does not:\n" + "\n".join(map(str, missing[:30]))
    assert not extra, "citykg infers what owlrl does not:\n" + "\n".join(map(str, extra[:30]))


T = rdflib.Namespace(TEST_NS)

EXPECTED = [
    (T.paris, RDF.type, CKG.Place),                        # cax-sco
    (T.net, RDF.type, CKG.Network),                        # cax-sco through the hierarchy
    (T.net, CKG.focusesOn, CKG.ClimateChange),             # chain focusesOn o skos:broader
    (T.net, RDF.type, CKG.ClimateNetwork),                 # defined class (hasValue)
    (T.paris_gov, CKG.memberOf, T.net),                    # chain hasMembership o organization
    (T.net, CKG.hasMember, T.paris_gov),                   # inverse
    (T.paris, CKG.cityInNetwork, T.net),                   # chain governedBy o memberOf
    (T.paris, CKG.governedBy, T.paris_gov),                # inverse
    (T.rome, CKG.twinnedWith, T.paris),                    # symmetric
    (T.suit, RDF.type, CKG.CounterbalancingAction),        # defined class
    (T.suit, RDF.type, CKG.CommercialAction),              # defined class
    (T.commit, RDF.type, CKG.VoidFillingAction),           # defined class
    (T.office, CKG.issueArea, CKG.Trade),                  # hasValue superclass (cls-hv1)
    (T.rome_gov, RDF.type, CKG.Government),                # domain of governs
]
NOT_EXPECTED = [
    (T.commit, RDF.type, CKG.CounterbalancingAction),
    (T.paris, CKG.twinnedWith, T.paris),
    (T.net, RDF.type, CKG.MultiscalarNetwork),             # a SPARQL rule, not OWL
]


def _fix(t: tuple[rdflib.term.Node, ...]) -> tuple[rdflib.term.Node, ...]:
    return tuple(rdflib.URIRef(str(x).replace("_", "-")) if str(x).startswith(TEST_NS) else x
                 for x in t)


@pytest.mark.parametrize("triple", EXPECTED, ids=lambda t: str(t[1]).rsplit("#", 1)[-1])
def test_expected_inference(ours: set, triple: tuple) -> None:
    assert _fix(triple) in ours


@pytest.mark.parametrize("triple", NOT_EXPECTED, ids=lambda t: str(t[2]).rsplit("#", 1)[-1])
def test_no_unwarranted_inference(ours: set, triple: tuple) -> None:
    assert _fix(triple) not in ours


def test_rl_reports_inconsistency() -> None:
    store = OxigraphStore()
    store.load_file(ONTOLOGY, "ontology")
    store.load_file(FIXTURES / "inconsistent.ttl", "data")
    report = materialise(store, [])
    assert any("disjoint" in line and "test/both" in line for line in report.inconsistencies)
    assert any("irreflexive" in line for line in report.inconsistencies)


# --- the shipped graph --------------------------------------------------------


def test_shipped_graph_is_rl_consistent(kg: KnowledgeGraph) -> None:
    assert kg.build_report is not None and kg.build_report.reasoning is not None
    assert kg.build_report.reasoning.inconsistencies == []


@pytest.mark.parametrize("query", [
    # sparql rules: the twinning shortcut both ways, never reflexive
    "ASK { ?a ckg:twinnedWith ?b . ?b ckg:twinnedWith ?a }",
    "ASK { FILTER NOT EXISTS { ?a ckg:twinnedWith ?a } }",
    # dcterms:source from citations
    f"ASK {{ <{ID}network/c40> <{DCTERMS.source}> ?s }}",
    # Wikidata links from the gazetteer's IDs
    f"ASK {{ <{ID}city/q90> <{SKOS.exactMatch}> <http://www.wikidata.org/entity/Q90> }}",
    # C40 focuses on climate change: a climate network by definition
    f"ASK {{ <{ID}network/c40> a ckg:ClimateNetwork }}",
    # TMNs organise members at several scales (the essay): multiscalar by the SPARQL rule
    f"ASK {{ <{ID}network/c40> a ckg:MultiscalarNetwork }}",
])
def test_pinned_inference_on_shipped_graph(kg: KnowledgeGraph, query: str) -> None:
    from citykg.results import AskResult

    res = kg.sparql("PREFIX ckg: <https://w3id.org/citykg/ontology#>\n" + query)
    assert isinstance(res, AskResult) and res.value, query


# --- OWL 2 DL with HermiT -----------------------------------------------------

needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java")


@needs_java
def test_hermit_finds_the_ontology_consistent() -> None:
    report = check_dl([ONTOLOGY])
    assert report.consistent
    assert report.unsatisfiable == []


@needs_java
def test_hermit_reports_an_inconsistent_fixture() -> None:
    report = check_dl([ONTOLOGY, FIXTURES / "inconsistent.ttl"])
    assert not report.consistent
    assert report.explanation


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from citykg.errors import ReasonerError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ReasonerError, match="needs Java"):
        check_dl([ONTOLOGY])


def test_reasoning_can_be_switched_off() -> None:
    kg = KnowledgeGraph(Settings(reasoning=False))
    report = kg.build()
    assert report.reasoning is None
    assert report.sizes["inferred"] == 0
