"""``citykg publish``: every file of the release is listed, verified and parses back to the graph.

The release is written once by the command line (a subprocess) and once more
in-process, and the two must be byte-identical. Each RDF file is read back
with a second parser (pyoxigraph's for the RDF formats, PyLD for JSON-LD,
never fetching anything: a document loader serves the published context) and
must be isomorphic to the built graph.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from citykg.namespaces import GRAPH_NAMES, graph_iri
from citykg.publish import (
    canonical_nquads,
    release_notes,
    sorted_lines,
    union_ntriples,
    verify,
)

ROOT = Path(__file__).resolve().parent.parent
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
#: Full publishes of the built graph: the slow set (make test and CI run it).
pytestmark = pytest.mark.slow

VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def release(kg: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release of the built graph, written once for this module."""
    return kg.publish(tmp_path_factory.mktemp("dist"), "9.9.9-test").folder


@pytest.fixture(scope="module")
def built(kg: Any) -> dict[str, bytes]:
    """The built graph, canonical: as quads and as the union of its graphs."""
    quads = [q for name in GRAPH_NAMES for q in
             kg.store.ox.quads_for_pattern(None, None, None, ox.NamedNode(str(graph_iri(name))))]
    nquads = canonical_nquads(quads)
    return {"quads": nquads, "triples": union_ntriples(nquads)}


def _same(parsed: Any, expected: bytes, fmt: ox.RdfFormat) -> bool:
    """Whether parsed statements are the expected canonical text (labels kept, else relabelled)."""
    parsed = list(parsed)
    text = sorted_lines(ox.serialize(parsed, format=fmt) or b"")
    if text == expected:
        return True
    if fmt == ox.RdfFormat.N_QUADS:
        return canonical_nquads(parsed) == expected
    return union_ntriples(canonical_nquads(
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("urn:g")) for t in parsed)) == expected


def _canon_triples(statements: Any) -> bytes:
    g = ox.DefaultGraph()
    return canonical_nquads({ox.Quad(s.subject, s.predicate, s.object, g) for s in statements})


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _local_loader(folder: Path) -> Any:
    context = json.loads((folder / "context.jsonld").read_text(encoding="utf-8"))

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url.endswith("/context.jsonld"):
            return {"contentType": "application/ld+json", "contextUrl": None,
                    "documentUrl": url, "document": context}
        raise AssertionError(f"PyLD tried to fetch {url}")

    return load


def test_catalog_lists_every_file_with_its_size_and_checksum(release: Path) -> None:
    catalog = list(ox.parse(path=str(release / "catalog.ttl"), format=ox.RdfFormat.TURTLE))
    base = next(t.object.value for t in catalog if t.predicate.value == DCAT + "downloadURL"
                and t.object.value.endswith("/citykg.nq"))[: -len("citykg.nq")]
    by_subject: dict[str, dict[str, str]] = {}
    for t in catalog:
        by_subject.setdefault(t.subject.value, {})[t.predicate.value] = t.object.value
    listed = {}
    for props in by_subject.values():
        if DCAT + "downloadURL" in props:
            rel = props[DCAT + "downloadURL"][len(base):]
            checksum = by_subject[props[SPDX + "checksum"]][SPDX + "checksumValue"]
            listed[rel] = (int(props[DCAT + "byteSize"]), checksum, props[DCAT + "mediaType"])
    assert set(listed) == _files(release) - {"catalog.ttl", "SHA256SUMS"}
    for rel, (size, checksum, media) in listed.items():
        data = (release / rel).read_bytes()
        assert len(data) == size, rel
        assert hashlib.sha256(data).hexdigest() == checksum, rel
        assert media.startswith("https://www.iana.org/assignments/media-types/"), rel
    assert verify(release) == []
    sums = (release / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    assert {line.split("  ", 1)[1] for line in sums} == _files(release) - {"SHA256SUMS"}


@pytest.mark.parametrize(("name", "fmt", "kind"), [
    ("citykg.nq", ox.RdfFormat.N_QUADS, "quads"),
    ("citykg.trig", ox.RdfFormat.TRIG, "quads"),
    ("citykg.jsonld", ox.RdfFormat.JSON_LD, "quads"),
    ("citykg.nt.gz", ox.RdfFormat.N_TRIPLES, "triples"),
    ("citykg.ttl", ox.RdfFormat.TURTLE, "triples"),
    ("citykg.rdf", ox.RdfFormat.RDF_XML, "triples"),
])
def test_every_dump_parses_back_to_the_built_graph(release: Path, built: dict[str, bytes],
                                                    name: str, fmt: ox.RdfFormat, kind: str) -> None:
    data = (release / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    base = (release / name).as_uri()
    if fmt == ox.RdfFormat.JSON_LD:
        # pyoxigraph must not fetch the context either: inline it for this parser
        doc = json.loads(data)
        doc["@context"] = json.loads((release / "context.jsonld").read_bytes())["@context"]
        data = json.dumps(doc).encode("utf-8")
    parsed = ox.parse(data, format=fmt, base_iri=base)
    line_format = ox.RdfFormat.N_QUADS if kind == "quads" else ox.RdfFormat.N_TRIPLES
    assert _same(parsed, built[kind], line_format)


def _blank(nquads: bytes) -> Counter[str]:
    return Counter(re.sub(r"_:[A-Za-z0-9]+", "_:x", line)
                   for line in nquads.decode("utf-8").splitlines())


def test_jsonld_converts_back_with_pyld(release: Path, built: dict[str, bytes]) -> None:
    """PyLD reads every graph of the JSON-LD dump: whole for the small ones, a sample of the others.

    (PyLD reads about 5,000 statements a second; pyoxigraph's JSON-LD parser
    checks the whole file above.) Blank node labels are compared as one.
    """
    from pyld import jsonld

    doc = json.loads((release / "citykg.jsonld").read_bytes())
    assert doc["@context"] == "context.jsonld"
    keep: set[tuple[str, str]] = set()
    for g in doc["@graph"]:
        nodes = g["@graph"]
        if len(nodes) > 3000:
            nodes = [n for i, n in enumerate(nodes) if i % 10 == 0 or n["@id"].startswith("_:")]
        g["@graph"] = nodes
        keep |= {(g["@id"], n["@id"]) for n in nodes}
    options = {"format": "application/n-quads", "documentLoader": _local_loader(release),
               "base": (release / "citykg.jsonld").as_uri()}
    got = jsonld.to_rdf(doc, options).encode("utf-8")
    compact = __import__("citykg.publish", fromlist=["_Compactor"])._Compactor(
        __import__("citykg.namespaces", fromlist=["PREFIXES"]).PREFIXES)
    expected = []
    for q in ox.parse(built["quads"], format=ox.RdfFormat.N_QUADS):
        s = q.subject
        sid = f"_:{s.value}" if isinstance(s, ox.BlankNode) else compact(s.value)
        if (q.graph_name.value, sid) in keep:
            expected.append(q)
    assert _blank(got) == _blank(ox.serialize(expected, format=ox.RdfFormat.N_QUADS) or b"")


def test_ontology_is_published_at_its_version_iri_path(release: Path, kg: Any) -> None:
    from pyld import jsonld

    onto = next(release.glob("ontology/*/ontology.ttl")).parent
    version_iri = "https://w3id.org/citykg/" + str(onto.relative_to(release))
    quads = list(kg.store.ox.quads_for_pattern(None, None, None,
                                               ox.NamedNode(str(graph_iri("ontology")))))
    assert any(q.object == ox.NamedNode(version_iri) for q in quads)
    expected = _canon_triples(quads)
    for name, fmt in (("ontology.ttl", ox.RdfFormat.TURTLE), ("ontology.rdf", ox.RdfFormat.RDF_XML)):
        assert _canon_triples(ox.parse(path=str(onto / name), format=fmt)) == expected, name
    doc = json.loads((onto / "ontology.jsonld").read_bytes())
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                 "documentLoader": _local_loader(release),
                                 "base": (onto / "ontology.jsonld").as_uri()})
    assert _canon_triples(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)) == expected


