"""Reasoning: OWL 2 RL materialisation on the store, and an OWL 2 DL check.

**RL.** Instead of a general OWL RL engine (owlrl took 46 s at 100k triples
here, ``reasonable`` ran out of memory at 1M), citykg compiles the axioms its
ontology actually uses into SPARQL updates and runs them on the Oxigraph store
until nothing new is inferred. The rules are the OWL 2 RL rules for those
axioms: ``cax-sco``, ``cax-eqc1/2``, ``prp-dom``, ``prp-rng``, ``prp-spo1``,
``prp-spo2`` (property chains), ``prp-eqp1/2``, ``prp-inv1/2``, ``prp-symp``,
``prp-trp``, ``cls-int1/2``, ``cls-uni``, ``cls-hv1/2``, ``cls-svf1/2``, with the
consistency checks ``cax-dw``, ``cax-adc``, ``prp-irp``, ``prp-asyp`` and
``cls-nothing2``. Equality rules (``owl:sameAs``) are left out on purpose: the
ontology declares no functional or key axioms, and links to Wikidata are
``skos:exactMatch``. Rules OWL cannot state (a network organising members at
two or more scales, a twinning shortcut that must not be reflexive) are SPARQL
``CONSTRUCT`` files in ``ontology/rules/``; a ``#+ graph: links`` header sends
a rule's output to another graph than ``inferred``.

**DL.** :func:`check_dl` converts the ontology (and optionally the data) to
RDF/XML, maps the date literals HermiT rejects to strings on that copy, and
runs HermiT through owlready2 for consistency and unsatisfiable classes.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import ReasonerError
from .extras import require
from .namespaces import OWL, RDF, RDFS, graph_iri
from .results import SelectResult
from .store import OxigraphStore

INFERRED = str(graph_iri("inferred"))
ONTOLOGY = str(graph_iri("ontology"))
_HEADER_RE = re.compile(r"^#\+\s*graph:\s*(\w+)\s*$", re.M)

# --- class expressions ------------------------------------------------------


@dataclass(frozen=True)
class Named:
    iri: str


@dataclass(frozen=True)
class HasValue:
    prop: str
    value: str  # N-Triples form


@dataclass(frozen=True)
class SomeValues:
    prop: str
    filler: ClassExpr


@dataclass(frozen=True)
class Inter:
    parts: tuple[ClassExpr, ...]


@dataclass(frozen=True)
class Union:
    parts: tuple[ClassExpr, ...]


ClassExpr = Named | HasValue | SomeValues | Inter | Union


class _Counter:
    def __init__(self) -> None:
        self.n = itertools.count()

    def var(self, stem: str = "v") -> str:
        return f"?{stem}{next(self.n)}"


def _t(s: str, p: str, o: str, c: _Counter) -> str:
    return f"GRAPH {c.var('g')} {{ {s} {p} {o} }}"


def condition(expr: ClassExpr, x: str, c: _Counter) -> str | None:
    """A SPARQL group pattern true when ``x`` is an instance of ``expr`` (RL sufficient side)."""
    if isinstance(expr, Named):
        if expr.iri == str(OWL.Thing):
            return None
        return _t(x, "a", f"<{expr.iri}>", c)
    if isinstance(expr, HasValue):
        return _t(x, f"<{expr.prop}>", expr.value, c)
    if isinstance(expr, SomeValues):
        y = c.var("y")
        head = _t(x, f"<{expr.prop}>", y, c)
        tail = condition(expr.filler, y, c)
        return head if tail is None else f"{head} {tail}"
    if isinstance(expr, Inter):
        parts = [condition(p, x, c) for p in expr.parts]
        if any(p is None for p in parts) and len(parts) == 1:
            return None
        return " ".join(p for p in parts if p is not None)
    parts = [condition(p, x, c) for p in expr.parts]
    if any(p is None for p in parts):
        return None
    return " UNION ".join("{ " + p + " }" for p in parts if p is not None)


def consequences(expr: ClassExpr, x: str) -> list[str]:
    """Triple templates that follow from ``x`` being an instance of ``expr`` (RL necessary side)."""
    if isinstance(expr, Named):
        return [] if expr.iri == str(OWL.Thing) else [f"{x} a <{expr.iri}>"]
    if isinstance(expr, HasValue):
        return [f"{x} <{expr.prop}> {expr.value}"]
    if isinstance(expr, Inter):
        return [t for p in expr.parts for t in consequences(p, x)]
    return []  # someValuesFrom and unionOf create nothing in OWL 2 RL


# --- reading the ontology ---------------------------------------------------


@dataclass
class Axioms:
    """The axioms of the ontology graph that the RL rules use."""

    sub_class: set[tuple[str, str]] = field(default_factory=set)
    sufficient: list[tuple[ClassExpr, str]] = field(default_factory=list)
    necessary: list[tuple[str, ClassExpr]] = field(default_factory=list)
    sub_prop: set[tuple[str, str]] = field(default_factory=set)
    inverse: set[tuple[str, str]] = field(default_factory=set)
    transitive: set[str] = field(default_factory=set)
    chains: list[tuple[str, tuple[tuple[str, bool], ...]]] = field(default_factory=list)
    domain: set[tuple[str, str]] = field(default_factory=set)
    range: set[tuple[str, str]] = field(default_factory=set)
    disjoint: set[tuple[str, str]] = field(default_factory=set)
    irreflexive: set[str] = field(default_factory=set)
    asymmetric: set[str] = field(default_factory=set)


def _nt(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return str(term)


class _OntologyReader:
    def __init__(self, store: ox.Store, graphs: list[ox.NamedNode]) -> None:
        self.store = store
        self.graphs = graphs

    def objects(
        self, s: ox.NamedNode | ox.BlankNode, p: str
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        out = []
        for g in self.graphs:
            out += [q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(p), None, g)]
        return out  # type: ignore[return-value]

    def pairs(
        self, p: str
    ) -> list[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        out = []
        for g in self.graphs:
            out += [
                (q.subject, q.object)
                for q in self.store.quads_for_pattern(None, ox.NamedNode(p), None, g)
            ]
        return out  # type: ignore[return-value]

    def subjects_of_type(self, cls: str) -> list[ox.NamedNode | ox.BlankNode]:
        return [
            s
            for s, o in self.pairs(str(RDF.type))
            if isinstance(o, ox.NamedNode) and o.value == cls
        ]

    def rdf_list(self, head: object) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        items = []
        node = head
        seen = set()
        while isinstance(node, ox.BlankNode | ox.NamedNode) and str(node) != f"<{RDF.nil}>":
            if str(node) in seen:
                break
            seen.add(str(node))
            first = self.objects(node, str(RDF.first))
            rest = self.objects(node, str(RDF.rest))
            if not first:
                break
            items.append(first[0])
            node = rest[0] if rest else None
        return items

    def expr(self, node: object) -> ClassExpr | None:
        if isinstance(node, ox.NamedNode):
            return Named(node.value)
        if not isinstance(node, ox.BlankNode):
            return None
        on = self.objects(node, str(OWL.onProperty))
        hv = self.objects(node, str(OWL.hasValue))
        svf = self.objects(node, str(OWL.someValuesFrom))
        if on and isinstance(on[0], ox.NamedNode) and hv:
            return HasValue(on[0].value, _nt(hv[0]))
        if on and isinstance(on[0], ox.NamedNode) and svf:
            filler = self.expr(svf[0])
            return SomeValues(on[0].value, filler) if filler is not None else None
        inter = self.objects(node, str(OWL.intersectionOf))
        if inter:
            parts = [self.expr(m) for m in self.rdf_list(inter[0])]
            return Inter(tuple(p for p in parts if p is not None)) if all(parts) else None
        uni = self.objects(node, str(OWL.unionOf))
        if uni:
            parts = [self.expr(m) for m in self.rdf_list(uni[0])]
            return Union(tuple(p for p in parts if p is not None)) if all(parts) else None
        return None


def read_axioms(store: ox.Store, graphs: list[str] | None = None) -> Axioms:
    """Collect the RL-relevant axioms from the given graphs (default: the ontology graph)."""
    r = _OntologyReader(store, [ox.NamedNode(g) for g in (graphs or [ONTOLOGY])])
    ax = Axioms()

    def add_class_axiom(sub: object, sup: object, equivalent: bool) -> None:
        a, b = r.expr(sub), r.expr(sup)
        if a is None or b is None:
            return
        pairs = [(a, b), (b, a)] if equivalent else [(a, b)]
        for lhs, rhs in pairs:
            if isinstance(lhs, Named) and isinstance(rhs, Named):
                if lhs != rhs:
                    ax.sub_class.add((lhs.iri, rhs.iri))
            elif isinstance(rhs, Named):
                ax.sufficient.append((lhs, rhs.iri))
            elif isinstance(lhs, Named):
                ax.necessary.append((lhs.iri, rhs))

    for s, o in r.pairs(str(RDFS.subClassOf)):
        add_class_axiom(s, o, False)
    for s, o in r.pairs(str(OWL.equivalentClass)):
        add_class_axiom(s, o, True)
    for p in (RDFS.subPropertyOf, OWL.equivalentProperty):
        for s, o in r.pairs(str(p)):
            if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode) and s != o:
                ax.sub_prop.add((s.value, o.value))
                if p == OWL.equivalentProperty:
                    ax.sub_prop.add((o.value, s.value))
    for s, o in r.pairs(str(OWL.inverseOf)):
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            ax.inverse.add((s.value, o.value))
            ax.inverse.add((o.value, s.value))
    for s in r.subjects_of_type(str(OWL.SymmetricProperty)):
        if isinstance(s, ox.NamedNode):
            ax.inverse.add((s.value, s.value))
    for s in r.subjects_of_type(str(OWL.TransitiveProperty)):
        if isinstance(s, ox.NamedNode):
            ax.transitive.add(s.value)
    for s in r.subjects_of_type(str(OWL.IrreflexiveProperty)):
        if isinstance(s, ox.NamedNode):
            ax.irreflexive.add(s.value)
    for s in r.subjects_of_type(str(OWL.AsymmetricProperty)):
        if isinstance(s, ox.NamedNode):
            ax.asymmetric.add(s.value)
    for s, o in r.pairs(str(OWL.propertyChainAxiom)):
        steps: list[tuple[str, bool]] = []
        for x in r.rdf_list(o):
            if isinstance(x, ox.NamedNode):
                steps.append((x.value, False))
                continue
            inv = r.objects(x, str(OWL.inverseOf)) if isinstance(x, ox.BlankNode) else []
            if inv and isinstance(inv[0], ox.NamedNode):
                steps.append((inv[0].value, True))
            else:
                steps = []
                break
        if isinstance(s, ox.NamedNode) and steps:
            ax.chains.append((s.value, tuple(steps)))
    for s, o in r.pairs(str(RDFS.domain)):
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            ax.domain.add((s.value, o.value))
    for s, o in r.pairs(str(RDFS.range)):
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            ax.range.add((s.value, o.value))
    for s, o in r.pairs(str(OWL.disjointWith)):
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            ax.disjoint.add((s.value, o.value))
    for s in r.subjects_of_type(str(OWL.AllDisjointClasses)):
        members = [m for lst in r.objects(s, str(OWL.members)) for m in r.rdf_list(lst)]
        for a, b in itertools.combinations(members, 2):
            if isinstance(a, ox.NamedNode) and isinstance(b, ox.NamedNode):
                ax.disjoint.add((a.value, b.value))
    return ax


def _closure(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    succ: dict[str, set[str]] = {}
    for a, b in pairs:
        succ.setdefault(a, set()).add(b)
    out: set[tuple[str, str]] = set()
    for start in succ:
        stack, seen = list(succ[start]), set()
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            stack += succ.get(n, ())
        out |= {(start, n) for n in seen if n != start}
    return out


_DATATYPE_NS = ("http://www.w3.org/2001/XMLSchema#",)
_SKIP_CLASSES = {str(OWL.Thing), str(RDFS.Resource), str(RDFS.Literal)}


def _values(pairs: set[tuple[str, str]]) -> str:
    return " ".join(f"(<{a}> <{b}>)" for a, b in sorted(pairs))


def compile_rules(ax: Axioms) -> list[tuple[str, str]]:
    """SPARQL updates (name, text) implementing the RL rules for these axioms."""
    ins = f"INSERT {{ GRAPH <{INFERRED}> {{ %s }} }} WHERE {{ %s FILTER NOT EXISTS {{ GRAPH ?any {{ %s }} }} }}"
    rules: list[tuple[str, str]] = []
    sub_class = {(a, b) for a, b in _closure(ax.sub_class) if b not in _SKIP_CLASSES}
    if sub_class:
        rules.append(
            (
                "cax-sco",
                ins
                % (
                    "?x a ?d",
                    f"VALUES (?c ?d) {{ {_values(sub_class)} }} GRAPH ?g {{ ?x a ?c }}",
                    "?x a ?d",
                ),
            )
        )
    sub_prop = _closure(ax.sub_prop)
    if sub_prop:
        rules.append(
            (
                "prp-spo1",
                ins
                % (
                    "?x ?q ?y",
                    f"VALUES (?p ?q) {{ {_values(sub_prop)} }} GRAPH ?g {{ ?x ?p ?y }}",
                    "?x ?q ?y",
                ),
            )
        )
    if ax.inverse:
        rules.append(
            (
                "prp-inv",
                ins
                % (
                    "?y ?q ?x",
                    f"VALUES (?p ?q) {{ {_values(ax.inverse)} }} GRAPH ?g {{ ?x ?p ?y }} FILTER(!isLiteral(?y))",
                    "?y ?q ?x",
                ),
            )
        )
    for p in sorted(ax.transitive):
        rules.append(
            (
                f"prp-trp {p}",
                ins
                % (
                    f"?x <{p}> ?z",
                    f"GRAPH ?g1 {{ ?x <{p}> ?y }} GRAPH ?g2 {{ ?y <{p}> ?z }}",
                    f"?x <{p}> ?z",
                ),
            )
        )
    for prop, steps in ax.chains:
        c = _Counter()
        nodes = ["?x"] + [c.var("n") for _ in steps[:-1]] + ["?z"]
        body = " ".join(
            _t(nodes[i + 1], f"<{p}>", nodes[i], c)
            if inverse
            else _t(nodes[i], f"<{p}>", nodes[i + 1], c)
            for i, (p, inverse) in enumerate(steps)
        )
        rules.append((f"prp-spo2 {prop}", ins % (f"?x <{prop}> ?z", body, f"?x <{prop}> ?z")))
    dom = {(p, c) for p, c in ax.domain if c not in _SKIP_CLASSES}
    if dom:
        rules.append(
            (
                "prp-dom",
                ins
                % (
                    "?x a ?c",
                    f"VALUES (?p ?c) {{ {_values(dom)} }} GRAPH ?g {{ ?x ?p ?y }}",
                    "?x a ?c",
                ),
            )
        )
    rng = {
        (p, c)
        for p, c in ax.range
        if c not in _SKIP_CLASSES
        and not c.startswith(_DATATYPE_NS)
        and c != str(RDF.langString)
        and not c.startswith("http://www.opengis.net/ont/geosparql#wkt")
    }
    if rng:
        rules.append(
            (
                "prp-rng",
                ins
                % (
                    "?y a ?c",
                    f"VALUES (?p ?c) {{ {_values(rng)} }} GRAPH ?g {{ ?x ?p ?y }} FILTER(!isLiteral(?y))",
                    "?y a ?c",
                ),
            )
        )
    for i, (expr, cls) in enumerate(ax.sufficient):
        cond = condition(expr, "?x", _Counter())
        if cond is not None:
            rules.append((f"cls-suff {cls} #{i}", ins % (f"?x a <{cls}>", cond, f"?x a <{cls}>")))
    for i, (cls, expr) in enumerate(ax.necessary):
        for j, tmpl in enumerate(consequences(expr, "?x")):
            rules.append(
                (f"cls-nec {cls} #{i}.{j}", ins % (tmpl, f"GRAPH ?g {{ ?x a <{cls}> }}", tmpl))
            )
    return rules


def consistency_checks(ax: Axioms) -> list[tuple[str, str]]:
    """SELECT queries (name, text) whose rows are inconsistencies."""
    checks = []
    dis = ax.disjoint | {(b, a) for a, b in ax.disjoint}
    if dis:
        checks.append(
            (
                "cax-dw: an individual is an instance of two disjoint classes",
                f"SELECT DISTINCT ?x ?c ?d WHERE {{ VALUES (?c ?d) {{ {_values(dis)} }} "
                "GRAPH ?g1 { ?x a ?c } GRAPH ?g2 { ?x a ?d } FILTER(STR(?c) < STR(?d)) } ORDER BY ?x",
            )
        )
    for p in sorted(ax.irreflexive):
        checks.append(
            (
                f"prp-irp: <{p}> is irreflexive but relates a node to itself",
                f"SELECT DISTINCT ?x WHERE {{ GRAPH ?g {{ ?x <{p}> ?x }} }} ORDER BY ?x",
            )
        )
    for p in sorted(ax.asymmetric):
        checks.append(
            (
                f"prp-asyp: <{p}> is asymmetric but holds both ways",
                f"SELECT DISTINCT ?x ?y WHERE {{ GRAPH ?g1 {{ ?x <{p}> ?y }} GRAPH ?g2 {{ ?y <{p}> ?x }} }} ORDER BY ?x",
            )
        )
    checks.append(
        (
            "cls-nothing2: an individual is an instance of owl:Nothing",
            f"SELECT DISTINCT ?x WHERE {{ GRAPH ?g {{ ?x a <{OWL.Nothing}> }} }} ORDER BY ?x",
        )
    )
    return checks


@dataclass
class RLReport:
    """What one materialisation did.

    ``changed_predicates`` and ``changed_classes`` name the predicates (and the
    classes of ``rdf:type`` triples) of everything it added, so that validation
    can tell which shapes the new inferences touch.
    """

    inferred: int
    rounds: int
    rules: int
    custom_rules: int
    inconsistencies: list[str]
    incremental: bool = False
    changed_predicates: set[str] = field(default_factory=set)
    changed_classes: set[str] = field(default_factory=set)
    #: the working graphs left in the store (``keep_work_graphs``), for the caller to drop
    work_graphs: list[str] = field(default_factory=list)


def load_custom_rules(rule_dirs: list[Path]) -> list[tuple[Path, str, str]]:
    """``(path, target graph, CONSTRUCT text)`` for every ``*.rq`` rule file."""
    out = []
    for d in rule_dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.rq")):
            text = p.read_text(encoding="utf-8")
            m = _HEADER_RE.search(text)
            out.append((p, m.group(1) if m else "inferred", text))
    return out


# --- semi-naive evaluation ----------------------------------------------------

#: Working graphs of the semi-naive loop: the triples new in the previous round,
#: and those found in this one. Both are empty outside :func:`materialise`.
DELTA = str(graph_iri("_delta"))
NEXT = str(graph_iri("_next"))
_ATOM_RE = re.compile(r"GRAPH \?\w+ \{")
_NOT_EXISTS = " FILTER NOT EXISTS { GRAPH ?any {"


@dataclass
class CompiledRule:
    """One compiled RL rule: its full text and one semi-naive variant per body atom.

    Variant ``i`` reads its ``i``-th body atom from the delta graph (the triples
    new in the previous round) and the others from every graph, so that a round
    joins only what is new: a derivation that uses no new triple was already
    made in an earlier round.
    """

    name: str
    full: str
    variants: list[str]
    template: str = ""

    def construct(self, text: str) -> str:
        """One of the texts as a ``CONSTRUCT`` query (for the bulk writer)."""
        return f"CONSTRUCT {{ {self.template} }} " + text[text.index(" WHERE {") + 1 :]

    def candidates(self, text: str) -> str:
        """One of the texts as a ``CONSTRUCT`` of every derivation, old or new.

        Without the rule's ``FILTER NOT EXISTS`` (which Oxigraph evaluates
        once per row, up to 50x slower than the join itself on a large delta);
        :func:`materialise` keeps the triples the store does not hold yet.
        """
        start = text.index(" WHERE {") + 1
        return f"CONSTRUCT {{ {self.template} }} {text[start : text.index(_NOT_EXISTS)]} }}"


def semi_naive(name: str, text: str) -> CompiledRule:
    """Turn one compiled ``INSERT ... WHERE`` rule into its semi-naive form."""
    head = f"INSERT {{ GRAPH <{INFERRED}> {{ "
    assert text.startswith(head), name
    template = text[len(head) : text.index(" } }", len(head))]
    text = text.replace(
        head, f"INSERT {{ GRAPH <{NEXT}> {{ {template} }} GRAPH <{INFERRED}> {{ ", 1
    )
    cut = text.index(_NOT_EXISTS)
    body, tail = text[:cut], text[cut:]
    atoms = list(_ATOM_RE.finditer(body))
    variants = [body[: m.start()] + f"GRAPH <{DELTA}> {{" + body[m.end() :] + tail for m in atoms]
    return CompiledRule(name, text, variants, template)


@dataclass
class CustomRule:
    """A SPARQL ``CONSTRUCT`` rule and what it reads.

    ``predicates`` and ``classes`` are the IRIs its graph patterns match
    (``None``: a variable predicate or class, so it may read anything). A round
    re-runs the rule only when the previous round added a triple it can read;
    the rule itself is evaluated whole, because its aggregates (``COUNT``,
    ``HAVING``) cannot be split by body atom.
    """

    path: Path
    graph: str
    text: str
    predicates: frozenset[str] | None
    classes: frozenset[str] | None

    def reads(self, predicates: set[str], classes: set[str]) -> bool:
        if self.predicates is None or self.classes is None:
            return True
        if predicates & self.predicates:
            return True
        return str(RDF.type) in predicates and bool(classes & self.classes)


def _footprint(text: str, path: Path) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """The predicates and ``rdf:type`` classes a query's patterns match (from its parse)."""
    from rdflib.paths import Path as RPath
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.term import URIRef, Variable

    try:
        algebra = prepareQuery(text).algebra
    except Exception as e:  # noqa: BLE001 - rdflib raises pyparsing and its own errors
        raise ReasonerError(f"{path}: malformed rule: {e}") from None
    preds: set[str] = set()
    classes: set[str] = set()
    anything = False

    def path_iris(p: object) -> None:
        nonlocal anything
        if isinstance(p, URIRef):
            preds.add(str(p))
        elif isinstance(p, Variable):
            anything = True
        elif isinstance(p, RPath):
            for attr in ("args", "arg", "path"):
                sub = getattr(p, attr, None)
                if isinstance(sub, list):
                    for x in sub:
                        path_iris(x)
                elif sub is not None:
                    path_iris(sub)

    def walk(node: object, seen: set[int]) -> None:
        nonlocal anything
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, dict):
            if getattr(node, "name", None) == "BGP":
                for _s, p, o in node.get("triples", []):
                    path_iris(p)
                    if p == URIRef(str(RDF.type)):
                        if isinstance(o, URIRef):
                            classes.add(str(o))
                        else:
                            anything = True
            for v in node.values():
                walk(v, seen)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v, seen)

    walk(algebra, set())
    if anything:
        return None, None
    return frozenset(preds), frozenset(classes)


