"""HTML documentation of the ontology: pyLODE, a class-hierarchy diagram, the concepts.

:func:`build_docs` writes ``index.html`` (pyLODE's OntPub profile) and
``class-hierarchy.svg`` into a folder (``dist/docs`` by default on the command
line). What pyLODE leaves out is added to its page:

- the class hierarchy, as an SVG drawn here (an indented tree, no Graphviz),
  inlined in the page and also written beside it;
- the SKOS concept schemes and their concepts, which OntPub does not document.

Every ``ckg:`` term's HTML anchor is its IRI fragment (``index.html#City``),
so ``https://w3id.org/citykg/ontology#City`` can redirect to it.

Only the ``ckg:`` terms and the header are documented: the declarations of
reused terms (``org:Membership a owl:Class .``) are left out, so pyLODE shows
them as links and does not take their names for anchors.

>>> from rdflib import Graph
>>> from citykg.resources import resource_dir
>>> g = Graph().parse(resource_dir("ontology") / "citykg.ttl")
>>> 'data-iri="https://w3id.org/citykg/ontology#City"' in class_hierarchy_svg(g)
True
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .errors import CitykgError
from .extras import require_extra
from .files import write_atomic
from .loader import rdf_files
from .resources import resource_dir
from .store import parse_file

NAMESPACE = "https://w3id.org/citykg/ontology#"
ONTOLOGY = "https://w3id.org/citykg/ontology"

# layout of the class-hierarchy diagram, in pixels
_ROW = 26
_INDENT = 22
_BOX_H = 20
_CHAR_W = 6.8
_MARGIN = 12


class DocsError(CitykgError):
    """The documentation could not be generated (pyLODE missing or failing)."""


@dataclass(frozen=True)
class DocsResult:
    """What :func:`build_docs` wrote."""

    index: Path
    diagram: Path
    classes: int
    properties: int
    concepts: int


# --- reading the ontology ------------------------------------------------------


def _own(node: object) -> TypeGuard[URIRef]:
    return isinstance(node, URIRef) and str(node).startswith(NAMESPACE)


def _fragment(iri: URIRef) -> str:
    return str(iri)[len(NAMESPACE) :]


def _label(g: Graph, node: URIRef) -> str:
    for pred in (RDFS.label, SKOS.prefLabel):
        labels = [o for o in g.objects(node, pred) if isinstance(o, Literal)]
        english = [o for o in labels if (o.language or "").startswith("en")]
        if english or labels:
            return str(sorted(english or labels)[0])
    return _fragment(node) if _own(node) else str(node)


def _english(g: Graph, node: URIRef, pred: URIRef) -> list[str]:
    values = [o for o in g.objects(node, pred) if isinstance(o, Literal)]
    return sorted(str(o) for o in values if (o.language or "en").startswith("en"))


def load_ontology(files: Sequence[Path] | None = None) -> Graph:
    """The ontology as an rdflib graph; each file parsed strictly first."""
    files = list(files) if files is not None else rdf_files(resource_dir("ontology"))
    g = Graph()
    for path in files:
        parse_file(path)  # a syntax error becomes a ParseError with file and line
        g.parse(path)
    return g


def own_classes(g: Graph) -> list[URIRef]:
    """The ``ckg:`` classes, sorted by IRI."""
    return sorted({s for s in g.subjects(RDF.type, OWL.Class) if _own(s)}, key=str)


def own_terms(g: Graph) -> list[URIRef]:
    """Every declared ``ckg:`` term, sorted by IRI."""
    return sorted({s for s in g.subjects(RDF.type, None) if _own(s)}, key=str)


def superclasses(g: Graph, cls: URIRef) -> list[URIRef]:
    """Named superclasses: ``rdfs:subClassOf`` and the named parts of a definition.

    For a defined class (``owl:equivalentClass`` an ``owl:intersectionOf``) the
    named classes of the intersection count as its superclasses.
    """
    supers = {o for o in g.objects(cls, RDFS.subClassOf) if isinstance(o, URIRef)}
    for eq in g.objects(cls, OWL.equivalentClass):
        if isinstance(eq, URIRef):
            supers.add(eq)
        for lst in g.objects(eq, OWL.intersectionOf):
            supers.update(m for m in Collection(g, lst) if isinstance(m, URIRef))
    supers.discard(cls)
    return sorted(supers, key=str)


def _is_defined(g: Graph, cls: URIRef) -> bool:
    return any(True for _ in g.objects(cls, OWL.equivalentClass))


def _short(g: Graph, iri: URIRef) -> str:
    try:
        return str(g.namespace_manager.qname(iri))
    except (ValueError, KeyError):
        return str(iri)


# --- the class-hierarchy diagram ------------------------------------------------


def class_hierarchy_svg(g: Graph, *, link_prefix: str = "#") -> str:
    """The ``ckg:`` class hierarchy as an SVG indented tree.

    Each class is a box linking to ``link_prefix + fragment`` and carrying its
    IRI in ``data-iri``. A class with several ``ckg:`` superclasses appears
    under each; its subclasses are drawn under the first appearance only.
    Reused superclasses of the top classes are named beside them.
    """
    classes = own_classes(g)
    known = set(classes)
    parents = {c: [p for p in superclasses(g, c) if p in known] for c in classes}
    children: dict[URIRef, list[URIRef]] = {c: [] for c in classes}
    for c, ps in parents.items():
        for p in ps:
            children[p].append(c)
    for kids in children.values():
        kids.sort(key=lambda k: _label(g, k).lower())
    roots = sorted((c for c in classes if not parents[c]), key=lambda k: _label(g, k).lower())

    rows: list[tuple[int, URIRef, bool, int | None]] = []  # depth, class, repeat, parent row
    drawn: set[URIRef] = set()

    def visit(c: URIRef, depth: int, parent_row: int | None, path: frozenset[URIRef]) -> None:
        repeat = c in drawn
        rows.append((depth, c, repeat, parent_row))
        me = len(rows) - 1
        if repeat:
            return
        drawn.add(c)
        for k in children[c]:
            if k not in path:
                visit(k, depth + 1, me, path | {k})

    for r in roots:
        visit(r, 0, None, frozenset({r}))
    for c in classes:  # a cycle of subclasses without a root still gets drawn
        if c not in drawn:
            visit(c, 0, None, frozenset({c}))

    parts: list[str] = []
    width = 0.0
    for i, (depth, c, repeat, parent_row) in enumerate(rows):
        x = _MARGIN + depth * _INDENT
        y = _MARGIN + i * _ROW
        text = _label(g, c) + ("  ≡" if _is_defined(g, c) else "")
        if repeat:
            others = [_label(g, p) for p in parents[c]]
            text += "  (also under " + ", ".join(others) + ")" if len(others) > 1 else ""
        box_w = len(text) * _CHAR_W + 14
        if parent_row is not None:
            px = _MARGIN + rows[parent_row][0] * _INDENT + 8
            py = _MARGIN + parent_row * _ROW + _BOX_H
            parts.append(f'<path class="edge" d="M{px} {py} V{y + _BOX_H / 2} H{x}"/>')
        iri = html.escape(str(c), quote=True)
        cls = "node repeat" if repeat else "node"
        parts.append(
            f'<a href="{html.escape(link_prefix + _fragment(c), quote=True)}" '
            f'class="{cls}" data-iri="{iri}"><title>{iri}</title>'
            f'<rect x="{x}" y="{y}" width="{box_w:.0f}" height="{_BOX_H}" rx="4"/>'
            f'<text x="{x + 7}" y="{y + 14}">{html.escape(text)}</text></a>'
        )
        end = x + box_w
        if depth == 0 and not repeat:
            ext = [_short(g, p) for p in superclasses(g, c) if not _own(p)]
            if ext:
                note = "⊑ " + ", ".join(ext)
                parts.append(
                    f'<text class="ext" x="{end + 8:.0f}" y="{y + 14}">{html.escape(note)}</text>'
                )
                end += 8 + len(note) * _CHAR_W
        width = max(width, end)
    w = int(width + _MARGIN)
    h = _MARGIN * 2 + len(rows) * _ROW
    style = (
        "text{font:12px sans-serif;fill:#222}"
        ".node rect{fill:#eef3fb;stroke:#4a6fa5}"
        ".node.repeat rect{fill:#fff;stroke-dasharray:3 2}"
        ".node:hover rect{fill:#d5e2f5}"
        ".edge{fill:none;stroke:#8a9bb5}"
        "text.ext{fill:#777;font-style:italic}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="ckg: class hierarchy">'
        f"<title>citykg class hierarchy</title><style>{style}</style>" + "".join(parts) + "</svg>\n"
    )


# --- the concepts ---------------------------------------------------------------

_CONCEPTS_TEMPLATE = """\
<div class="section" id="concepts">
<h2>Concept schemes and concepts</h2>
<p>The SKOS concepts of the ontology, by scheme. Each is an individual of its
scheme's class, with <code>rdfs:label</code> and <code>skos:prefLabel</code>.</p>
{% for scheme in schemes %}
<div class="property entity" id="{{ scheme.id }}">
<h3>{{ scheme.label }} <sup class="sup-c" title="SKOS concept scheme">cs</sup></h3>
<table>
<tr><th>IRI</th><td><code>{{ scheme.iri }}</code></td></tr>
{% for d in scheme.definitions %}<tr><th>Definition</th><td>{{ d }}</td></tr>{% endfor %}
<tr><th>Top concepts</th><td>{% for t in scheme.top %}<a href="#{{ t.id }}">{{ t.label }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
</table>
</div>
{% for c in scheme.concepts %}
<div class="property entity" id="{{ c.id }}">
<h3>{{ c.label }} <sup class="sup-c" title="SKOS concept">co</sup></h3>
<table>
<tr><th>IRI</th><td><code>{{ c.iri }}</code></td></tr>
{% for d in c.definitions %}<tr><th>Definition</th><td>{{ d }}</td></tr>{% endfor %}
{% for e in c.examples %}<tr><th>Example</th><td>{{ e }}</td></tr>{% endfor %}
{% for n in c.comments %}<tr><th>Comment</th><td>{{ n }}</td></tr>{% endfor %}
{% if c.alt %}<tr><th>Other names</th><td>{{ c.alt | join(", ") }}</td></tr>{% endif %}
{% if c.broader %}<tr><th>Broader</th><td>{% for b in c.broader %}<a href="#{{ b.id }}">{{ b.label }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
{% if c.narrower %}<tr><th>Narrower</th><td>{% for b in c.narrower %}<a href="#{{ b.id }}">{{ b.label }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>{% endif %}
</table>
</div>
{% endfor %}
{% endfor %}
</div>
"""

_HIERARCHY_TEMPLATE = """\
<div class="section" id="class-hierarchy">
<h2>Class hierarchy</h2>
<p>The ckg: classes by <code>rdfs:subClassOf</code> (defined classes, marked ≡, under
the named classes of their definition); a dashed box repeats a class that has
several superclasses. Each box links to the class; the diagram is also in
<a href="{{ svg_name }}">{{ svg_name }}</a>.</p>
<div style="overflow-x:auto">{{ svg | safe }}</div>
</div>
"""


def _concepts_context(g: Graph) -> list[dict[str, Any]]:
    def ref(n: URIRef) -> dict[str, str]:
        return {"id": _fragment(n) if _own(n) else str(n), "label": _label(g, n)}

    def by_label(nodes: Any) -> list[URIRef]:
        return sorted({n for n in nodes if isinstance(n, URIRef)}, key=lambda n: _label(g, n))

    schemes = []
    for s in by_label(x for x in g.subjects(RDF.type, SKOS.ConceptScheme) if _own(x)):
        concepts = by_label(c for c in g.subjects(SKOS.inScheme, s) if _own(c))
        schemes.append(
            {
                "id": _fragment(s),
                "iri": str(s),
                "label": _label(g, s),
                "definitions": _english(g, s, SKOS.definition),
                "top": [
                    ref(t)
                    for t in by_label(
                        set(g.objects(s, SKOS.hasTopConcept))
                        | set(g.subjects(SKOS.topConceptOf, s))
                    )
                ],
                "concepts": [
                    {
                        "id": _fragment(c),
                        "iri": str(c),
                        "label": _label(g, c),
                        "definitions": _english(g, c, SKOS.definition),
                        "examples": _english(g, c, SKOS.example),
                        "comments": _english(g, c, RDFS.comment),
                        "alt": _english(g, c, SKOS.altLabel),
                        "broader": [ref(b) for b in by_label(g.objects(c, SKOS.broader))],
                        "narrower": [
                            ref(b)
                            for b in by_label(
                                set(g.objects(c, SKOS.narrower)) | set(g.subjects(SKOS.broader, c))
                            )
                        ],
                    }
                    for c in concepts
                ],
            }
        )
    return schemes


# --- the page ----------------------------------------------------------------------


def _documented_graph(g: Graph) -> Graph:
    """The ``ckg:`` terms, the header and the blank nodes, without reused declarations.

    The concept schemes lose their ``skos:ConceptScheme`` type here: pyLODE would
    merge them into the ontology's header. They are documented in the concepts
    section instead.
    """
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns, override=True)
    for s, p, o in g:
        if isinstance(s, URIRef) and not (_own(s) or str(s) == ONTOLOGY):
            continue
        if p == RDF.type and o == SKOS.ConceptScheme:
            continue
        out.add((s, p, o))
    # pyLODE orders some blank-node members (owl:unionOf, owl:intersectionOf) by
    # their labels, which are random on every parse: give them canonical labels
    # and add the triples in sorted order so that the page is the same every time.
    from rdflib.compare import to_canonical_graph

    canonical = to_canonical_graph(out)
    stable = Graph()
    for prefix, ns in out.namespaces():
        stable.bind(prefix, ns, override=True)
    for t in sorted(canonical, key=lambda t: tuple(x.n3() for x in t)):
        stable.add(t)
    return stable


def _import_pylode() -> tuple[Any, type[Exception]]:
    """pyLODE's OntPub and error class, leaving the process's logging as it was.

    pyLODE 3.3.4 calls ``logging.basicConfig(level=DEBUG)`` when imported; the
    root logger's handlers and level are put back afterwards.
    """
    require_extra("docs", "the ontology documentation (citykg docs)")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        from pylode import OntPub  # type: ignore[import-untyped]
        from pylode.utils import PylodeError  # type: ignore[import-untyped]
    except ImportError as e:  # pyLODE 3.4.1's wheel fails here too
        raise DocsError(
            f"pyLODE cannot be imported ({e}); install it with `pip install pylode==3.3.4`"
        ) from None
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    _stable_intersperse()
    return OntPub, PylodeError


def _stable_intersperse() -> None:
    """Make pyLODE list the members of a union or intersection in a fixed order.

    pyLODE 3.3.4 collects them in a ``set`` of HTML elements (hashed by identity)
    and passes it to ``pylode.utils.intersperse``; sorting by the rendered HTML
    there makes the page the same on every run.
    """
    import pylode.utils as pu  # type: ignore[import-untyped]

    original = pu.intersperse
    if getattr(original, "_citykg_sorted", False):
        return

    def intersperse(lst: Any, sep: Any) -> Any:
        if isinstance(lst, set | frozenset):
            lst = sorted(lst, key=lambda e: e.render() if hasattr(e, "render") else str(e))
        return original(lst, sep)

    intersperse._citykg_sorted = True  # type: ignore[attr-defined]
    pu.intersperse = intersperse


def render_html(g: Graph, *, svg_name: str = "class-hierarchy.svg") -> str:
    """The documentation page of the ontology ``g`` (pyLODE plus the added sections)."""
    OntPub, PylodeError = _import_pylode()
    from dominate.util import raw  # type: ignore[import-untyped]
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    hierarchy = env.from_string(_HIERARCHY_TEMPLATE).render(
        svg=class_hierarchy_svg(g), svg_name=svg_name
    )
    concepts = env.from_string(_CONCEPTS_TEMPLATE).render(schemes=_concepts_context(g))

    class _Page(OntPub):  # type: ignore[misc,valid-type]
        """OntPub with the hierarchy before the classes and the concepts after them."""

        def _make_main_sections(self) -> None:
            with self.content:
                raw(hierarchy)
            super()._make_main_sections()
            with self.content:
                raw(concepts)

        def _make_toc(self) -> None:
            super()._make_toc()
            for toc in self.doc.body.get(id="toc"):
                for first in toc.get(cls="first"):
                    first.add(
                        raw('<li><h4><a href="#class-hierarchy">Class hierarchy</a></h4></li>')
                    )
                    first.add(raw('<li><h4><a href="#concepts">Concepts</a></h4></li>'))

    try:
        page = _Page(_documented_graph(g), sort_subjects=True)
        # anchors are IRI fragments: pyLODE reuses a fragment id already assigned
        page.fids = {str(t): _fragment(t) for t in own_terms(g)}
        text = page.make_html(include_css=True)
    except PylodeError as e:
        raise DocsError(f"pyLODE could not document the ontology: {e}") from None
    return str(text)


def build_docs(out: Path, ontology: Sequence[Path] | None = None) -> DocsResult:
    """Write ``index.html`` and ``class-hierarchy.svg`` for the ontology into ``out``.

    Needs the ``docs`` extra; raises :class:`~citykg.errors.MissingExtraError` without it.
    """
    require_extra("docs", "the ontology documentation (citykg docs)")
    g = load_ontology(ontology)
    svg_name = "class-hierarchy.svg"
    page = render_html(g, svg_name=svg_name)
    index = out / "index.html"
    diagram = out / svg_name
    write_atomic(diagram, class_hierarchy_svg(g, link_prefix="index.html#").encode("utf-8"))
    write_atomic(index, page.encode("utf-8"))
    for path in (diagram, index):  # published pages: readable by a web server
        path.chmod(0o644)
    props = {
        s
        for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for s in g.subjects(RDF.type, t)
        if _own(s)
    }
    concepts = {s for s in g.subjects(RDF.type, SKOS.Concept) if _own(s)}
    return DocsResult(index, diagram, len(own_classes(g)), len(props), len(concepts))


__all__ = [
    "DocsError",
    "DocsResult",
    "build_docs",
    "class_hierarchy_svg",
    "load_ontology",
    "render_html",
]
