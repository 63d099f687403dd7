# Covenant layer, step 2 (SPARQL 1.1 Update): the layer's triples, built from
# the staging values and the matches of places.ru. Every node cites the
# citation of its row (citation/covenant-2024-<organisation_id>), which names
# the dataset and the row; organisations named in many rows cite each row.
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX ingest: <https://w3id.org/citykg/ingest#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

# 1. One citation per row: the dataset and where in it.
INSERT {
  ?s ingest:citation ?cit ; ingest:membership ?m .
  ?cit a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/jrc-gcom-mycovenant-2024> ;
    ckg:locator ?loc ;
    ckg:evidenceTier ckg:TakenFromDataset .
}
WHERE {
  ?s ingest:orgId ?id ; ingest:row ?row .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/citation/covenant-2024-", REPLACE(?id, "_", "-"))) AS ?cit)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/membership/covenant-of-mayors-", REPLACE(?id, "_", "-"))) AS ?m)
  BIND (STRLANG(CONCAT("covenant-of-mayors-signatories-2024.csv, row ", STR(?row),
                       " (organisation_id ", ?id, ")"), "en") AS ?loc)
} ;

# 2. The signatory: a gazetteer city's government, a local authority with a
#    place of its own, or a group of local authorities. Names are the
#    signatory's registered name in the English-language dataset (@en).
INSERT { ?gov a ckg:CityGovernment ; rdfs:label ?label ; ckg:governs ?city }
WHERE {
  ?s ingest:newGovernment true ; ingest:agent ?gov ; ingest:place ?city .
  GRAPH ingest:context { ?city rdfs:label ?cityLabel . FILTER (LANGMATCHES(LANG(?cityLabel), "en")) }
  BIND (STRLANG(CONCAT("City government of ", STR(?cityLabel)), "en") AS ?label)
} ;

INSERT { ?a a ckg:LocalAuthority ; rdfs:label ?label ; ckg:governs ?p }
WHERE {
  ?s ingest:newPlace true ; ingest:agent ?a ; ingest:place ?p ; ingest:name ?n .
  BIND (STRLANG(?n, "en") AS ?label)
} ;

INSERT { ?a a ckg:LocalAuthorityGroup ; rdfs:label ?label }
WHERE {
  ?s ingest:isGroup true ; ingest:agent ?a ; ingest:name ?n .
  BIND (STRLANG(?n, "en") AS ?label)
} ;

INSERT { ?a ckg:citation ?cit } WHERE { ?s ingest:agent ?a ; ingest:citation ?cit } ;

INSERT { ?a ckg:gcomId ?g } WHERE { ?s ingest:agent ?a ; ingest:gcomId ?g } ;

# 3. The place of a signatory outside the gazetteer: its name (language not
#    known, so untagged), country and usable coordinates. Places of the
#    gazetteer get nothing from this layer.
INSERT {
  ?p a ckg:Place ; rdfs:label ?n ; ckg:citation ?cit .
}
WHERE { ?s ingest:newPlace true ; ingest:place ?p ; ingest:name ?n ; ingest:citation ?cit } ;

INSERT { ?p ckg:country ?c } WHERE { ?s ingest:newPlace true ; ingest:place ?p ; ingest:country ?c } ;

INSERT {
  ?p geo:hasGeometry ?g .
  ?g a geo:Geometry ; geo:asWKT ?wkt .
}
WHERE {
  ?s ingest:newPlace true ; ingest:place ?p ; ingest:pLat ?la ; ingest:pLon ?lo .
  BIND (IRI(CONCAT(STR(?p), "#geometry")) AS ?g)
  BIND (STRDT(CONCAT("POINT(", STR(?lo), " ", STR(?la), ")"), geo:wktLiteral) AS ?wkt)
} ;

# 4. The membership: role, status at the January 2024 release, date of
#    adhesion, adhesion type, declared population, coordinator, supporter.
INSERT {
  ?m a ckg:Membership ;
    org:member ?a ;
    org:organization <https://w3id.org/citykg/id/network/covenant-of-mayors> ;
    org:role ckg:SignatoryRole ;
    ckg:membershipStatus ?status ;
    ckg:startDate ?date ;
    ckg:citation ?cit .
}
WHERE {
  ?s ingest:membership ?m ; ingest:agent ?a ; ingest:status ?st ; ingest:date ?date ; ingest:citation ?cit .
  BIND (IF(?st = "published", ckg:ActiveStatus, ckg:SuspendedStatus) AS ?status)
} ;

INSERT { ?m ckg:adhesionType ?t } WHERE {
  ?s ingest:membership ?m ; ingest:adhesionType ?at .
  VALUES (?at ?t) {
    ("As an individual signatory" ckg:IndividualAdhesion)
    ("As a group of signatories committing individually (joint SEAP - option 1)" ckg:GroupCommittingIndividually)
    ("As a group of signatories committing collectively (joint SEAP - option 2)" ckg:GroupCommittingCollectively)
  }
} ;

