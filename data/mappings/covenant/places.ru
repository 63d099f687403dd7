# Covenant layer, step 1 (SPARQL 1.1 Update, run by citykg ingest after the
# CSVW step): each signatory row's country, the checks of its coordinates and
# its match against the gazetteer. Everything written here is a staging
# triple (ingest:), removed before the layer is validated and written.
# Input: ingest:* values per row (signatories.schema.json), the gazetteer and
# the curated organisations in GRAPH ingest:context.
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX ingest: <https://w3id.org/citykg/ingest#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

# 1. Country: the gazetteer country whose ISO 3166-1 alpha-2 code is the row's
#    (upper-cased); for the countries Natural Earth gives no code (France,
#    Norway) the one whose English label is the row's country_name.
INSERT { ?s ingest:A2 ?a2 } WHERE { ?s ingest:cc ?cc BIND (UCASE(?cc) AS ?a2) } ;

INSERT { ?s ingest:country ?c }
WHERE { ?s ingest:A2 ?a2 . GRAPH ingest:context { ?c a ckg:Country ; ckg:isoAlpha2Code ?a2 } } ;

INSERT { ?s ingest:countryEn ?en } WHERE {
  ?s ingest:countryName ?n . FILTER NOT EXISTS { ?s ingest:country ?known }
  BIND (STRLANG(?n, "en") AS ?en)
} ;

INSERT { ?s ingest:country ?c ; ingest:countryByName true }
WHERE { ?s ingest:countryEn ?en . GRAPH ingest:context { ?c a ckg:Country ; rdfs:label ?en } } ;

# 2. Gazetteer cities: a lower-cased key per label, the country, and the
#    coordinates read back from the WKT point "POINT(lon lat)".
INSERT { ?city ingest:key ?k } WHERE {
  GRAPH ingest:context { ?city a ckg:City ; rdfs:label ?l }
  BIND (LCASE(STR(?l)) AS ?k)
} ;

INSERT { ?city ingest:cLat ?la ; ingest:cLon ?lo } WHERE {
  GRAPH ingest:context { ?city a ckg:City ; geo:hasGeometry/geo:asWKT ?w }
  BIND (STRBEFORE(STRAFTER(STR(?w), "POINT("), ")") AS ?xy)
  BIND (xsd:decimal(STRBEFORE(?xy, " ")) AS ?lo)
  BIND (xsd:decimal(STRAFTER(?xy, " ")) AS ?la)
} ;

# 3. Coordinates: a cell is read as a number only when written as one with a
#    decimal point in range ("10,219287" with a decimal comma, "-4.1e-05" in
#    exponent notation are not guessed at: withheld and reported). "null" and
#    "-" are empty cells (signatories.schema.json).
INSERT { ?s ingest:latD ?la } WHERE {
  ?s ingest:lat ?t . FILTER (REGEX(?t, "^-?[0-9]{1,2}(\\.[0-9]+)?$")) BIND (xsd:decimal(?t) AS ?la)
  FILTER (?la >= -90 && ?la <= 90)
} ;
INSERT { ?s ingest:lonD ?lo } WHERE {
  ?s ingest:lon ?t . FILTER (REGEX(?t, "^-?[0-9]{1,3}(\\.[0-9]+)?$")) BIND (xsd:decimal(?t) AS ?lo)
  FILTER (?lo >= -180 && ?lo <= 180)
} ;
INSERT { ?s ingest:coordProblem "not a decimal number in range" } WHERE {
  { ?s ingest:lat ?t FILTER NOT EXISTS { ?s ingest:latD ?x } }
  UNION { ?s ingest:lon ?t FILTER NOT EXISTS { ?s ingest:lonD ?x } }
} ;

#    Coordinates that are not the signatory's location are withheld (no
#    geometry, no distance): a pair shared by three rows or more (a country's
#    or a region's centre used as a placeholder), or given in whole degrees.
INSERT { ?s ingest:coordProblem "placeholder" } WHERE {
  { SELECT ?la ?lo WHERE { ?x ingest:latD ?la ; ingest:lonD ?lo } GROUP BY ?la ?lo HAVING (COUNT(?x) >= 3) }
  ?s ingest:latD ?la ; ingest:lonD ?lo .
} ;

INSERT { ?s ingest:coordProblem "whole degrees" } WHERE {
  ?s ingest:latD ?la ; ingest:lonD ?lo .
  FILTER NOT EXISTS { ?s ingest:coordProblem ?p }
  FILTER (?la = FLOOR(?la) && ?lo = FLOOR(?lo))
} ;

# 4. The extent of each country: the box around its gazetteer places, padded
#    by 5 degrees. A point outside it whose swapped pair falls inside has its
#    latitude and longitude swapped: withheld, not corrected. A point outside
#    whose swapped pair is outside too (overseas territories, a country with
#    few gazetteer places), or whose latitude and longitude are within 5
#    degrees of each other (a swap cannot be told), is kept and reported.
INSERT { ?c ingest:minLat ?a ; ingest:maxLat ?b ; ingest:minLon ?d ; ingest:maxLon ?e } WHERE {
  { SELECT ?c (MIN(?la) - 5 AS ?a) (MAX(?la) + 5 AS ?b) (MIN(?lo) - 5 AS ?d) (MAX(?lo) + 5 AS ?e)
    WHERE { ?city ingest:cLat ?la ; ingest:cLon ?lo . GRAPH ingest:context { ?city ckg:country ?c } }
    GROUP BY ?c }
} ;

