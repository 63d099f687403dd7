"""Tests of the standard ingest path (citykg.ingest) and the shipped layers it builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from citykg.errors import IngestError
from citykg.ingest import ingest
from citykg.turtle import GENERATED_MARK

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "data" / "mappings"
FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
MEMBERSHIPS = MAPPINGS / "examples" / "memberships.csv-metadata.json"
CKG = "https://w3id.org/citykg/ontology#"

LAYERS = {
    "gazetteer": (
        MAPPINGS / "gazetteer" / "gazetteer.csv-metadata.json",
        ROOT / "data" / "gazetteer.ttl",
    ),
    "twinning": (
        MAPPINGS / "twinning" / "twinning.csv-metadata.json",
        ROOT / "data" / "twinning.ttl",
    ),
}


def _count(path: Path, query: str) -> int:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    solutions = store.query(
        f"PREFIX ckg: <{CKG}> SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {query} }}"
    )
    assert isinstance(solutions, ox.QuerySolutions)
    return int(next(iter(solutions))["n"].value)


@pytest.mark.slow
@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_shipped_layer_rebuilds_byte_for_byte(layer: str, tmp_path: Path) -> None:
    mapping, committed = LAYERS[layer]
    out = tmp_path / committed.name
    result = ingest(None, mapping, out)
    assert result.written
    assert out.read_bytes() == committed.read_bytes()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?s a ckg:Country", 242),
        ("?s a ckg:Subdivision", 294),
        ("?s a ckg:Subdivision ; ckg:wikidataId ?q", 293),
        ("?s a ckg:City", 1251),
        ("?s a ckg:City ; ckg:wikidataId ?q", 1244),
        ("?s a ckg:City ; <http://www.opengis.net/ont/geosparql#hasGeometry> ?g", 1251),
    ],
)
def test_gazetteer_counts(query: str, expected: int) -> None:
    assert _count(LAYERS["gazetteer"][1], query) == expected


def test_gazetteer_has_one_label_per_language_and_no_gorno_altay_qid() -> None:
    path = LAYERS["gazetteer"][1]
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    repeated = store.query(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s WHERE { "
        "?s rdfs:label ?a, ?b . FILTER (?a != ?b && LANG(?a) = LANG(?b)) } LIMIT 1"
    )
    assert isinstance(repeated, ox.QuerySolutions)
    assert list(repeated) == []
    ru_al = ox.NamedNode("https://w3id.org/citykg/id/subdivision/ru-al")
    assert list(store.quads_for_pattern(ru_al, ox.NamedNode(CKG + "wikidataId"), None)) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?s a ckg:Twinning", 17368),
        ("?s a ckg:Place", 9201),
    ],
)
def test_twinning_counts(query: str, expected: int) -> None:
    assert _count(LAYERS["twinning"][1], query) == expected


@pytest.mark.parametrize(
    ("second_item", "city"),
    [("q9899", "q727"), ("q487704", "q18094"), ("q613", "q612"), ("q9005", "q239"), ("q503361", "q2211")],
)
def test_twinning_joins_a_second_item_to_its_city(second_item: str, city: str) -> None:
    """Regression (issue 13): Amsterdam, Honolulu, Dubai, Brussels and Malmö were two nodes each."""
    store = ox.Store()
    store.load(path=str(LAYERS["twinning"][1]), format=ox.RdfFormat.TURTLE)
    place = ox.NamedNode(f"https://w3id.org/citykg/id/place/{second_item}")
    assert list(store.quads_for_pattern(place, None, None)) == []
    assert list(store.quads_for_pattern(None, None, place)) == []
    joined = store.query(
        f"PREFIX ckg: <{CKG}> SELECT (COUNT(*) AS ?n) WHERE {{ ?t ckg:twinningParty "
        f"<https://w3id.org/citykg/id/city/{city}> ; ckg:citation "
        "<https://w3id.org/citykg/id/citation/twinning-same-place> }"
    )
    assert isinstance(joined, ox.QuerySolutions)
    assert int(next(iter(joined))["n"].value) > 0


def test_shipped_layers_parse_strictly_and_carry_the_header() -> None:
    for mapping, path in LAYERS.values():
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"{GENERATED_MARK} from data/mappings/")
        assert mapping.name in text.splitlines()[0]
        list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        assert "https://w3id.org/citykg/ingest#" not in text


def test_memberships_example(tmp_path: Path) -> None:
    out = tmp_path / "memberships.ttl"
    result = ingest(FIXTURES / "memberships.csv", MEMBERSHIPS, out)
    assert result.rows == {"memberships.csv": 3}
    assert result.instances[CKG + "Membership"] == 3
    graph = Graph().parse(out, format="turtle")
    assert len(graph) == result.triples
    first = out.read_bytes()
    ingest(FIXTURES / "memberships.csv", MEMBERSHIPS, out)
    assert out.read_bytes() == first


def test_broken_rows_are_all_reported_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "memberships.ttl"
    with pytest.raises(IngestError) as caught:
        ingest(FIXTURES / "memberships-broken.csv", MEMBERSHIPS, out)
    problems = caught.value.problems
    assert [row for row, _ in problems] == [2, 3, 5, 6]
    reasons = dict(problems)
    assert "start_year" in reasons[2] and "gYear" in reasons[2]
    assert "required cell is empty" in reasons[3]
    assert "unknown city Q999999999" in reasons[5]
    assert "before start year" in reasons[6]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_encoding_is_reported_by_row_and_leaves_the_target_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "memberships.ttl"
    ingest(FIXTURES / "memberships.csv", MEMBERSHIPS, out)
    before = out.read_bytes()
    with pytest.raises(IngestError) as caught:
        ingest(FIXTURES / "memberships-bad-utf8.csv", MEMBERSHIPS, out)
    assert caught.value.problems == [
        (3, "memberships-bad-utf8.csv: not valid utf-8 text (byte 0xE9)")
    ]
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memberships.ttl"]


def test_tsv_is_read() -> None:
    result = ingest(FIXTURES / "memberships.tsv", MEMBERSHIPS, None)
    assert result.instances[CKG + "Membership"] == 1
    assert "membership:c40-q1490" in result.turtle


def test_declared_latin1_encoding_is_read(tmp_path: Path) -> None:
    # The encoding declared in the mapping's dialect (a copy of the example).
    mapping = tmp_path / "memberships-latin1.csv-metadata.json"
    text = MEMBERSHIPS.read_text(encoding="utf-8")
    text = text.replace('"encoding": "utf-8"', '"encoding": "iso-8859-1"')
    text = text.replace(
        '"../../gazetteer.ttl"', f'"{(ROOT / "data" / "gazetteer.ttl").as_posix()}"'
    )
    text = text.replace(
        '"../common/rekey.ru"', f'"{(MAPPINGS / "common" / "rekey.ru").as_posix()}"'
    )
    for script in ("memberships-checks.rq", "memberships-governments.ru"):
        text = text.replace(f'"{script}"', f'"{(MAPPINGS / "examples" / script).as_posix()}"')
    mapping.write_text(text, encoding="utf-8")
    result = ingest(FIXTURES / "memberships-latin1.csv", mapping, None, mapping_label="x")
    assert "<https://example.org/jakarta-caf%C3%A9>" in result.turtle
    # ... and the same file read as UTF-8 is refused, row by row.
    with pytest.raises(IngestError) as caught:
        ingest(FIXTURES / "memberships-latin1.csv", MEMBERSHIPS, None)
    assert [row for row, _ in caught.value.problems] == [2]
    # The keyword overrides the mapping's declaration.
    assert ingest(
        FIXTURES / "memberships-latin1.csv", MEMBERSHIPS, None, encoding="latin-1"
    ).triples


def test_refuses_to_overwrite_a_curated_file(tmp_path: Path) -> None:
    curated = tmp_path / "memberships.ttl"
    curated.write_text("# hand-written\n<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    with pytest.raises(IngestError, match="refusing to overwrite"):
        ingest(FIXTURES / "memberships.csv", MEMBERSHIPS, curated)
    assert curated.read_text(encoding="utf-8").startswith("# hand-written")


def test_validation_hook_failure_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "memberships.ttl"
    seen: list[int] = []

    def validate(graph: Graph) -> list[str]:
        seen.append(len(graph))
        return ["ckgsh:MembershipShape: something is wrong"]

    with pytest.raises(IngestError) as caught:
        ingest(FIXTURES / "memberships.csv", MEMBERSHIPS, out, validate=validate)
    assert seen and seen[0] > 0
    assert caught.value.problems == [(0, "ckgsh:MembershipShape: something is wrong")]
    assert not out.exists()


def test_missing_required_layer_is_named(tmp_path: Path) -> None:
    from citykg.errors import SourceNotFoundError

    with pytest.raises(SourceNotFoundError, match="build it first"):
        ingest(FIXTURES / "memberships.csv", MEMBERSHIPS, None, requires=[tmp_path / "none.ttl"])


def test_folder_source_reads_tables_by_name(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "memberships.csv", tmp_path / "memberships.csv")
    result = ingest(tmp_path, MEMBERSHIPS, None)
    assert result.rows == {"memberships.csv": 3}


def test_dates_are_written_without_a_time_part(tmp_path: Path) -> None:
    """Regression: csvw reads a date as a datetime; the literal must stay an xsd:date."""
    (tmp_path / "dates.csv").write_text("id,day\na,2017-11-14\n", encoding="utf-8")
    mapping = tmp_path / "dates.csv-metadata.json"
    mapping.write_text(
        '{"@context": "http://www.w3.org/ns/csvw", "url": "dates.csv",'
        ' "tableSchema": {"aboutUrl": "https://example.org/{id}", "columns": ['
        '{"name": "id", "titles": "id", "suppressOutput": true},'
        '{"name": "day", "titles": "day", "datatype": "date",'
        ' "propertyUrl": "https://example.org/day"}]}}',
        encoding="utf-8",
    )
    result = ingest(None, mapping, None)
    assert '"2017-11-14"^^xsd:date' in result.turtle
    assert "T00:00:00" not in result.turtle
