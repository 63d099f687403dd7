# Net Zero Tracker layer (SPARQL 1.1 Update, run by citykg ingest after the
# CSVW step). Input: ingest:* values per city row (cities.schema.json); the
# gazetteer, the curated organisations and the Covenant layer in
# GRAPH ingest:context. The file has no coordinates: a row is merged with a
# place only when its name (case ignored) and country pick out exactly one
# place, and no other row picks out the same place.
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ingest: <https://w3id.org/citykg/ingest#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

# 1. Country by ISO 3166-1 alpha-3 (France and Norway have none in Natural
#    Earth: those rows get no country and are not matched).
INSERT { ?s ingest:country ?c }
WHERE { ?s ingest:a3 ?a3 . GRAPH ingest:context { ?c a ckg:Country ; ckg:isoAlpha3Code ?a3 } } ;

INSERT { ?s ingest:key ?k } WHERE { ?s ingest:name ?n BIND (LCASE(?n) AS ?k) } ;

# 2. Candidates: gazetteer cities (any label), else the Covenant layer's own
#    places (their one, untagged label), of the same country.
INSERT { ?p ingest:key ?k } WHERE {
  GRAPH ingest:context { { ?p a ckg:City } UNION { ?p a ckg:Place . ?a ckg:governs ?p . ?a a ckg:LocalAuthority }
                         ?p rdfs:label ?l }
  BIND (LCASE(STR(?l)) AS ?k)
} ;

INSERT { ?s ingest:candidate ?p } WHERE {
  ?s ingest:key ?k ; ingest:country ?c .
  ?p ingest:key ?k .
  GRAPH ingest:context { ?p ckg:country ?c }
} ;

INSERT { ?s ingest:match ?p } WHERE {
  ?s ingest:candidate ?p .
  FILTER NOT EXISTS { ?s ingest:candidate ?other . FILTER (?other != ?p) }
  FILTER NOT EXISTS { ?s2 ingest:candidate ?p . FILTER (?s2 != ?s) }
} ;

# 3. The agent: the government the Covenant layer or the curated data gives
#    the place (exactly one), else city-government/<key> of a gazetteer city,
#    else a local authority with a place of its own (place/nzt-cit-<n>).
INSERT { ?s ingest:agent ?gov } WHERE {
  ?s ingest:match ?p .
  GRAPH ingest:context { ?gov a ckg:Government ; ckg:governs ?p }
  FILTER NOT EXISTS { GRAPH ingest:context { ?gov2 a ckg:Government ; ckg:governs ?p . FILTER (?gov2 != ?gov) } }
} ;

INSERT { ?s ingest:agent ?gov ; ingest:newGovernment ?p } WHERE {
  ?s ingest:match ?p . FILTER NOT EXISTS { ?s ingest:agent ?known }
  GRAPH ingest:context { ?p a ckg:City }
  BIND (IRI(REPLACE(STR(?p), "/id/city/", "/id/city-government/")) AS ?gov)
} ;

INSERT { ?s ingest:agent ?a ; ingest:place ?p } WHERE {
  ?s ingest:id ?id . FILTER NOT EXISTS { ?s ingest:agent ?known }
  BIND (LCASE(?id) AS ?key)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/local-authority/nzt-", ?key)) AS ?a)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/place/nzt-", ?key)) AS ?p)
} ;

# 4. Citations, one per row.
INSERT {
  ?s ingest:citation ?cit .
  ?cit a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/net-zero-tracker-2022-12-20> ;
    ckg:locator ?loc ;
    ckg:evidenceTier ckg:TakenFromDataset .
}
WHERE {
  ?s ingest:id ?id ; ingest:row ?row .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/citation/nzt-2022-12-20-", LCASE(?id))) AS ?cit)
  BIND (STRLANG(CONCAT("net-zero-tracker-cities-2022-12-20.csv, row ", STR(?row), " (id_code ", ?id, ")"), "en") AS ?loc)
} ;

# 5. Agents and places. A government the graph already has keeps its
#    description; a new city government is labelled from the gazetteer, a
#    new local authority and its place from the row.
INSERT { ?gov a ckg:CityGovernment ; rdfs:label ?label ; ckg:governs ?p ; ckg:citation ?cit }
WHERE {
  ?s ingest:newGovernment ?p ; ingest:agent ?gov ; ingest:citation ?cit .
  GRAPH ingest:context { ?p rdfs:label ?cityLabel . FILTER (LANGMATCHES(LANG(?cityLabel), "en")) }
  BIND (STRLANG(CONCAT("City government of ", STR(?cityLabel)), "en") AS ?label)
} ;

INSERT {
  ?a a ckg:LocalAuthority ; rdfs:label ?label ; ckg:governs ?p ; ckg:citation ?cit .
  ?p a ckg:Place ; rdfs:label ?n ; ckg:citation ?cit .
}
WHERE {
  ?s ingest:place ?p ; ingest:agent ?a ; ingest:name ?n ; ingest:citation ?cit .
  BIND (STRLANG(?n, "en") AS ?label)
} ;

