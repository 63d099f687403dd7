"""Settings of a citykg run: shipped resources plus the user's own folders.

Settings come from, in increasing precedence: the defaults, a ``citykg.toml``
in the working directory (or the file given with ``--config``), and the
command-line options.

A ``citykg.toml`` looks like::

    [citykg]
    data = ["my-data"]          # extra Turtle folders, loaded into the data graph
    queries = ["my-queries"]    # extra stored-query folders
    store = ".citykg-store"     # an on-disk Oxigraph store instead of memory
    endpoint = "http://localhost:7878/query"   # a remote SPARQL endpoint
    reasoning = true
    query_timeout = 30
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, SourceNotFoundError
from .resources import resource_dir

CONFIG_FILE = "citykg.toml"


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know; immutable, derive changed copies with :meth:`with_`."""

    ontology_dirs: tuple[Path, ...] = field(default_factory=lambda: (resource_dir("ontology"),))
    shapes_dirs: tuple[Path, ...] = field(default_factory=lambda: (resource_dir("shapes"),))
    data_dirs: tuple[Path, ...] = field(default_factory=lambda: (resource_dir("data"),))
    query_dirs: tuple[Path, ...] = field(default_factory=lambda: (resource_dir("queries"),))
    store_path: Path | None = None
    endpoint: str | None = None
    update_endpoint: str | None = None
    reasoning: bool = True
    query_timeout: float = 30.0
    user_agent: str = "citykg/0.1 (https://w3id.org/citykg; citykg@example.org)"

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _dirs(value: Any, key: str, base: Path, origin: str) -> tuple[Path, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{origin}: '{key}' must be a folder or a list of folders")
    paths = []
    for v in value:
        p = (base / v).resolve()
        if not p.is_dir():
            raise SourceNotFoundError(f"{origin}: '{key}' folder {v!r} does not exist ({p})")
        paths.append(p)
    return tuple(paths)


def load_settings(
    config_file: Path | None = None,
    *,
    extra_data: list[Path] | None = None,
    extra_queries: list[Path] | None = None,
    store_path: Path | None = None,
    endpoint: str | None = None,
    reasoning: bool | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Settings from the defaults, a ``citykg.toml`` and explicit options.

    >>> s = load_settings(cwd=Path("/nonexistent-folder"))
    >>> s.reasoning
    True
    """
    settings = Settings()
    cwd = cwd or Path.cwd()
    path = config_file if config_file is not None else cwd / CONFIG_FILE
    if config_file is not None and not config_file.is_file():
        raise SourceNotFoundError(f"configuration file {config_file} does not exist")
    if path.is_file():
        origin = str(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{origin}: not valid TOML: {e}") from e
        table = doc.get("citykg", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: [citykg] must be a table")
        known = {
            "data",
            "queries",
            "store",
            "endpoint",
            "update_endpoint",
            "reasoning",
            "query_timeout",
            "user_agent",
        }
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(f"{origin}: unknown setting(s) {', '.join(unknown)}")
        base = path.parent
        if "data" in table:
            settings = settings.with_(
                data_dirs=settings.data_dirs + _dirs(table["data"], "data", base, origin)
            )
        if "queries" in table:
            settings = settings.with_(
                query_dirs=settings.query_dirs + _dirs(table["queries"], "queries", base, origin)
            )
        if "store" in table:
            settings = settings.with_(store_path=(base / str(table["store"])).resolve())
        for key in ("endpoint", "update_endpoint", "user_agent"):
            if key in table:
                if not isinstance(table[key], str):
                    raise ConfigError(f"{origin}: '{key}' must be a string")
                settings = settings.with_(**{key: table[key]})
        if "reasoning" in table:
            if not isinstance(table["reasoning"], bool):
                raise ConfigError(f"{origin}: 'reasoning' must be true or false")
            settings = settings.with_(reasoning=table["reasoning"])
        if "query_timeout" in table:
            t = table["query_timeout"]
            if not isinstance(t, int | float) or isinstance(t, bool) or t <= 0:
                raise ConfigError(f"{origin}: 'query_timeout' must be a positive number")
            settings = settings.with_(query_timeout=float(t))
    for d in extra_data or []:
        if not d.is_dir():
            raise SourceNotFoundError(f"data folder {d} does not exist")
        settings = settings.with_(data_dirs=(*settings.data_dirs, d.resolve()))
    for d in extra_queries or []:
        if not d.is_dir():
            raise SourceNotFoundError(f"query folder {d} does not exist")
        settings = settings.with_(query_dirs=(*settings.query_dirs, d.resolve()))
    if store_path is not None:
        settings = settings.with_(store_path=store_path)
    if endpoint is not None:
        settings = settings.with_(endpoint=endpoint)
    if reasoning is not None:
        settings = settings.with_(reasoning=reasoning)
    return settings
