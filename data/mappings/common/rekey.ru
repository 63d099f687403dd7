# Re-key step shared by the mappings (SPARQL 1.1 Update, run by citykg ingest).
#
# CSVW URI templates cannot change case or choose between two keys, so a
# mapping first mints its IRIs from the cells (city/ne-<NE_ID>,
# country/Q90, subdivision/US-CA) and an earlier step may state the final
# IRI of a node with ingest:newIri. This step
#   1. gives every citykg IRI that is not lower-case a lower-case new IRI
#      (keys are lower-case: docs/model.md), unless one was already chosen;
#   2. moves every triple to the new IRIs, as object and as subject;
#   3. drops the ingest:newIri statements.
PREFIX ingest: <https://w3id.org/citykg/ingest#>

INSERT { ?s ingest:newIri ?n }
WHERE {
  { SELECT DISTINCT ?s WHERE { { ?s ?p ?o } UNION { ?x ?p ?s } } }
  FILTER (isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/citykg/id/") && STR(?s) != LCASE(STR(?s)))
  FILTER NOT EXISTS { ?s ingest:newIri ?chosen }
  BIND (IRI(LCASE(STR(?s))) AS ?n)
} ;

DELETE { ?x ?p ?s } INSERT { ?x ?p ?n }
WHERE { ?s ingest:newIri ?n . ?x ?p ?s } ;

DELETE { ?s ?p ?o } INSERT { ?n ?p ?o }
WHERE { ?s ingest:newIri ?n . ?s ?p ?o . FILTER (?p != ingest:newIri) } ;

DELETE WHERE { ?s ingest:newIri ?n }