def read_custom_rules(rule_dirs: list[Path]) -> list[CustomRule]:
    """The custom rules of ``rule_dirs`` with what each reads."""
    out = []
    for path, graph, text in load_custom_rules(rule_dirs):
        preds, classes = _footprint(text, path)
        out.append(CustomRule(path, graph, text, preds, classes))
    return out


def _count(store: ox.Store, graph: str) -> int:
    res = store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(res, ox.QuerySolutions)
    n = next(iter(res))["n"]
    assert isinstance(n, ox.Literal)
    return int(n.value)


def delta_signature(store: ox.Store, graph: str) -> tuple[set[str], set[str]]:
    """The predicates, and the classes of ``rdf:type`` triples, in one graph."""
    preds = {
        s["p"].value  # type: ignore[union-attr]
        for s in store.query(f"SELECT DISTINCT ?p {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")  # type: ignore[union-attr]
    }
    classes = {
        s["c"].value  # type: ignore[union-attr]
        for s in store.query(  # type: ignore[union-attr]
            f"SELECT DISTINCT ?c {{ GRAPH <{graph}> {{ ?s a ?c FILTER(isIRI(?c)) }} }}"
        )
    }
    return preds, classes


def _work_graph(r: int) -> str:
    """With ``keep_work_graphs``: the graph of the triples new in round ``r`` (0: the delta given)."""
    return DELTA if r == 0 else f"{DELTA}-{r}"


