"""Helpers of the stored-query tests: the fixture graph and the golden form of a result."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
FIXTURE_FILE = HERE.parent / "fixtures" / "queries-fixture.trig"


def build_fixture_kg() -> object:
    """The shipped ontology and rules plus the fixture graph, with reasoning."""
    from citykg.api import KnowledgeGraph
    from citykg.config import Settings
    from citykg.loader import LoadPlan, load
    from citykg.reasoning import materialise
    from citykg.store import OxigraphStore

    settings = Settings(data_dirs=())
    store = OxigraphStore()
    load(store, LoadPlan.from_folders(settings.ontology_dirs, ()))
    store.ox.extend(ox.parse(path=str(FIXTURE_FILE), format=ox.RdfFormat.TRIG))
    kg = KnowledgeGraph(settings, store=store)
    materialise(store, kg.rule_dirs())
    return kg


_BNODE_CSV = re.compile(r"(?<![\w:])_:([A-Za-z0-9_\-.]+)")


def normalise_bnodes(text: str) -> str:
    """Rename blank nodes ``_:x`` to ``_:b0``, ``_:b1``... in order of first appearance."""
    names: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        return "_:" + names.setdefault(m.group(1), f"b{len(names)}")

    return _BNODE_CSV.sub(sub, text)


def golden_text(result: object) -> tuple[str, str]:
    """The golden form of a result: ``(suffix, text)``."""
    from citykg.results import AskResult, GraphResult, SelectResult

    if isinstance(result, SelectResult):
        return ".csv", normalise_bnodes(result.to_csv()).replace("\r\n", "\n")
    if isinstance(result, GraphResult):
        return ".nt", normalise_bnodes(result.serialize("ntriples"))
    if isinstance(result, AskResult):
        return ".txt", result.serialize("text")
    raise TypeError(f"unexpected result {result!r}")


#: The essay layer: the curated files whose every claim cites the founding
#: essay (or the curators), plus the gazetteer for the labels of the places
#: they name. Generated layers (twinning) and dataset layers are left out, so
#: that a stored query run on this graph returns only what the essay supports.
ESSAY_FILES = ("actions", "governance", "networks", "organizations", "people", "places",
               "policies", "sources", "gazetteer")


def build_essay_kg() -> object:
    """The shipped ontology and rules plus the essay layer of ``data/``, with reasoning."""
    from citykg.api import KnowledgeGraph
    from citykg.config import Settings
    from citykg.loader import LoadPlan, load
    from citykg.reasoning import materialise
    from citykg.resources import resource_dir
    from citykg.store import OxigraphStore

    settings = Settings(data_dirs=())
    store = OxigraphStore()
    plan = LoadPlan.from_folders(settings.ontology_dirs, ())
    data = resource_dir("data")
    plan.files += [(data / f"{stem}.ttl", "data") for stem in ESSAY_FILES]
    load(store, plan)
    kg = KnowledgeGraph(settings, store=store)
    materialise(store, kg.rule_dirs())
    return kg