INSERT { ?s ingest:coordProblem ?problem } WHERE {
  ?s ingest:latD ?la ; ingest:lonD ?lo ; ingest:country ?c .
  FILTER NOT EXISTS { ?s ingest:coordProblem ?p }
  ?c ingest:minLat ?a ; ingest:maxLat ?b ; ingest:minLon ?d ; ingest:maxLon ?e .
  FILTER (?la < ?a || ?la > ?b || ?lo < ?d || ?lo > ?e)
  BIND (IF(?lo >= ?a && ?lo <= ?b && ?la >= ?d && ?la <= ?e && ABS(?la - ?lo) > 5,
           "swapped", "outside country extent, kept") AS ?problem)
} ;

INSERT { ?s ingest:coordProblem "withheld by known-errors.csv" } WHERE {
  ?f ingest:fixOrgId ?id ; ingest:fixColumn "coordinates" . ?s ingest:orgId ?id .
} ;

INSERT { ?s ingest:pLat ?la ; ingest:pLon ?lo } WHERE {
  ?s ingest:latD ?la ; ingest:lonD ?lo .
  FILTER NOT EXISTS { ?s ingest:coordProblem ?p . FILTER (?p != "outside country extent, kept") }
} ;

# 5. Matching (individual signatories only; a group is no place): a gazetteer
#    city of the same country with the same name (any of its labels, case
#    ignored) is a name candidate; it is a near candidate when it lies within
#    30 km of the signatory's usable coordinates (equirectangular distance in doubles,
#    cos(latitude) by its Taylor series to x^8, error under 0.1% below 70°).
INSERT { ?s ingest:key ?k } WHERE { ?s ingest:name ?n ; ingest:isGroup false BIND (LCASE(?n) AS ?k) } ;

INSERT { ?s ingest:nameCandidate ?city } WHERE {
  ?s ingest:key ?k ; ingest:country ?c .
  ?city ingest:key ?k .
  GRAPH ingest:context { ?city ckg:country ?c }
} ;

INSERT { ?s ingest:nearCandidate ?city ; ingest:km2 ?d2 } WHERE {
  ?s ingest:nameCandidate ?city ; ingest:pLat ?la ; ingest:pLon ?lo .
  ?city ingest:cLat ?cla ; ingest:cLon ?clo .
  BIND (xsd:double(?la) * 3.141592653589793e0 / 180 AS ?x)
  BIND (?x * ?x AS ?x2)
  BIND (1 - ?x2 / 2 + ?x2 * ?x2 / 24 - ?x2 * ?x2 * ?x2 / 720 + ?x2 * ?x2 * ?x2 * ?x2 / 40320 AS ?cosLat)
  BIND (xsd:double(?la - ?cla) * 111.195e0 AS ?dy)
  BIND (xsd:double(?lo - ?clo) * 111.195e0 * ?cosLat AS ?dx)
  BIND (?dx * ?dx + ?dy * ?dy AS ?d2)
  FILTER (?d2 <= 900)
} ;

# A row with one near candidate that no other row also claims is matched;
# two near candidates, or one city claimed by two rows, is ambiguous: those
# rows keep places of their own.
INSERT { ?s ingest:match ?city } WHERE {
  ?s ingest:nearCandidate ?city .
  FILTER NOT EXISTS { ?s ingest:nearCandidate ?other . FILTER (?other != ?city) }
  FILTER NOT EXISTS { ?s2 ingest:nearCandidate ?city . FILTER (?s2 != ?s) }
} ;

INSERT { ?s ingest:ambiguous true } WHERE {
  ?s ingest:nearCandidate ?city . FILTER NOT EXISTS { ?s ingest:match ?m }
} ;

# 6. The agent and place of each row. A matched row is its city's government:
#    the curated one if data/organizations.ttl has exactly one city government
#    of that city, else city-government/<the city's key>.
INSERT { ?s ingest:agent ?gov ; ingest:place ?city }
WHERE {
  ?s ingest:match ?city .
  GRAPH ingest:context { ?gov a ckg:CityGovernment ; ckg:governs ?city }
  FILTER NOT EXISTS { GRAPH ingest:context { ?gov2 a ckg:CityGovernment ; ckg:governs ?city . FILTER (?gov2 != ?gov) } }
} ;

INSERT { ?s ingest:agent ?gov ; ingest:place ?city ; ingest:newGovernment true }
WHERE {
  ?s ingest:match ?city . FILTER NOT EXISTS { ?s ingest:agent ?known }
  BIND (IRI(REPLACE(STR(?city), "/id/city/", "/id/city-government/")) AS ?gov)
} ;

INSERT { ?s ingest:agent ?a ; ingest:place ?p ; ingest:newPlace true }
WHERE {
  ?s ingest:orgId ?id ; ingest:isGroup false . FILTER NOT EXISTS { ?s ingest:agent ?known }
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/local-authority/covenant-", REPLACE(?id, "_", "-"))) AS ?a)
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/place/covenant-", REPLACE(?id, "_", "-"))) AS ?p)
} ;

INSERT { ?s ingest:agent ?a }
WHERE {
  ?s ingest:orgId ?id ; ingest:isGroup true .
  BIND (IRI(CONCAT("https://w3id.org/citykg/id/local-authority-group/covenant-", REPLACE(?id, "_", "-"))) AS ?a)
} ;
