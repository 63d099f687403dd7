"""SHACL validation of the built graph, and reports people can act on.

The shapes in ``shapes/`` are run with pySHACL over the union of the data,
links, enrichment and inferred graphs (with the ontology, so that class
targets follow ``rdfs:subClassOf``). Every result is tied back to the file and
line where its focus node is defined, and printed on one line that names the
file, the entity, the property, the value and what was expected.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

from .loader import SourceIndex, rdf_files
from .namespaces import PREFIXES, RDF, RDFS, SH, SKOS
from .store import parse_file
from .terms import triple_to_rdflib

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass
class Result:
    """One validation result, with everything needed to find and fix the record."""

    severity: str
    shape: str
    component: str
    focus: str
    focus_label: str
    path: str
    value: str
    message: str
    file: str | None = None
    line: int | None = None

    def location(self) -> str:
        if self.file is None:
            return "(generated)"
        return f"{self.file}:{self.line}" if self.line else self.file

    def one_line(self) -> str:
        """File:line: severity: entity (label) property = value: message [shape]."""
        who = f"<{self.focus}>" + (f" ({self.focus_label})" if self.focus_label else "")
        what = f" {self.path}" if self.path else ""
        val = f" = {self.value}" if self.value else ""
        return (
            f"{self.location()}: {self.severity}: {who}{what}{val}: {self.message} [{self.shape}]"
        )


@dataclass
class Report:
    """The outcome of a validation run."""

    results: list[Result] = field(default_factory=list)
    graph: rdflib.Graph | None = None
    triples_validated: int = 0

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def violations(self) -> int:
        return self.count("Violation")

    @property
    def warnings(self) -> int:
        return self.count("Warning")

    @property
    def infos(self) -> int:
        return self.count("Info")

    def conforms(self, strict: bool = False) -> bool:
        """No violations (and, when ``strict``, no warnings either)."""
        return self.violations == 0 and (not strict or self.warnings == 0)

    def sorted_results(self) -> list[Result]:
        return sorted(
            self.results,
            key=lambda r: (
                SEVERITY_ORDER.get(r.severity, 9),
                r.shape,
                r.file or "~",
                r.line or 0,
                r.focus,
                r.path,
                r.value,
            ),
        )

    def summary(self) -> str:
        return (
            f"{self.violations} violation(s), {self.warnings} warning(s), "
            f"{self.infos} info(s) on {self.triples_validated} triples"
        )

    def to_text(self, *, max_per_shape: int | None = None) -> str:
        """Grouped by severity, then shape; one line per result."""
        out: list[str] = []
        current: tuple[str, str] | None = None
        shown = 0
        hidden = 0
        for r in self.sorted_results():
            key = (r.severity, r.shape)
            if key != current:
                if hidden:
                    out.append(f"    … and {hidden} more")
                current, shown, hidden = key, 0, 0
                n = sum(1 for x in self.results if (x.severity, x.shape) == key)
                out.append(f"{r.severity} — {r.shape} ({n})")
            if max_per_shape is not None and shown >= max_per_shape:
                hidden += 1
                continue
            shown += 1
            out.append("    " + r.one_line())
        if hidden:
            out.append(f"    … and {hidden} more")
        out.append(("Conforms" if self.conforms() else "Does not conform") + ": " + self.summary())
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        doc = {
            "conforms": self.conforms(),
            "violations": self.violations,
            "warnings": self.warnings,
            "infos": self.infos,
            "triples": self.triples_validated,
            "results": [asdict(r) for r in self.sorted_results()],
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"

    def to_turtle(self) -> str:
        """The standard SHACL validation report graph, for SHACL tools."""
        g = self.graph if self.graph is not None else rdflib.Graph()
        for p, ns in PREFIXES.items():
            g.bind(p, ns, replace=True)
        return g.serialize(format="turtle")


def load_shapes(shapes_dirs: Iterable[Path]) -> rdflib.Graph:
    """All shapes files, parsed strictly, as one rdflib graph."""
    g = rdflib.Graph()
    for d in shapes_dirs:
        for f in rdf_files(d):
            for t in parse_file(f):
                g.add(triple_to_rdflib(t))
    return g


def _short(node: Node | None, g: rdflib.Graph | None = None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        for p, ns in PREFIXES.items():
            if str(node).startswith(ns) and "/" not in str(node)[len(ns) :]:
                return f"{p}:{str(node)[len(ns) :]}"
        return f"<{node}>"
    if isinstance(node, Literal):
        return str(node.n3())
    if isinstance(node, BNode) and g is not None:
        # a path expression such as [ sh:inversePath ckg:x ]
        for p in (SH.inversePath, SH.alternativePath, SH.zeroOrMorePath, SH.oneOrMorePath):
            o = g.value(node, p)
            if o is not None:
                return f"{_short(p)}({_short(o, g)})"
        return "[]"
    return str(node)


def _label(data: rdflib.Graph, node: Node) -> str:
    best = ""
    for p in (RDFS.label, SKOS.prefLabel):
        for o in data.objects(node, p):  # type: ignore[arg-type]
            if isinstance(o, Literal):
                if o.language == "en":
                    return str(o)
                best = best or str(o)
    return best


#: A function giving a node's (English) label, for reports.
Labeler = Callable[[Node], str]


def store_labeler(store: ox.Store, graphs: Sequence[ox.NamedNode] | None = None) -> Labeler:
    """Labels looked up in an Oxigraph store (English first, then any)."""
    label_p = [ox.NamedNode(str(RDFS.label)), ox.NamedNode(str(SKOS.prefLabel))]

    def label(node: Node) -> str:
        if isinstance(node, URIRef):
            subject: ox.NamedNode | ox.BlankNode = ox.NamedNode(str(node))
        elif isinstance(node, BNode):
            subject = ox.BlankNode(str(node))
        else:
            return ""
        best = ""
        for p in label_p:
            targets: Sequence[ox.NamedNode | None] = list(graphs) if graphs else [None]
            for g in targets:
                for q in store.quads_for_pattern(subject, p, None, g):
                    o = q.object
                    if isinstance(o, ox.Literal):
                        if o.language == "en":
                            return o.value
                        best = best or o.value
        return best

    return label


def results_from_graph(
    report: rdflib.Graph,
    data: rdflib.Graph | Labeler,
    index: SourceIndex | None,
    shapes: rdflib.Graph,
) -> list[Result]:
    """Turn a SHACL report graph into :class:`Result` rows.

    ``data`` is the validated graph, or a function that gives a node's label.
    A SPARQL-based result whose value is its focus node (SHACL's default when
    the query binds no ``?value``) shows no value.
    """
    labeler: Labeler = data if callable(data) else (lambda n: _label(data, n))
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        sev = report.value(r, SH.resultSeverity)
        shape = report.value(r, SH.sourceShape)
        focus = report.value(r, SH.focusNode)
        msgs = [str(m) for m in report.objects(r, SH.resultMessage)]
        en = [
            str(m)
            for m in report.objects(r, SH.resultMessage)
            if isinstance(m, Literal) and m.language in (None, "en")
        ]
        shape_name = _short(shape, shapes)
        if isinstance(shape, BNode):
            # a property shape without a name: name it by its node shape and path
            parent = next(iter(shapes.subjects(SH.property, shape)), None)
            path = shapes.value(shape, SH.path)
            shape_name = (
                f"{_short(parent)}/{_short(path, shapes)}" if parent is not None else shape_name
            )
        where = index.where(str(focus)) if index is not None and focus is not None else None
        value = report.value(r, SH.value)
        out.append(
            Result(
                severity=str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation",
                shape=shape_name,
                component=_short(report.value(r, SH.sourceConstraintComponent)),
                focus=str(focus) if focus is not None else "",
                focus_label=labeler(focus) if focus is not None else "",
                path=_short(report.value(r, SH.resultPath), report),
                value="" if value is None or value == focus else _short(value),
                message=(en or msgs or ["(no message)"])[0],
                file=where[0] if where else None,
                line=where[1] if where else None,
            )
        )
    return out


def validate_graph(
    data: rdflib.Graph, shapes: rdflib.Graph, index: SourceIndex | None = None
) -> Report:
    """Validate an rdflib graph against a shapes graph with pySHACL."""
    import pyshacl

    _conforms, report_graph, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference=None,
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )
    if not isinstance(report_graph, rdflib.Graph):
        from .errors import CitykgError

        raise CitykgError(f"pySHACL could not validate: {_text}")
    results = results_from_graph(report_graph, data, index, shapes)
    return Report(results, report_graph, len(data))


def validate_store(
    store: ox.Store,
    shapes: rdflib.Graph,
    index: SourceIndex | None = None,
    graphs: Sequence[ox.NamedNode] | None = None,
) -> Report:
    """Validate named graphs of an Oxigraph store (all by default) with the SPARQL engine.

    The results equal pySHACL's on the same input (see :mod:`citykg.shacl_sparql`);
    raises :class:`citykg.shacl_sparql.UnsupportedShapeError` for a shape it
    cannot compile.
    """
    from .shacl_sparql import report_graph
    from .shacl_sparql import validate_store as run_store

    raw = run_store(store, shapes, graphs)
    report = report_graph(raw)
    results = results_from_graph(report, store_labeler(store, graphs), index, shapes)
    if graphs is None:
        size = len(store)
    else:
        size = sum(1 for g in graphs for _ in store.quads_for_pattern(None, None, None, g))
    return Report(results, report, size)


def relative_paths(report: Report, root: Path) -> Report:
    """Show files relative to ``root`` where they are below it."""
    for r in report.results:
        if r.file:
            with contextlib.suppress(ValueError):
                r.file = str(Path(r.file).resolve().relative_to(root.resolve()))
    return report
