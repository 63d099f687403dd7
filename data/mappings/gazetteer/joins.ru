# Gazetteer joins (SPARQL 1.1 Update, run by citykg ingest after the re-key).
# Every join is exact; where it is not sure, it is left out (see notes.rq).
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX ingest: <https://w3id.org/citykg/ingest#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# A place's country: its ADM0_A3 equals a country's ISO_A3 ...
INSERT { ?p ckg:country ?c }
WHERE { ?p a ckg:City ; ingest:admin0Alpha3 ?a3 . ?c a ckg:Country ; ckg:isoAlpha3Code ?a3 } ;

# ... else its ADM0NAME equals a country's ADMIN exactly (France and Norway
# have no ISO_A3 in this file). Gibraltar and Svalbard match neither: left out.
INSERT { ?p ckg:country ?c }
WHERE {
  ?p a ckg:City ; ingest:admin0Name ?name .
  FILTER NOT EXISTS { ?p ckg:country ?known }
  ?c a ckg:Country ; ingest:admin0Name ?name .
} ;

# A subdivision's country: its iso_a2 equals a country's ISO_A2.
INSERT { ?s ckg:country ?c }
WHERE { ?s a ckg:Subdivision ; ingest:countryIsoAlpha2 ?cc . ?c a ckg:Country ; ckg:isoAlpha2Code ?cc } ;

# A place's subdivision: same ISO_A2 and same country, ADM1NAME equal to the
# subdivision's Natural Earth name, and exactly one such subdivision.
# Old or variant names (Orissa, Nei Mongol, Orange Free State) do not match: left out.
INSERT { ?p ckg:inSubdivision ?s }
WHERE {
  ?p a ckg:City ; ingest:countryIsoAlpha2 ?cc ; ingest:admin1Name ?name ; ckg:country ?c .
  ?s a ckg:Subdivision ; ingest:countryIsoAlpha2 ?cc ; ingest:admin1Name ?name ; ckg:country ?c .
  FILTER NOT EXISTS {
    ?other a ckg:Subdivision ; ingest:countryIsoAlpha2 ?cc ; ingest:admin1Name ?name .
    FILTER (?other != ?s)
  }
} ;

# A capital (ADM0CAP = 1) is the capital of the country it was joined to.
INSERT { ?p ckg:isCapitalOf ?c }
WHERE { ?p a ckg:City ; ingest:isAdmin0Capital true ; ckg:country ?c } ;

# The point, longitude first (WKT order).
INSERT { ?g geo:asWKT ?wkt }
WHERE {
  ?g a geo:Geometry ; ingest:longitude ?lon ; ingest:latitude ?lat .
  BIND (STRDT(CONCAT("POINT(", STR(?lon), " ", STR(?lat), ")"), geo:wktLiteral) AS ?wkt)
} ;

# A NAME_LONG that repeats the English label adds nothing.
DELETE { ?s skos:altLabel ?label } WHERE { ?s skos:altLabel ?label ; rdfs:label ?label }
