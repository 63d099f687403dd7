# Gazetteer keys (SPARQL 1.1 Update, run by citykg ingest before ../common/rekey.ru).
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX ingest: <https://w3id.org/citykg/ingest#>

# Natural Earth gives Gorno-Altay (RU-AL) the Wikidata ID of Altay krai
# (Q5971, which RU-ALT also carries). The ID is wrong for RU-AL: leave it out.
DELETE DATA { <https://w3id.org/citykg/id/subdivision/RU-AL> ckg:wikidataId "Q5971" } ;

# A populated place with a Wikidata ID is keyed by it (city/q90); one without
# keeps city/ne-<NE_ID>. Its geometry node follows it (<city/q90#geometry>).
INSERT { ?s ingest:newIri ?n . ?g ingest:newIri ?gn }
WHERE {
  ?s a ckg:City ; ckg:wikidataId ?q ; geo:hasGeometry ?g .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/city/", LCASE(?q))) AS ?n)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/city/", LCASE(?q), "#geometry")) AS ?gn)
}
 ;

# Jervis Bay Territory has no ISO 3166-2 code; Natural Earth writes the
# placeholder AU-X02~ (the tilde marks a code that is not ISO). The key drops
# the tilde (subdivision/au-x02) and the placeholder is not stated as an ISO code.
INSERT { ?s ingest:newIri ?n }
WHERE {
  ?s a ckg:Subdivision ; ckg:isoSubdivisionCode ?code .
  FILTER (STRENDS(?code, "~"))
  BIND (IRI(LCASE(CONCAT("https://w3id.org/citykg/id/subdivision/", STRBEFORE(?code, "~")))) AS ?n)
} ;
DELETE { ?s ckg:isoSubdivisionCode ?code }
WHERE { ?s a ckg:Subdivision ; ckg:isoSubdivisionCode ?code . FILTER (STRENDS(?code, "~")) }
