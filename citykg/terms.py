"""Converting RDF terms between Oxigraph and rdflib: the one converter of citykg.

Two behaviours differ between callers, so they are options:

- ``normalize=False`` (the default) keeps a typed literal's lexical form
  (``"01"^^xsd:integer`` stays ``"01"``), as query results and the byte-identical
  rebuilds need; ``normalize=True`` gives rdflib's canonical form, as pySHACL
  reports values (the SHACL-on-SPARQL engine matches it) and as the ingest
  layers are written.
- ``xsd:string`` literals always become plain rdflib literals (RDF 1.1: they are
  the same term), so both stores compare equal.

>>> import pyoxigraph as ox
>>> to_rdflib(ox.Literal("01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
rdflib.term.Literal('01', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
>>> to_rdflib(ox.Literal("01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
...           normalize=True)
rdflib.term.Literal('1', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
>>> to_oxigraph(to_rdflib(ox.NamedNode("https://w3id.org/citykg/id/city/q90")))
<NamedNode value=https://w3id.org/citykg/id/city/q90>
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib.term import BNode, Literal, URIRef

from .namespaces import XSD

Term = URIRef | BNode | Literal
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal

_XSD_STRING = str(XSD.string)


def to_rdflib(term: object, *, normalize: bool = False) -> Term:
    """An rdflib term for an Oxigraph term (see the module for ``normalize``)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=normalize)
    raise TypeError(f"unsupported term {term!r}")


def triple_to_rdflib(
    t: ox.Triple | ox.Quad, *, normalize: bool = False
) -> tuple[Term, URIRef, Term]:
    """An Oxigraph triple (or the triple of a quad) as an rdflib triple."""
    p = t.predicate
    return (
        to_rdflib(t.subject, normalize=normalize),
        URIRef(p.value),
        to_rdflib(t.object, normalize=normalize),
    )


def to_oxigraph(term: object) -> OxTerm:
    """An Oxigraph term for an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


__all__ = ["OxTerm", "Term", "to_oxigraph", "to_rdflib", "triple_to_rdflib"]