INSERT { ?m ckg:populationAtAdhesion ?pop } WHERE {
  ?s ingest:membership ?m ; ingest:population ?n ; ingest:orgId ?id .
  FILTER NOT EXISTS { ?f ingest:fixOrgId ?id ; ingest:fixColumn "population_adhesion" }
  BIND (?n AS ?pop)
} ;

INSERT { ?m ckg:coordinatedBy ?o } WHERE {
  ?s ingest:membership ?m ; ingest:coordinator ?name .
  ?x ingest:orgName ?name ; ingest:orgKey ?key .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/", ?key)) AS ?o)
} ;

INSERT { ?m ckg:supportedBy ?o } WHERE {
  ?s ingest:membership ?m ; ingest:supporter ?name .
  ?x ingest:orgName ?name ; ingest:orgKey ?key .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/", ?key)) AS ?o)
} ;

# 5. Groups: a signatory that names its group (group_organisation_id) is
#    org:memberOf the group's agent. A group that is not itself a row of the
#    file is described from group_name and the rows that name it.
INSERT { ?a org:memberOf ?g }
WHERE {
  ?s ingest:agent ?a ; ingest:groupId ?gid .
  ?gs ingest:orgId ?gid ; ingest:isGroup true ; ingest:agent ?g .
} ;

INSERT { ?g a ckg:LocalAuthorityGroup ; rdfs:label ?label ; ckg:citation ?cit . ?a org:memberOf ?g }
WHERE {
  ?s ingest:agent ?a ; ingest:groupId ?gid ; ingest:groupName ?gn ; ingest:citation ?cit .
  FILTER NOT EXISTS { ?gs ingest:orgId ?gid }
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/local-authority-group/covenant-", REPLACE(?gid, "_", "-"))) AS ?g)
  BIND (STRLANG(?gn, "en") AS ?label)
} ;

# 6. Commitments: one per commitment flag that is True, serving the
#    Covenant initiative the flag names. The flags give no target figures.
INSERT {
  ?c a ckg:Commitment ;
    ckg:pledgedBy ?a ;
    ckg:madeThrough ?m ;
    ckg:serves ?initiative ;
    ckg:citation ?cit .
}
WHERE {
  ?s ingest:orgId ?id ; ingest:agent ?a ; ingest:membership ?m ; ingest:citation ?cit ; ?flag true .
  VALUES (?flag ?slug) {
    (ingest:com2020 "com-2020") (ingest:com2030 "com-2030") (ingest:com2050 "com-2050") (ingest:mayorsAdapt "mayors-adapt")
  }
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/commitment/covenant-", REPLACE(?id, "_", "-"), "-", ?slug)) AS ?c)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/initiative/", ?slug)) AS ?initiative)
} ;

# 7. Coordinators and supporters: an organisation per name (its key chosen
#    once in organisations.csv), with a membership of the Covenant in its
#    role; both cite every row that names it.
INSERT {
  ?o a ckg:Organization ; rdfs:label ?label ; ckg:citation ?cit .
  ?om a ckg:Membership ;
    org:member ?o ;
    org:organization <https://w3id.org/citykg/id/network/covenant-of-mayors> ;
    org:role ?role ;
    ckg:citation ?cit .
}
WHERE {
  ?s ?column ?name ; ingest:citation ?cit .
  VALUES (?column ?role ?roleSlug) {
    (ingest:coordinator ckg:CoordinatorRole "coordinator") (ingest:supporter ckg:SupporterRole "supporter")
  }
  ?x ingest:orgName ?name ; ingest:orgKey ?key .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/", ?key)) AS ?o)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/membership/covenant-of-mayors-", ?roleSlug, "-",
                   REPLACE(?key, "^[a-z]+/", ""))) AS ?om)
  BIND (STRLANG(?name, "en") AS ?label)
} ;

# The supporters that are networks (the curators' judgement, recorded in
# organisations.csv): a reified, cited type statement, not a bare assertion.
INSERT {
  ?o a ckg:TransnationalMunicipalNetwork .
  ?st a rdf:Statement ;
    rdf:subject ?o ; rdf:predicate rdf:type ; rdf:object ckg:TransnationalMunicipalNetwork ;
    ckg:citation <https://w3id.org/citykg/id/citation/curators-general-knowledge> ;
    rdfs:comment ?note .
}
WHERE {
  ?x ingest:orgKey ?key ; ingest:networkNote ?note .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/", ?key)) AS ?o)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/statement/", REPLACE(?key, "/", "-"), "-type")) AS ?st)
} ;
