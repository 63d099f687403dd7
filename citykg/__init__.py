"""citykg: a knowledge graph of city diplomacy and the toolkit around it.

The public API is :mod:`citykg.api`, re-exported here; nothing is loaded at
import time (the names below import their module on first use).

>>> import citykg
>>> kg = citykg.load()
>>> kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?t a ckg:Twinning }").rows[0][0].toPython() > 10000
True
>>> df = kg.query("sister-cities-of-city", city="https://w3id.org/citykg/id/city/q90").to_dataframe()
>>> len(df) > 0
True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import CitykgError
from .resources import installed_version

__version__ = installed_version()

if TYPE_CHECKING:
    from .api import (
        KnowledgeGraph,
        build_docs,
        check_dl,
        check_sparql,
        ingest_table,
        lint_ontology,
        load,
        load_dump,
        push_release,
        reconcile_table,
        wikidata_client,
    )
    from .server.asgi import create_app, serve

_API = (
    "KnowledgeGraph",
    "check_dl",
    "check_sparql",
    "build_docs",
    "ingest_table",
    "lint_ontology",
    "load",
    "load_dump",
    "push_release",
    "reconcile_table",
    "wikidata_client",
)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(".api", __name__), name)
    if name in ("create_app", "serve"):
        return getattr(import_module(".server.asgi", __name__), name)
    raise AttributeError(f"module 'citykg' has no attribute {name!r}")


__all__ = [
    "CitykgError",
    "KnowledgeGraph",
    "__version__",
    "build_docs",
    "check_dl",
    "check_sparql",
    "create_app",
    "ingest_table",
    "lint_ontology",
    "load",
    "load_dump",
    "push_release",
    "reconcile_table",
    "serve",
    "wikidata_client",
]
