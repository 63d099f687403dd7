"""The persistent build: reused when nothing changed, incremental when data changed,
and then exactly equal to a full build (graphs, inferences and validation results)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from citykg import buildcache
from citykg.api import open_kg
from citykg.buildcache import open_build
from citykg.config import Settings
from citykg.namespaces import GRAPH_NAMES, graph_iri
from citykg.resources import resource_dir
from citykg.store import to_rdflib

DATA = resource_dir("data")
#: The small curated files of the shipped data (the gazetteer and twinning layers are
#: left out so that each build takes a second).
SMALL = [
    "actions",
    "governance",
    "networks",
    "organizations",
    "people",
    "places",
    "policies",
    "sources",
]

ADDED = """\
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/citykg/id/> .

id:city\\/testville a ckg:City ;
  rdfs:label "Testville"@en ;
  ckg:wikidataId "Q999999991" .
id:city\\/otherville a ckg:City ;
  rdfs:label "Otherville"@en .
id:twinning\\/test-1 a ckg:Twinning ;
  ckg:twinningParty id:city\\/testville, id:city\\/otherville .
id:membership\\/test-1 a org:Membership ;
  org:member id:city-government\\/testville ;
  org:organization id:network\\/test-net ;
  ckg:startDate "not a date"^^xsd:date .
