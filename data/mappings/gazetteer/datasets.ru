# The sources of the gazetteer layer (SPARQL 1.1 Update, run by citykg ingest).
# Facts from data/raw/README.md; every gazetteer entity cites one of the three
# citations below (the mapping's ckg:citation virtual columns).
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

INSERT DATA {
  <https://w3id.org/citykg/id/citation/naturalearth-countries> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/naturalearth-countries> ;
    ckg:evidenceTier ckg:TakenFromDataset .
  <https://w3id.org/citykg/id/citation/naturalearth-admin1> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/naturalearth-admin1> ;
    ckg:evidenceTier ckg:TakenFromDataset .
  <https://w3id.org/citykg/id/citation/naturalearth-populated-places> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/naturalearth-populated-places> ;
    ckg:evidenceTier ckg:TakenFromDataset .

  <https://w3id.org/citykg/id/dataset/naturalearth-countries> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "Natural Earth 1:50m Admin 0 – Countries"@en ;
    dcterms:title "Natural Earth 1:50m Admin 0 – Countries (ne_50m_admin_0_countries)"@en ;
    dcterms:description "242 admin-0 units with ISO 3166 codes, Wikidata IDs and names in 26 languages; the shapefile's DBF converted to UTF-8 CSV, padding trimmed (data/raw/naturalearth/naturalearth-countries.csv)."@en ;
    dcterms:publisher "Natural Earth"@en ;
    dcterms:license <https://creativecommons.org/publicdomain/mark/1.0/> ;
    dcat:version "5.0.0" ;
    ckg:accessDate "2026-11-29"^^xsd:date ;
    dcat:landingPage <https://www.naturalearthdata.com/downloads/50m-cultural-vectors/50m-admin-0-countries-2/> .

  <https://w3id.org/citykg/id/dataset/naturalearth-admin1> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "Natural Earth 1:50m Admin 1 – States, Provinces"@en ;
    dcterms:title "Natural Earth 1:50m Admin 1 – States, Provinces (ne_50m_admin_1_states_provinces)"@en ;
    dcterms:description "294 first-level subdivisions of nine countries with ISO 3166-2 codes, Wikidata IDs and names in 26 languages; the shapefile's DBF converted to UTF-8 CSV, padding trimmed (data/raw/naturalearth/naturalearth-admin1.csv)."@en ;
    dcterms:publisher "Natural Earth"@en ;
    dcterms:license <https://creativecommons.org/publicdomain/mark/1.0/> ;
    dcat:version "5.0.1" ;
    ckg:accessDate "2026-11-29"^^xsd:date ;
    dcat:landingPage <https://www.naturalearthdata.com/downloads/50m-cultural-vectors/50m-admin-1-states-provinces/> .

  <https://w3id.org/citykg/id/dataset/naturalearth-populated-places> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "Natural Earth 1:50m Populated Places"@en ;
    dcterms:title "Natural Earth 1:50m Populated Places (ne_50m_populated_places)"@en ;
    dcterms:description "1,251 populated places with coordinates, Wikidata IDs, capital flags and names in 26 languages; the shapefile's DBF converted to UTF-8 CSV, overflow values emptied (data/raw/naturalearth/naturalearth-populated-places.csv)."@en ;
    dcterms:publisher "Natural Earth"@en ;
    dcterms:license <https://creativecommons.org/publicdomain/mark/1.0/> ;
    dcat:version "5.0.0" ;
    ckg:accessDate "2026-11-29"^^xsd:date ;
    dcat:landingPage <https://www.naturalearthdata.com/downloads/50m-cultural-vectors/50m-populated-places/> .
}
