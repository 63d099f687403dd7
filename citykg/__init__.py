"""citykg: a knowledge graph of city diplomacy and the toolkit around it.

>>> import citykg
>>> kg = citykg.load(reasoning=False)            # doctest: +SKIP
>>> kg.query("networks-overview").to_dataframe()  # doctest: +SKIP

Nothing is loaded at import time; :func:`load` builds the graph.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .errors import CitykgError

try:
    __version__ = version("citykg")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from .api import KnowledgeGraph


def load(**kwargs: Any) -> KnowledgeGraph:
    """Build the knowledge graph and return it; see :func:`citykg.api.load`."""
    from .api import load as _load

    return _load(**kwargs)


__all__ = ["CitykgError", "__version__", "load"]