def _holds(store: ox.Store, t: ox.Triple) -> bool:
    """Whether any graph of ``store`` holds the triple ``t``."""
    return next(iter(store.quads_for_pattern(t.subject, t.predicate, t.object)), None) is not None


def materialise(
    store: OxigraphStore,
    rule_dirs: list[Path] | None = None,
    *,
    max_rounds: int = 50,
    progress: Callable[[int, int], None] | None = None,
    delta: Iterable[ox.Triple | ox.Quad] | None = None,
    bulk: bool = False,
    keep_work_graphs: bool = False,
) -> RLReport:
    """Run the RL rules and the custom rules to a fixpoint, into the ``inferred`` graph.

    Evaluation is semi-naive: the first round runs every rule in full, each later
    round joins only the triples new in the round before (see
    :class:`CompiledRule`), and a custom rule re-runs only when a triple it reads
    was added (see :class:`CustomRule`).

    Without ``delta``, the ``inferred`` graph is cleared first, so a rebuild never
    keeps stale inferences. With ``delta`` (triples just added to the asserted
    graphs, to a store whose inferences were complete before), nothing is
    cleared and the first round is already a delta round: the result is the
    same as a full run, because every rule is monotone. Removing triples is not
    incremental: run without ``delta``. Returns counts and the inconsistencies.

    With ``bulk`` the rules of a round run as read-only ``CONSTRUCT`` queries
    and their results are written with Oxigraph's bulk loader, bypassing
    transactions: much faster on an on-disk store, and the same result.

    With ``keep_work_graphs`` every round writes its new triples into a working
    graph of its own and none is cleared: they are named in the report's
    ``work_graphs``, for the caller to leave out when it writes the store out.
    On RocksDB, clearing a graph is one transaction held in memory: clearing the
    first round's delta at 10M triples ran past 12 minutes and 6.6 GB.
    """
    sx = store.ox
    for g in (DELTA, NEXT):
        sx.clear_graph(ox.NamedNode(g))
    incremental = delta is not None
    if not incremental:
        store.clear("inferred")
    ax = read_axioms(sx)
    rules = [semi_naive(n, t) for n, t in compile_rules(ax)]
    custom = read_custom_rules(rule_dirs or [])
    changed_p: set[str] = set()
    changed_c: set[str] = set()
    if delta is not None:
        d = ox.NamedNode(DELTA)
        sx.extend(ox.Quad(t.subject, t.predicate, t.object, d) for t in delta)
        if _count(sx, DELTA) == 0:
            return RLReport(_count(sx, INFERRED), 0, len(rules), len(custom), [], True)
    rounds = 0
    full_round = not incremental
    # the two working graphs swap roles after each round (the one just filled is
    # the next round's delta, the one just read is cleared and filled next):
    # copying one into the other was most of a round's time on disk
    cur, upcoming = DELTA, _work_graph(1) if keep_work_graphs else NEXT
    while True:
        rounds += 1
        if rounds > max_rounds:
            raise ReasonerError(
                f"RL materialisation did not reach a fixpoint in {max_rounds} rounds"
            )
        preds, classes = (set(), set()) if full_round else delta_signature(sx, cur)
        nxt = ox.NamedNode(upcoming)
        inf = ox.NamedNode(INFERRED)
        write = sx.bulk_extend if bulk else sx.extend
        for rule in rules:
            if full_round and bulk:
                res = sx.query(rule.construct(rule.full))
                assert isinstance(res, ox.QueryTriples)
                # streamed from the query's snapshot into the bulk loader
                sx.bulk_extend(
                    ox.Quad(t.subject, t.predicate, t.object, g) for t in res for g in (inf, nxt)
                )
            elif full_round:
                sx.update(rule.full.replace(f"<{NEXT}>", f"<{upcoming}>"))
            else:
                for text in rule.variants:
                    text = text.replace(f"<{DELTA}>", f"<{cur}>")
                    if bulk:
                        # on disk, Oxigraph's NOT EXISTS (a lookup per row, in
                        # Rust) is several times faster than a lookup per
                        # triple from Python (measured at 1M: 0.4 s against 5 s
                        # for 132k derivations)
                        res = sx.query(rule.construct(text))
                        assert isinstance(res, ox.QueryTriples)
                        new = list(set(res))
                    else:
                        # in memory, every derivation from the new triples, then
                        # those the store does not hold yet, each once (the next
                        # rule of the round sees them, as with the INSERT form);
                        # measured on the shipped graph, 3x faster than a NOT
                        # EXISTS per row
                        res = sx.query(rule.candidates(text))
                        assert isinstance(res, ox.QueryTriples)
                        new = [t for t in set(res) if not _holds(sx, t)]
                    if new:
                        write(
                            ox.Quad(t.subject, t.predicate, t.object, g)
                            for t in new
                            for g in (inf, nxt)
                        )
        for crule in custom:
            if not full_round and not crule.reads(preds, classes):
                continue
            try:
                res = sx.query(crule.text, use_default_graph_as_union=True)
            except SyntaxError as e:
                raise ReasonerError(f"{crule.path}: malformed rule: {e}") from None
            if not isinstance(res, ox.QueryTriples):
                raise ReasonerError(f"{crule.path}: a rule must be a CONSTRUCT query")
            target = ox.NamedNode(str(graph_iri(crule.graph)))
            new = [t for t in set(res) if not _holds(sx, t)]
            if new:
                write(ox.Quad(t.subject, t.predicate, t.object, target) for t in new)
                write(ox.Quad(t.subject, t.predicate, t.object, nxt) for t in new)
        full_round = False
        if keep_work_graphs:
            cur, upcoming = upcoming, _work_graph(rounds + 1)
        else:
            sx.clear_graph(ox.NamedNode(cur))
            cur, upcoming = upcoming, cur
        found = _count(sx, cur)
        if progress is not None:
            progress(rounds, found)
        if found == 0:
            break
        p, c = delta_signature(sx, cur)
        changed_p |= p
        changed_c |= c
    if not keep_work_graphs:
        for g in (DELTA, NEXT):
            sx.clear_graph(ox.NamedNode(g))
    problems: list[str] = []
    for name, text in consistency_checks(ax):
        check = store.query(text)
        assert isinstance(check, SelectResult)
        for row in check.rows:
            problems.append(f"{name}: " + ", ".join(f"<{t}>" for t in row if t is not None))
    return RLReport(
        _count(sx, INFERRED),
        rounds,
        len(rules),
        len(custom),
        problems,
        incremental,
        changed_p,
        changed_c,
        [_work_graph(r) for r in range(rounds + 1)] if keep_work_graphs else [],
    )


