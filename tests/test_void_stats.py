"""VoID figures: Oxigraph's aggregate queries and the Python count agree."""

from __future__ import annotations

import pyoxigraph as ox

from citykg.void import stats_of_store, stats_of_triples

TRIG = """
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix id: <https://w3id.org/citykg/id/> .

<https://w3id.org/citykg/graph/ontology> {
  <https://w3id.org/citykg/ontology> dcterms:license <https://creativecommons.org/licenses/by/4.0/> .
  ckg:City a <http://www.w3.org/2002/07/owl#Class> .
}
<https://w3id.org/citykg/graph/data> {
  id:city\\/q90 a ckg:City ; rdfs:label "Paris"@en, "Paris"@fr ;
     skos:exactMatch <http://www.wikidata.org/entity/Q90>, <https://example.org/paris> .
  id:dataset\\/x a ckg:Source ; dcterms:bibliographicCitation "X. 2024." ;
     dcterms:license <https://creativecommons.org/licenses/by/4.0/> .
  _:b a ckg:City ; rdfs:label "nameless" .
  <https://example.org/elsewhere> rdfs:label "outside the id space" .
}
<https://w3id.org/citykg/graph/inferred> {
  id:city\\/q90 a ckg:City ; a ckg:Place .
}
<https://example.org/graph/other> {
  id:city\\/q90 skos:exactMatch <http://www.wikidata.org/entity/Q90> .
}
<https://w3id.org/citykg/ontology#x> <https://w3id.org/citykg/ontology#y> "in the default graph: not counted" .
"""


def test_store_and_python_figures_agree() -> None:
    store = ox.Store()
    store.load(TRIG.encode(), format=ox.RdfFormat.TRIG)
    quads = [q for q in store if not isinstance(q.graph_name, ox.DefaultGraph)]
    triples = list({ox.Triple(q.subject, q.predicate, q.object) for q in quads})
    python, sparql = stats_of_triples(quads, triples), stats_of_store(store)
    assert sparql == python
    # and the figures are those of the text above, counted by hand
    assert python.triples == 14  # 16 quads in named graphs, two of them repeated across graphs
    assert python.per_graph["https://w3id.org/citykg/graph/inferred"] == 2
    assert python.entities == 2 and python.links == 1
    assert python.classes["https://w3id.org/citykg/ontology#City"] == 2
    assert python.credits == [("https://w3id.org/citykg/id/dataset/x", "X. 2024.",
                               "https://creativecommons.org/licenses/by/4.0/")]
    assert python.license == "https://creativecommons.org/licenses/by/4.0/"