INSERT { ?p ckg:country ?c } WHERE { ?s ingest:place ?p ; ingest:country ?c } ;

# 6. Commitments: the end target and the interim target, where the row has
#    one ("No target" and empty cells are none).
INSERT {
  ?c a ckg:Commitment ; ckg:pledgedBy ?a ; ckg:targetKind ?kind ; ckg:citation ?cit .
  ?s ?slot ?c .
}
WHERE {
  ?s ingest:id ?id ; ingest:agent ?a ; ingest:citation ?cit ; ?kindP ?k .
  VALUES (?kindP ?suffix ?slot) { (ingest:endKind "-end" ingest:endC) (ingest:intKind "-interim" ingest:intC) }
  FILTER (?k != "No target")
  BIND (STRLANG(?k, "en") AS ?kind)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/commitment/nzt-", LCASE(?id), ?suffix)) AS ?c)
} ;

INSERT { ?c ?p ?v } WHERE {
  ?s ?slot ?c ; ?col ?v .
  VALUES (?slot ?col ?p) {
    (ingest:endC ingest:endYear ckg:targetYear) (ingest:endC ingest:endBase ckg:baselineYear)
    (ingest:endC ingest:endPct ckg:reductionPercentage) (ingest:endC ingest:statusYear ckg:statusYear)
    (ingest:intC ingest:intYear ckg:targetYear) (ingest:intC ingest:intBase ckg:baselineYear)
    (ingest:intC ingest:intPct ckg:reductionPercentage)
  }
} ;

INSERT { ?c ckg:targetStatus ?status } WHERE {
  ?s ingest:endC ?c ; ingest:endStatus ?st .
  VALUES (?st ?status) {
    ("Proposed / in discussion" ckg:TargetProposed) ("Declaration / pledge" ckg:TargetDeclared)
    ("In policy document" ckg:TargetInPolicyDocument) ("In law" ckg:TargetInLaw)
  }
} ;

INSERT { ?c ckg:statedInDocument ?doc } WHERE {
  ?s ?slot ?c ; ingest:url ?u .
  VALUES ?slot { ingest:endC ingest:intC }
  BIND (STRDT(?u, xsd:anyURI) AS ?doc)
} ;

# 7. Race to Zero: a membership for each row marked Yes, undated (the row
#    says only that the city was a member at the snapshot).
INSERT {
  ?m a ckg:Membership ;
    org:member ?a ;
    org:organization <https://w3id.org/citykg/id/network/race-to-zero> ;
    org:role ckg:ParticipantRole ;
    ckg:citation ?cit .
}
WHERE {
  ?s ingest:r2z true ; ingest:id ?id ; ingest:agent ?a ; ingest:citation ?cit .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/membership/race-to-zero-nzt-", LCASE(?id))) AS ?m)
} ;

# 8. The dataset, its citation and the campaign.
INSERT DATA {
  <https://w3id.org/citykg/id/dataset/net-zero-tracker-2022-12-20> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "Net Zero Tracker, snapshot of 2022-12-20: cities"@en ;
    dcterms:title "Net Zero Tracker, snapshot 2022-12-20 13:07:14, city rows"@en ;
    dcterms:description "The 1,177 rows of actor_type City of the Net Zero Tracker snapshot (snapshot_2022-12-20_13-07-14.xlsx): end and interim emissions targets with kind, year, baseline, percentage, status and source document, Race to Zero membership. Changes made before citykg: converted from Excel to UTF-8 CSV, only the city rows kept. citykg's mapping (data/mappings/netzero/) writes no commitment for \"No target\", and leaves out the columns it has no term for (target texts and notes, coverage, plans, offsets, population, emissions); see data/mappings/netzero/REPORT.md."@en ;
    dcterms:publisher "Net Zero Tracker"@en ;
    dcterms:bibliographicCitation "Net Zero Tracker. Energy & Climate Intelligence Unit, Data-Driven EnviroLab, NewClimate Institute, Oxford Net Zero. Snapshot of 2022-12-20 (snapshot_2022-12-20_13-07-14.xlsx), city rows."@en ;
    dcterms:rights "Licensed under CC BY 4.0: credit the Net Zero Tracker and indicate changes."@en ;
    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;
    dcat:version "snapshot 2022-12-20 13:07:14" ;
    ckg:snapshotDate "2022-12-20"^^xsd:date ;
    ckg:accessDate "2026-12-01"^^xsd:date .

  <https://w3id.org/citykg/id/citation/net-zero-tracker-2022-12-20> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/net-zero-tracker-2022-12-20> ;
    ckg:locator "column race_to_zero_member"@en ;
    ckg:evidenceTier ckg:TakenFromDataset .

  <https://w3id.org/citykg/id/network/race-to-zero> a ckg:Network ;
    rdfs:label "Race to Zero"@en ;
    ckg:citation <https://w3id.org/citykg/id/citation/net-zero-tracker-2022-12-20> ;
    rdfs:comment "The campaign whose membership the Net Zero Tracker records for each city (race_to_zero_member); the tracker gives no date of joining, so its memberships are undated."@en .
}
