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

# 3. One twinning per unordered pair, keyed by the two IDs in numeric order;
#    each direction of the crawl says on whose side Wikidata recorded it.
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
  BIND (xsd:integer(STRAFTER(STR(?f), "http://www.wikidata.org/entity/Q")) AS ?nf)
  BIND (xsd:integer(STRAFTER(STR(?t), "http://www.wikidata.org/entity/Q")) AS ?nt)
  BIND (IF(?nf < ?nt, ?nf, ?nt) AS ?low)
  BIND (IF(?nf < ?nt, ?nt, ?nf) AS ?high)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/twinning/q", STR(?low), "-q", STR(?high))) AS ?tw)
} ;

# 4. The dated snapshot this layer cites.
INSERT DATA {
  <https://w3id.org/citykg/id/citation/wikidata-p190-2016> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/wikidata-p190-2016> ;
    ckg:evidenceTier ckg:TakenFromDataset .
  <https://w3id.org/citykg/id/dataset/wikidata-p190-2016> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "Wikidata P190 twinning crawl, September 2016"@en ;
    dcterms:title "Wikidata property P190 (twinned administrative body), crawled September 2016"@en ;
    dcterms:description "34,182 directed item-to-item P190 statements among 10,055 items and one label per item, as crawled in September 2016 (repository L3viathan/sister-cities). A dated snapshot: Wikidata has changed since."@en ;
    dcterms:source <https://www.wikidata.org/wiki/Property:P190> ;
    dcterms:license <https://creativecommons.org/publicdomain/zero/1.0/> ;
    ckg:snapshotDate "2016-09"^^xsd:gYearMonth ;
    dcat:landingPage <https://github.com/L3viathan/sister-cities> .
}