# --- OWL 2 DL with HermiT ---------------------------------------------------


@dataclass
class DLReport:
    """The result of a HermiT run."""

    consistent: bool
    unsatisfiable: list[str]
    explanation: str
    mapped_literals: int


_DATE_TYPES = {
    "http://www.w3.org/2001/XMLSchema#date",
    "http://www.w3.org/2001/XMLSchema#gYear",
    "http://www.w3.org/2001/XMLSchema#gYearMonth",
    "http://www.w3.org/2001/XMLSchema#anyURI",
    "http://www.opengis.net/ont/geosparql#wktLiteral",
}


def java_available() -> bool:
    """Whether a ``java`` executable is on the PATH."""
    return shutil.which("java") is not None


def check_dl(files: list[Path], *, timeout_note: str = "") -> DLReport:
    """Run HermiT (through owlready2) on the given RDF files.

    Literals whose datatypes HermiT rejects (``xsd:date``, ``xsd:gYear``...) are
    turned into plain strings on the reasoner's copy, never in the sources.
    Raises :class:`ReasonerError` when Java is missing or the reasoner crashes.
    """
    require("owlready2", "dl", "the OWL 2 DL check (citykg reason --dl)")
    if not java_available():
        raise ReasonerError(
            "the OWL 2 DL check needs Java (HermiT runs on the JVM); "
            "install a JRE (Debian: default-jre-headless); the RL step runs without it"
        )
    import rdflib

    from .store import parse_file
    from .terms import triple_to_rdflib

    g = rdflib.Graph()
    mapped = 0
    for f in files:
        for t in parse_file(f):
            s, p, o = triple_to_rdflib(t)
            if (
                isinstance(o, rdflib.Literal)
                and o.datatype is not None
                and str(o.datatype) in _DATE_TYPES
            ):
                o = rdflib.Literal(str(o))
                mapped += 1
            g.add((s, p, o))
    import owlready2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "citykg-dl.owl"
        g.serialize(path, format="xml")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as e:
            return DLReport(False, [], str(e) or "HermiT: the ontology is inconsistent", mapped)
        except Exception as e:  # noqa: BLE001 - owlready2 raises plain exceptions for Java failures
            raise ReasonerError(
                f"HermiT failed: {str(e).strip().splitlines()[-1] if str(e).strip() else e}"
            ) from None
        unsat = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
    return DLReport(True, unsat, timeout_note, mapped)
