"""IRIs of citykg: its namespaces, named graphs and the vocabularies it reuses.

Standard namespaces come from :mod:`rdflib.namespace`; only citykg's own and
Wikidata's are declared here.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import (
    CSVW,
    DCAT,
    DCTERMS,
    FOAF,
    GEO,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    TIME,
    VANN,
    VOID,
    XSD,
)

CKG = Namespace("https://w3id.org/citykg/ontology#")
CKGSH = Namespace("https://w3id.org/citykg/shapes#")
ID = Namespace("https://w3id.org/citykg/id/")
GRAPH = Namespace("https://w3id.org/citykg/graph/")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")

ONTOLOGY_IRI = URIRef("https://w3id.org/citykg/ontology")

#: The named graphs a build fills, in load order.
GRAPH_NAMES: tuple[str, ...] = ("ontology", "data", "links", "enrichment", "inferred")


def graph_iri(name: str) -> URIRef:
    """The IRI of the named graph ``name``.

    >>> graph_iri("data")
    rdflib.term.URIRef('https://w3id.org/citykg/graph/data')
    """
    return URIRef(GRAPH[name])


#: Prefixes bound in every serialisation and prepended to ad hoc queries.
PREFIXES: dict[str, str] = {
    "ckg": str(CKG),
    "ckgsh": str(CKGSH),
    "id": str(ID),
    "org": str(ORG),
    "prov": str(PROV),
    "skos": str(SKOS),
    "time": str(TIME),
    "geo": str(GEO),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "schema": str(SDO),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
    "void": str(VOID),
    "dcat": str(DCAT),
    "vann": str(VANN),
    "wd": str(WD),
    "wdt": str(WDT),
}

__all__ = [
    "CKG",
    "CKGSH",
    "CSVW",
    "DCAT",
    "DCTERMS",
    "FOAF",
    "GEO",
    "GRAPH",
    "GRAPH_NAMES",
    "ID",
    "ONTOLOGY_IRI",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SDO",
    "SH",
    "SKOS",
    "TIME",
    "VANN",
    "VOID",
    "WD",
    "WDT",
    "XSD",
    "graph_iri",
]
