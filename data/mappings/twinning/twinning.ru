# Twinning layer (SPARQL 1.1 Update, run by citykg ingest after the CSVW step).
# Input: ingest:from / ingest:to per crawl edge (one row of the TSV), ingest:label
# per Wikidata item, and the gazetteer (dcterms:requires) in GRAPH ingest:context.
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ingest: <https://w3id.org/citykg/ingest#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

# 0. Crawl items that are a second Wikidata item for a gazetteer city: its
#    municipality, consolidated city-county or emirate, which Wikidata keeps
#    apart from the city item and on which it records part of the city's
#    sister-city statements (P190). The crawl labels the two items alike, and
#    each pair below was checked by the curators: the second item is the
#    administrative unit whose seat and namesake is the gazetteer city. Its
#    twinnings are the city's, so the item names the city's place (one node,
#    not two), and each twinning so joined also cites the curators' reading
#    (citation/twinning-same-place). Without this table the layer split
#    Amsterdam, Honolulu, Dubai, Brussels and Malmö into two nodes each.
#      Q9899   "Amsterdam" (municipality)       -> city Q727   "Amsterdam"
#      Q487704 "Honolulu" (City and County)     -> city Q18094 "Honolulu"
#      Q613    "Dubai" (emirate)                -> city Q612   "Dubai"
#      Q9005   "Brüssel" (City of Brussels)     -> city Q239   "Brussels"
#      Q503361 "Malmö" (municipality)           -> city Q2211  "Malmö"
#    Not joined: Q240 "Region Brüssel-Hauptstadt" (the Brussels-Capital
#    Region, a region of 19 municipalities, not the city), and Q49219
#    "Irvine", whose label alone does not say which Irvine it is (the essay's
#    Irvine, California stays city/irvine; see docs/model.md).
INSERT { ?wd ingest:place ?c ; ingest:sameCityAs ?c }
WHERE {
  VALUES (?alias ?cityQid) {
    ("Q9899" "Q727") ("Q487704" "Q18094") ("Q613" "Q612") ("Q9005" "Q239") ("Q503361" "Q2211")
  }
  BIND (IRI(CONCAT("http://www.wikidata.org/entity/", ?alias)) AS ?wd)
  FILTER EXISTS { { ?e ingest:from ?wd } UNION { ?e ingest:to ?wd } }
  GRAPH ingest:context { ?c a ckg:City ; ckg:wikidataId ?cityQid }
} ;

# 1. Each item of the crawl names one place: the gazetteer city with that
#    Wikidata ID, else the subdivision, else the country, else place/<qid>.
INSERT { ?wd ingest:place ?c }
WHERE {
  { SELECT DISTINCT ?wd WHERE { { ?e ingest:from ?wd } UNION { ?e ingest:to ?wd } } }
  BIND (STRAFTER(STR(?wd), "http://www.wikidata.org/entity/") AS ?q)
  GRAPH ingest:context { ?c a ckg:City ; ckg:wikidataId ?q }
} ;

INSERT { ?wd ingest:place ?c }
WHERE {
  { SELECT DISTINCT ?wd WHERE { { ?e ingest:from ?wd } UNION { ?e ingest:to ?wd } } }
  FILTER NOT EXISTS { ?wd ingest:place ?known }
  BIND (STRAFTER(STR(?wd), "http://www.wikidata.org/entity/") AS ?q)
  GRAPH ingest:context { ?c a ckg:Subdivision ; ckg:wikidataId ?q }
} ;

INSERT { ?wd ingest:place ?c }
WHERE {
  { SELECT DISTINCT ?wd WHERE { { ?e ingest:from ?wd } UNION { ?e ingest:to ?wd } } }
  FILTER NOT EXISTS { ?wd ingest:place ?known }
  BIND (STRAFTER(STR(?wd), "http://www.wikidata.org/entity/") AS ?q)
  GRAPH ingest:context { ?c a ckg:Country ; ckg:wikidataId ?q }
} ;