def test_void_figures_match_the_graph(release: Path, kg: Any, built: dict[str, bytes]) -> None:
    void = list(ox.parse(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE))

    def value(subject_suffix: str, prop: str) -> str:
        return next(t.object.value for t in void if t.subject.value.endswith(subject_suffix)
                    and t.predicate.value == VOID + prop)

    assert int(value("#dataset", "triples")) == built["triples"].count(b"\n")
    links = kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s "
                      "<http://www.w3.org/2004/02/skos/core#exactMatch> ?w } "
                      "FILTER(STRSTARTS(STR(?w), 'http://www.wikidata.org/entity/')) }")
    assert int(value("#wikidata-links", "triples")) == int(links.rows[0][0])
    assert int(value("#graph/data", "triples")) == kg.store.graph_sizes()["data"]
    dumps = {t.object.value.rsplit("/", 1)[1] for t in void if t.predicate.value == VOID + "dataDump"}
    assert {"citykg.nq", "citykg.trig", "citykg.nt.gz", "citykg.ttl", "citykg.rdf",
            "citykg.jsonld"} <= dumps
    assert value("#dataset", "uriSpace") == "https://w3id.org/citykg/id/"
    assert (release / "RELEASE-NOTES.md").read_text(encoding="utf-8").startswith("# citykg 9.9.9-test")


@pytest.fixture(scope="module")
def again(kg: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second release of the same graph."""
    return kg.publish(tmp_path_factory.mktemp("again"), "9.9.9-test").folder


def test_two_publishes_are_byte_identical(release: Path, again: Path) -> None:
    """Every file, the ontology documentation, the catalogue and SHA256SUMS included."""
    assert _files(again) == _files(release)
    assert any("/docs/" in rel for rel in _files(release)), "the release has ontology docs"
    for rel in sorted(_files(release)):
        assert (again / rel).read_bytes() == (release / rel).read_bytes(), rel


def test_an_interrupted_publish_leaves_nothing_under_a_final_name(
        kg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import citykg.publish as pub

    def boom(*args: object, **kwargs: object) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(pub, "to_jsonld", boom)
    with pytest.raises(KeyboardInterrupt):
        kg.publish(tmp_path, "1.0.0")
    assert list(tmp_path.iterdir()) == []


def test_release_note_is_the_version_section(tmp_path: Path) -> None:
    log = tmp_path / "CHANGELOG.md"
    log.write_text("# Changelog\n\n## [Unreleased]\n- next\n\n## [1.2.0] - 2025-05-01\n"
                   "### Added\n- publish\n\n## [1.1.0]\n- old\n", encoding="utf-8")
    text, warning = release_notes("1.2.0", log)
    assert "- publish" in text and "- old" not in text and "- next" not in text
    assert warning is None
    text, warning = release_notes("2.0.0", log)
    assert "- next" in text and warning is not None