id:city-government\\/testville ckg:governs id:city\\/testville .
"""

CHANGED = ADDED.replace('"not a date"^^xsd:date', '"2001-02-03"^^xsd:date').replace(
    'id:city\\/otherville a ckg:City ;\n  rdfs:label "Otherville"@en .\n', ""
)


def _settings(data: Path, root: Path) -> Settings:
    return Settings(data_dirs=(data,), store_path=root)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "links").mkdir(parents=True)
    for stem in SMALL:
        shutil.copy(DATA / f"{stem}.ttl", d / f"{stem}.ttl")
    shutil.copy(DATA / "links" / "curated.ttl", d / "links" / "curated.ttl")
    return d


def _graphs(store: ox.Store) -> dict[str, rdflib.Graph]:
    out = {}
    for name in GRAPH_NAMES:
        g = rdflib.Graph()
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph_iri(name)))):
            g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
        out[name] = g
    return out


def _shape(g: rdflib.Graph) -> tuple[set[tuple[object, ...]], list[str]]:
    """Triples without blank nodes exactly, the others with every blank node as ``_``
    (rdflib's isomorphism test takes minutes on the reified statements)."""
    plain = {t for t in g if not any(isinstance(x, rdflib.BNode) for x in t)}
    blank = sorted(
        " ".join("_" if isinstance(x, rdflib.BNode) else x.n3() for x in t)
        for t in g
        if any(isinstance(x, rdflib.BNode) for x in t)
    )
    return plain, blank


def _validation(settings: Settings) -> list[str]:
    kg = open_kg(settings)
    return sorted(r.one_line() for r in kg.validate().results)


def _same_as_full(data: Path, incremental_root: Path, full_root: Path) -> None:
    inc = open_build(_settings(data, incremental_root))
    assert inc.manifest["how"].startswith("incremental"), inc.manifest["how"]
    full = open_build(_settings(data, full_root), force=True)
    assert full.manifest["how"] == "full"
    assert inc.key == full.key
    assert inc.store is not None and full.store is not None
    a, b = _graphs(inc.store.ox), _graphs(full.store.ox)
    for name in GRAPH_NAMES:
        assert len(a[name]) == len(b[name]), name
        assert _shape(a[name]) == _shape(b[name]), f"graph {name} differs from a full build"
    for k in ("inferred", "inconsistencies"):
        assert inc.manifest["reasoning"][k] == full.manifest["reasoning"][k]
    assert _validation(_settings(data, incremental_root)) == _validation(_settings(data, full_root))


def test_unchanged_inputs_reuse_the_build(data: Path, tmp_path: Path) -> None:
    root = tmp_path / "builds"
    first = open_build(_settings(data, root))
    assert first.manifest["how"] == "full"
    again = open_build(_settings(data, root))
    assert again.key == first.key and "nothing changed" in again.reason
    assert again.manifest["created"] == first.manifest["created"]
    forced = open_build(_settings(data, root), force=True)
    assert forced.manifest["how"] == "full" and "--force" in forced.reason


def test_the_key_follows_every_input(data: Path, tmp_path: Path) -> None:
    root = tmp_path / "builds"
    key = open_build(_settings(data, root)).key
    assert open_build(Settings(data_dirs=(data,), store_path=root, reasoning=False)).key != key
    mappings = data / "mappings"
    mappings.mkdir()
    (mappings / "m.yaml").write_text("x: 1\n", encoding="utf-8")
    assert open_build(_settings(data, root)).key != key


@pytest.mark.parametrize(
    "in_memory", [True, pytest.param(False, marks=pytest.mark.slow)], ids=["in-memory", "on-disk"]
)
def test_adding_changing_and_removing_a_file_equals_a_full_build(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_memory: bool
) -> None:
    # small inputs are built in memory; large ones on disk, incrementally on a checkpoint
    monkeypatch.setattr(buildcache, "IN_MEMORY_BYTES", 10**12 if in_memory else 0)
    inc, full = tmp_path / "inc", tmp_path / "full"
    base = open_build(_settings(data, inc))
    assert base.manifest["how"] == "full"
    assert base.store is not None
    # the published store holds citykg's graphs only (on disk, reasoning's working
    # graphs are left out when the store is written out again)
    assert {g.value for g in base.store.ox.named_graphs()} <= {
        str(graph_iri(n)) for n in GRAPH_NAMES
    }
    if not in_memory:
        assert any("without the" in s and "working graphs" in s for s in base.manifest["steps"])
    # adding a file: additions only, so reasoning is semi-naive from the added triples
    (data / "test-added.ttl").write_text(ADDED, encoding="utf-8")
    _same_as_full(data, inc, full)
    steps = " ".join(open_build(_settings(data, inc)).manifest["steps"])
    assert "reasoned incrementally" in steps and "validated incrementally" in steps
    if in_memory:  # the base was read from the N-Quads copy it kept, not decoded from its store
        assert "read the base build into memory from its N-Quads copy" in steps
    added = open_kg(_settings(data, inc))
    assert any("not a date" in r.one_line() for r in added.validate().results)
    twins = added.sparql(
        "ASK { <https://w3id.org/citykg/id/city/testville> "
        "<https://w3id.org/citykg/ontology#twinnedWith> "
        "<https://w3id.org/citykg/id/city/otherville> }"
    )
    assert bool(twins), "the SPARQL rule ran on the added triples"
    # changing it: some triples removed, some added
    (data / "test-added.ttl").write_text(CHANGED, encoding="utf-8")
    _same_as_full(data, inc, full)
    # removing a file (another one: removing this one would bring back the first
    # build, which is then reused as it is)
    (data / "policies.ttl").unlink()
    _same_as_full(data, inc, full)
    # and a change in the links graph, which also receives the SPARQL rules' output
    (data / "links" / "more.ttl").write_text(
        "<https://w3id.org/citykg/id/city/testville> "
        "<http://www.w3.org/2004/02/skos/core#exactMatch> "
        "<http://www.wikidata.org/entity/Q999999991> .\n",
        encoding="utf-8",
    )
    _same_as_full(data, inc, full)


def test_a_base_without_its_nquads_copy_is_read_from_its_store(data: Path, tmp_path: Path) -> None:
    """Builds made before the copy existed (or whose copy was deleted) still update incrementally."""
    inc, full = tmp_path / "inc", tmp_path / "full"
    base = open_build(_settings(data, inc))
    copy = base.folder / buildcache.QUADS_COPY
    assert copy.exists()
    copy.unlink()
    (data / "test-added.ttl").write_text(ADDED, encoding="utf-8")
    _same_as_full(data, inc, full)
    steps = " ".join(open_build(_settings(data, inc)).manifest["steps"])
    assert "read the base build into memory from its store" in steps


def test_an_interrupted_build_leaves_nothing_in_use(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "builds"

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(buildcache, "full_validation", boom)
    with pytest.raises(KeyboardInterrupt):
        open_build(_settings(data, root))
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == ["digests.json"]
    monkeypatch.undo()
    assert open_build(_settings(data, root)).manifest["how"] == "full"


def test_two_processes_build_once(data: Path, tmp_path: Path) -> None:
    root = tmp_path / "builds"
    code = (
        "import sys; from pathlib import Path; from citykg.buildcache import open_build; "
        "from citykg.config import Settings; "
        "b = open_build(Settings(data_dirs=(Path(sys.argv[1]),), store_path=Path(sys.argv[2]))); "
        "print(b.manifest['time'])"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(data), str(root)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1], "both processes use the one build"
    assert len([p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir()]) == 1


def test_bulk_and_transactional_reasoning_agree(data: Path) -> None:
    from citykg.reasoning import materialise
    from citykg.resources import resource_dir
    from citykg.store import OxigraphStore

    out = []
    # transactional; bulk; bulk with a working graph per round left in the store
    # (as an on-disk build does, which then writes the store out without them)
    for bulk, keep in ((False, False), (True, False), (True, True)):
        store = OxigraphStore()
        for f in sorted((resource_dir("ontology")).glob("*.ttl")):
            store.load_file(f, "ontology")
        for f in sorted(data.glob("*.ttl")):
            store.load_file(f, "data")
        report = materialise(
            store, [resource_dir("ontology") / "rules"], bulk=bulk, keep_work_graphs=keep
        )
        assert report.inferred > 0
        held = {
            g.value
            for g in store.ox.named_graphs()
            if next(iter(store.ox.quads_for_pattern(None, None, None, g)), None) is not None
        }
        left = held - {str(graph_iri(n)) for n in GRAPH_NAMES}
        if keep:
            assert len(report.work_graphs) == report.rounds + 1
            assert left and left <= set(report.work_graphs)
        else:
            assert not left and not report.work_graphs
        out.append(_graphs(store.ox))
    for name in GRAPH_NAMES:
        assert _shape(out[0][name]) == _shape(out[1][name]) == _shape(out[2][name]), name


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_the_command_line_says_which_build_is_in_use(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "builds"
    first = run_cli("info", "--no-reasoning", "--store", str(store))
    assert first.returncode == 0, first.stderr
    assert "built in full" in first.stdout
    again = run_cli("info", "--no-reasoning", "--store", str(store))
    assert "nothing changed since it was made" in again.stdout
    assert again.stdout.split("\n", 1)[0] == first.stdout.split("\n", 1)[0]  # the same build
    forced = run_cli("build", "--no-reasoning", "--force", "--store", str(store), "-q")
    assert forced.returncode in (0, 5), forced.stderr
    after = run_cli("info", "--no-reasoning", "--store", str(store))
    assert "(full)" in after.stdout and "nothing changed" in after.stdout
