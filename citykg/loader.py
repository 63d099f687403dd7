"""Loading the ontology, data, links and enrichment files into named graphs.

Files are parsed strictly (Oxigraph's parsers reject every file of the W3C
Turtle negative-syntax suite), so a bad file stops the build with its name,
line and column. The loader also remembers where each subject is defined, so
that a validation report can point at the file and line of a bad record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ParseError, SourceNotFoundError
from .namespaces import GRAPH_NAMES, graph_iri
from .store import FORMATS_BY_SUFFIX, OxigraphStore, Store, parse_file

#: Sub-folders of a data folder that fill graphs other than ``data``.
SPECIAL_DATA_DIRS: dict[str, str] = {"links": "links", "enrichment": "enrichment"}

_PREFIX_RE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.\-]*)?:\s*<([^>]*)>", re.I)
_SUBJECT_RE = re.compile(r"^(<[^>\s]*>|[A-Za-z][\w.\-]*:[^\s;,]*|:[^\s;,]*)(?:\s|$)")


@dataclass
class SourceIndex:
    """Where each subject IRI is first defined: ``iri -> (file, line)``."""

    locations: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add_turtle(self, path: Path) -> None:
        """Index the subjects that start a statement at the beginning of a line."""
        prefixes: dict[str, str] = {}
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return
        for n, line in enumerate(lines, start=1):
            m = _PREFIX_RE.match(line)
            if m:
                prefixes[m.group(1) or ""] = m.group(2)
                continue
            m = _SUBJECT_RE.match(line)
            if not m:
                continue
            tok = m.group(1)
            if tok.startswith("<"):
                iri = tok[1:-1]
            else:
                pfx, _, local = tok.partition(":")
                if pfx not in prefixes:
                    continue
                iri = prefixes[pfx] + local.replace("\\", "")
            self.locations.setdefault(iri, (str(path), n))

    def where(self, iri: str) -> tuple[str, int] | None:
        """The file and line that define ``iri``, if known."""
        return self.locations.get(iri)


def rdf_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """RDF files of a folder in a stable order (hidden files and ``raw/`` skipped)."""
    if not folder.is_dir():
        raise SourceNotFoundError(f"{folder}: no such folder")
    pattern = "**/*" if recursive else "*"
    return sorted(
        p
        for p in folder.glob(pattern)
        if p.is_file()
        and p.suffix.lower() in FORMATS_BY_SUFFIX
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


@dataclass
class LoadPlan:
    """Which file goes into which named graph."""

    files: list[tuple[Path, str]] = field(default_factory=list)

    @classmethod
    def from_folders(
        cls,
        ontology_dirs: Iterable[Path],
        data_dirs: Iterable[Path],
    ) -> LoadPlan:
        """Ontology folders into ``ontology``; each data folder's top-level files
        into ``data``, its ``links/`` into ``links`` and ``enrichment/`` into
        ``enrichment``."""
        plan = cls()
        for d in ontology_dirs:
            plan.files += [(p, "ontology") for p in rdf_files(d)]
        for d in data_dirs:
            plan.files += [(p, "data") for p in rdf_files(d)]
            for sub, graph in SPECIAL_DATA_DIRS.items():
                if (d / sub).is_dir():
                    plan.files += [(p, graph) for p in rdf_files(d / sub, recursive=True)]
        return plan


#: Files that name their own graphs: TriG and N-Quads.
QUAD_SUFFIXES = (".trig", ".nq")
#: citykg's own graphs, which a data file may not name.
PROTECTED_GRAPHS: dict[str, str] = {str(graph_iri(name)): name for name in GRAPH_NAMES}


def load_quads(store: OxigraphStore, path: Path, graph: str) -> dict[str, int]:
    """Load a TriG or N-Quads file: each named graph into itself, the default graph into ``graph``.

    A file that names one of citykg's own graphs (ontology, data, links,
    enrichment, inferred) is refused with a :class:`~citykg.errors.ParseError`:
    those graphs are filled from their folders only. Returns triples per graph
    (the short name for ``graph``, the IRI for the graphs the file names).
    """
    import pyoxigraph as ox

    by_graph: dict[str, list[ox.Triple | ox.Quad]] = {}
    for q in parse_file(path):
        name = getattr(q, "graph_name", None)
        if isinstance(name, ox.NamedNode):
            if name.value in PROTECTED_GRAPHS:
                raise ParseError(
                    path,
                    f"names the graph <{name.value}>, which citykg fills from its "
                    f"{PROTECTED_GRAPHS[name.value]} folder only; put these statements in "
                    "another named graph or in the default graph",
                )
            target = name.value
        elif isinstance(name, ox.BlankNode):
            raise ParseError(path, "names a graph with a blank node; give it an IRI")
        else:
            target = graph
        by_graph.setdefault(target, []).append(q)
    return {target: store.add_oxigraph(qs, target) for target, qs in by_graph.items()}


def load(
    store: Store,
    plan: LoadPlan,
    index: SourceIndex | None = None,
    progress: Callable[[Path], None] | None = None,
) -> dict[str, int]:
    """Load every file of the plan; return the triples read per graph."""
    counts: dict[str, int] = {}
    for path, graph in plan.files:
        if path.suffix.lower() in QUAD_SUFFIXES and isinstance(store, OxigraphStore):
            for name, n in load_quads(store, path, graph).items():
                counts[name] = counts.get(name, 0) + n
        else:
            n = store.load_file(path, graph)
            counts[graph] = counts.get(graph, 0) + n
        if index is not None and path.suffix.lower() == ".ttl":
            index.add_turtle(path)
        if progress is not None:
            progress(path)
    return counts
