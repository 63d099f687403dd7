# Describe the city governments that the memberships name (SPARQL 1.1 Update,
# run by citykg ingest after the re-keying): each gets an English label made
# from its city's English label in the gazetteer, and the citations of the
# memberships that name it (the spreadsheet's source is what says it exists).
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

INSERT {
  ?gov rdfs:label ?label ;
       ckg:citation ?citation .
}
WHERE {
  ?membership org:member ?gov ; ckg:citation ?citation .
  ?gov a ckg:CityGovernment ; ckg:governs ?city .
  GRAPH <https://w3id.org/citykg/ingest#context> {
    ?city rdfs:label ?cityLabel .
    FILTER(LANGMATCHES(LANG(?cityLabel), "en"))
  }
  BIND(STRLANG(CONCAT("City government of ", STR(?cityLabel)), "en") AS ?label)
}
