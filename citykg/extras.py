"""Optional parts of citykg and the extras that install them.

``pip install citykg`` gives the store, loading, reasoning (OWL 2 RL),
validation, queries and the command line. The rest comes with extras:

=========  =====================================  ==========================
extra      installs                               for
=========  =====================================  ==========================
server     starlette, uvicorn, jinja2             ``citykg serve``, ``kg.app()``
docs       pylode, jinja2                         ``citykg docs``, docs in releases
dl         owlready2 (HermiT; needs Java)         ``citykg reason --dl``
notebook   pandas, matplotlib                     ``result.to_dataframe()``, ``df.plot()``
analytics  networkx, scipy, matplotlib, pandas    ``kg.analytics``, ``citykg report``, GraphML/GEXF
all        all of the above
=========  =====================================  ==========================

>>> require("json", "server", "serving").__name__
'json'
>>> require("no_such_module_anywhere", "docs", "citykg docs")
Traceback (most recent call last):
...
citykg.errors.MissingExtraError: citykg docs needs the optional 'docs' part: pip install 'citykg[docs]' (no_such_module_anywhere is missing)
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtraError

#: The import names each extra provides (checked by the tests against pyproject.toml).
EXTRAS: dict[str, tuple[str, ...]] = {
    "server": ("starlette", "uvicorn", "jinja2"),
    "docs": ("pylode", "jinja2"),
    "dl": ("owlready2",),
    "notebook": ("pandas", "matplotlib"),
    "analytics": ("networkx", "scipy", "matplotlib", "pandas"),
}


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        missing = e.name or module
        raise MissingExtraError(
            f"{purpose} needs the optional '{extra}' part: pip install 'citykg[{extra}]' "
            f"({missing} is missing)"
        ) from None


def require_extra(extra: str, purpose: str) -> None:
    """Check that every module of ``extra`` imports; raise :class:`MissingExtraError` if not."""
    for module in EXTRAS[extra]:
        require(module, extra, purpose)


__all__ = ["EXTRAS", "require", "require_extra"]
