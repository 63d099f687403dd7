# Covenant layer, step 3 (SPARQL 1.1 Update): the dataset this layer cites,
# with its licence and the attribution it asks for, the network, and the
# four commitment initiatives the signatories' flags name. Facts from the
# workbook's README sheet and column descriptions
# (data/raw/networks/covenant-of-mayors-readme-sheet.txt, *.metadata.csv).
PREFIX ckg: <https://w3id.org/citykg/ontology#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

INSERT DATA {
  <https://w3id.org/citykg/id/dataset/jrc-gcom-mycovenant-2024> a ckg:Dataset, dcat:Dataset, void:Dataset ;
    rdfs:label "GCoM - MyCovenant, 5th Release, January 2024: signatories (df1)"@en ;
    dcterms:title "Global Covenant of Mayors - A complete collection of action plans and monitoring reports from MyCovenant reporting platform, 5th Release - January 2024, dataframe df1 (signatories)"@en ;
    dcterms:description "11,973 signatories of the Covenant of Mayors and its East and South chapters, one row each, with adhesion date, status, commitment flags, population at adhesion, coordinates and the names of their Covenant Coordinators and Supporters. Changes made before citykg: converted from the workbook df1_Signatories_2024.xlsx to UTF-8 CSV, the mayor column (names of people) dropped, date_of_adhesion written as an ISO date. Changes made by citykg's mapping (data/mappings/covenant/): coordinates that are placeholders, whole degrees or swapped, and one population (organisation 20816), are withheld, not corrected; see data/mappings/covenant/REPORT.md."@en ;
    dcterms:publisher "European Commission, Joint Research Centre (JRC)"@en ;
    dcterms:bibliographicCitation "Baldi, Marta Giulia; Franco, Camilo; Melica, Giulia; Treville, Aldo; Bertoldi, Paolo. 2024. Global Covenant of Mayors - A complete collection of action plans and monitoring reports from MyCovenant reporting platform, Joint Research Centre (JRC) [Dataset ID 5th Release - January 2024]."@en ;
    dcterms:rights "© European Union, 1995-2023. Licensed under CC BY 4.0: reuse is allowed provided appropriate credit is given and any changes are indicated."@en ;
    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;
    dcat:version "5th Release - January 2024" ;
    ckg:snapshotDate "2024-01"^^xsd:gYearMonth ;
    ckg:accessDate "2026-12-01"^^xsd:date .

  <https://w3id.org/citykg/id/citation/covenant-2024> a ckg:Citation ;
    ckg:citedSource <https://w3id.org/citykg/id/dataset/jrc-gcom-mycovenant-2024> ;
    ckg:locator "README sheet and column descriptions (covenant-of-mayors-readme-sheet.txt, covenant-of-mayors-signatories-2024.metadata.csv)"@en ;
    ckg:evidenceTier ckg:TakenFromDataset .

  <https://w3id.org/citykg/id/network/covenant-of-mayors> a ckg:TransnationalMunicipalNetwork ;
    rdfs:label "Covenant of Mayors"@en ;
    skos:altLabel "Covenant of Mayors for Climate and Energy"@en ;
    ckg:citation <https://w3id.org/citykg/id/citation/covenant-2024> ;
    rdfs:comment "The European Covenant of Mayors and its East and South chapters, part of the Global Covenant of Mayors for Climate and Energy (GCoM); its signatories are local authorities and groups of them, guided by Covenant Coordinators and backed by Covenant Supporters. The initiative merged the CoM 2020 initiative with Mayors Adapt in 2015 (column descriptions of commitment_CoM2020_flag and commitment_CoM2030_flag)."@en .

  <https://w3id.org/citykg/id/initiative/com-2020> a ckg:CommitmentInitiative ;
    rdfs:label "CoM 2020 initiative"@en ;
    ckg:initiativeOf <https://w3id.org/citykg/id/network/covenant-of-mayors> ;
    ckg:citation <https://w3id.org/citykg/id/citation/covenant-2024> ;
    rdfs:comment "\"Initiative merged with Mayors Adapt into the Covenant of Mayors for Climate and Energy in 2015\" (column description of commitment_CoM2020_flag)."@en .
  <https://w3id.org/citykg/id/initiative/com-2030> a ckg:CommitmentInitiative ;
    rdfs:label "CoM 2030 initiative"@en ;
    ckg:initiativeOf <https://w3id.org/citykg/id/network/covenant-of-mayors> ;
    ckg:citation <https://w3id.org/citykg/id/citation/covenant-2024> ;
    rdfs:comment "\"Initiative originating from the merger of CoM 2020 and Mayors Adapt in 2015\" (column description of commitment_CoM2030_flag)."@en .
  <https://w3id.org/citykg/id/initiative/com-2050> a ckg:CommitmentInitiative ;
    rdfs:label "CoM 2050 initiative"@en ;
    ckg:initiativeOf <https://w3id.org/citykg/id/network/covenant-of-mayors> ;
    ckg:citation <https://w3id.org/citykg/id/citation/covenant-2024> ;
    rdfs:comment "\"Initiative launched in 2021 to step up the climate ambition of CoM signatories\" (column description of commitment_CoM2050_flag)."@en .
  <https://w3id.org/citykg/id/initiative/mayors-adapt> a ckg:CommitmentInitiative ;
    rdfs:label "Mayors Adapt"@en ;
    ckg:initiativeOf <https://w3id.org/citykg/id/network/covenant-of-mayors> ;
    ckg:citation <https://w3id.org/citykg/id/citation/covenant-2024> ;
    rdfs:comment "\"Initiative merged with CoM 2020 into the Covenant of Mayors for Climate and Energy in 2015\" (column description of commitment_mayoradapt_flag)."@en .
}