# 2. The others become ckg:Place with their ID and their 2016 label. The crawl
#    took the German label, else English, French, Italian, Spanish, and did not
#    record which: the label is written without a language tag.
INSERT {
  ?wd ingest:place ?p .
  ?p a ckg:Place ; ckg:wikidataId ?q ;
    ckg:citation <https://w3id.org/citykg/id/citation/wikidata-p190-2016> .
}
WHERE {
  { SELECT DISTINCT ?wd WHERE { { ?e ingest:from ?wd } UNION { ?e ingest:to ?wd } } }
  FILTER NOT EXISTS { ?wd ingest:place ?known }
  BIND (STRAFTER(STR(?wd), "http://www.wikidata.org/entity/") AS ?q)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/place/", LCASE(?q))) AS ?p)
} ;

INSERT { ?p rdfs:label ?label }
WHERE { ?wd ingest:place ?p ; ingest:label ?label . ?p a ckg:Place } ;

# 3. One twinning per unordered pair of places, keyed by the two places' IDs
#    in numeric order (a city's own ID for an item joined to it in step 0, so
#    that a twinning recorded on both items is one twinning); each direction
#    of the crawl says on whose side Wikidata recorded it.
INSERT {
  ?tw a ckg:Twinning ;
    ckg:twinningParty ?pf, ?pt ;
    ckg:recordedOnSideOf ?pf ;
    ckg:citation <https://w3id.org/citykg/id/citation/wikidata-p190-2016> .
}
WHERE {
  ?e ingest:from ?f ; ingest:to ?t .
  FILTER (?f != ?t)
  ?f ingest:place ?pf .
  ?t ingest:place ?pt .
  FILTER (?pf != ?pt)
  OPTIONAL { ?f ingest:sameCityAs ?cf . GRAPH ingest:context { ?cf ckg:wikidataId ?qf } }
  OPTIONAL { ?t ingest:sameCityAs ?ct . GRAPH ingest:context { ?ct ckg:wikidataId ?qt } }
  BIND (xsd:integer(STRAFTER(COALESCE(?qf, STR(?f)), "Q")) AS ?nf)
  BIND (xsd:integer(STRAFTER(COALESCE(?qt, STR(?t)), "Q")) AS ?nt)
  BIND (IF(?nf < ?nt, ?nf, ?nt) AS ?low)
  BIND (IF(?nf < ?nt, ?nt, ?nf) AS ?high)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/twinning/q", STR(?low), "-q", STR(?high))) AS ?tw)
} ;

#    A twinning whose party was joined in step 0 also cites that reading.
INSERT { ?tw ckg:citation <https://w3id.org/citykg/id/citation/twinning-same-place> }
WHERE {
  ?tw a ckg:Twinning ; ckg:twinningParty ?c .
  ?wd ingest:sameCityAs ?c .
  { ?e ingest:from ?wd ; ingest:to ?other } UNION { ?e ingest:to ?wd ; ingest:from ?other }
  ?other ingest:place ?o .
  ?tw ckg:twinningParty ?o .
  FILTER (?o != ?c)
} ;

# 4. The dated snapshot this layer cites.
INSERT DATA {
  <https://w3id.org/citykg/id/citation/wikidata-p190-2016> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/wikidata-p190-2016> ;
    ckg:evidenceTier ckg:TakenFromDataset .
  <https://w3id.org/citykg/id/citation/twinning-same-place> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/wikidata-p190-2016> ;
    ckg:locator "items joined to a gazetteer city by data/mappings/twinning/twinning.ru, step 0"@en ;
    ckg:evidenceTier ckg:CuratorsReading .
  <https://w3id.org/citykg/id/dataset/wikidata-p190-2016> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "Wikidata P190 twinning crawl, September 2016"@en ;
    dcterms:title "Wikidata property P190 (twinned administrative body), crawled September 2016"@en ;
    dcterms:description "34,182 directed item-to-item P190 statements among 10,055 items and one label per item, as crawled in September 2016 (repository L3viathan/sister-cities). A dated snapshot: Wikidata has changed since."@en ;
    dcterms:source <https://www.wikidata.org/wiki/Property:P190> ;
    dcterms:license <https://creativecommons.org/publicdomain/zero/1.0/> ;
    ckg:snapshotDate "2016-09"^^xsd:gYearMonth ;
    dcat:landingPage <https://github.com/L3viathan/sister-cities> .
}
