"""Where the shipped ontology, shapes, data and queries are.

In a source checkout they are the folders at the top of the repository; in an
installed wheel they are copied into ``citykg/_resources``. Either way the
same graph is built.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

RESOURCE_KINDS: tuple[str, ...] = ("ontology", "shapes", "data", "queries")


def resource_root() -> Path:
    """The folder that holds ``ontology/``, ``shapes/``, ``data/`` and ``queries/``.

    >>> (resource_root() / "ontology").is_dir()
    True
    """
    package = Path(__file__).resolve().parent
    installed = package / "_resources"
    if (installed / "ontology").is_dir():
        return installed
    return package.parent


def resource_dir(kind: str) -> Path:
    """The shipped folder of one kind (``ontology``, ``shapes``, ``data``, ``queries``)."""
    if kind not in RESOURCE_KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; expected one of {RESOURCE_KINDS}")
    return resource_root() / kind


def installed_version() -> str:
    """The installed package's version (``importlib.metadata``: the one place it lives)."""
    try:
        return version("citykg")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "0.0.0+unknown"
