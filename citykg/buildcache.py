"""Build once, answer at once: persistent, content-addressed, incremental builds.

A build (the Oxigraph store with every named graph loaded and the inferences
materialised, its build report, the source index and, once asked for, the
validation results) is kept on disk under a *cache root*: the ``--store``
folder, or else ``$CITYKG_CACHE_DIR``, or else the user cache folder
(``platformdirs``). It is keyed by a SHA-256 digest of everything that
determines it: the content and graph of every ontology, data, links and
enrichment file, the SPARQL rules, the shapes, the ingest mappings, citykg's
and Oxigraph's versions, the build format and the options (reasoning on or
off). So:

- **nothing changed**: the build of that key is opened read-only and answers
  at once (nothing is parsed, nothing is reasoned);
- **data changed** (ontology, rules, shapes and options the same): the newest
  build of the same configuration is copied (a RocksDB checkpoint: hard links
  to its immutable table files), and only what depends on the change is redone.
  Exactly what is incremental:

  * *loading*: each named graph whose files changed is re-read into a staging
    graph and replaced by its difference (triples removed, triples added);
    graphs whose files did not change are not touched;
  * *reasoning*: when the change only adds triples, semi-naive evaluation
    starts from the added triples (:func:`citykg.reasoning.materialise` with
    ``delta``) and the result equals a full run; when it removes any triple,
    the inferences are recomputed in full (semi-naive from scratch): deleting
    inferences incrementally (DRed) is not done;
  * *validation*: only the compiled shape queries whose predicates or classes
    occur among the changed triples (asserted or inferred) are re-run; the
    others keep their previous rows; a changed ``rdfs:subClassOf`` re-runs all;
  * *source index*: only changed files are re-scanned;

- **anything else changed** (ontology, rules, shapes, versions, options, or
  ``--force``): a full build.

Builds are written under a temporary name inside the cache root and published
by renaming the finished folder, under an exclusive lock (``fcntl``), so two
processes never build the same thing twice, a reader never sees half a store,
and an interrupted build leaves only a temporary folder, removed by the next
build. The newest :data:`KEEP` builds are kept.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import pyoxigraph as ox

from .config import Settings
from .errors import CitykgError, ParseError
from .loader import LoadPlan, SourceIndex, rdf_files
from .namespaces import GRAPH_NAMES, graph_iri
from .store import FORMATS_BY_SUFFIX, OxigraphStore

if TYPE_CHECKING:
    from .api import KnowledgeGraph
    from .reasoning import RLReport
    from .shacl_sparql import RawResult, _Query
    from .validation import Report

#: Bump when the layout of a build changes, so old builds are never reused.
BUILD_FORMAT = 1
#: An in-memory build keeps its quads here (gzipped N-Quads), for an incremental build
#: to read into memory faster than from the store.
QUADS_COPY = "quads.nq.gz"
#: Inputs up to this size are built in memory and written to disk at the end
#: (Oxigraph's in-memory store updates much faster than RocksDB); larger ones on disk.
IN_MEMORY_BYTES = int(os.environ.get("CITYKG_IN_MEMORY_BYTES", 400_000_000))
#: How many finished builds a cache root keeps (newest first); ``$CITYKG_CACHE_KEEP``.
KEEP = int(os.environ.get("CITYKG_CACHE_KEEP", 4))
CACHE_ENV = "CITYKG_CACHE_DIR"
MANIFEST = "manifest.json"
STAGING = str(graph_iri("_staging"))

Progress = Callable[[str, int, int], None]


class BuildCacheError(CitykgError):
    """The build cache could not be used (a lock, a broken cache folder)."""


# --- inputs and keys ----------------------------------------------------------


def cache_root(settings: Settings) -> Path:
    """Where builds live: ``--store``, else ``$CITYKG_CACHE_DIR``, else the user cache."""
    if settings.store_path is not None:
        return Path(settings.store_path)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("citykg")) / "builds"


@dataclass(frozen=True)
class Input:
    """One file a build depends on: its role, target graph (if loaded), path and digest."""

    role: str  # ontology | data | rules | shapes | mappings
    graph: str
    path: str
    digest: str


class _DigestMemo:
    """SHA-256 of files, remembered by (size, mtime) so unchanged big files are not re-read."""

    def __init__(self, root: Path) -> None:
        self.file = root / "digests.json"
        try:
            self.memo: dict[str, list[Any]] = json.loads(self.file.read_text("utf-8"))
        except (OSError, ValueError):
            self.memo = {}
        self.dirty = False

    def digest(self, path: Path) -> str:
        st = path.stat()
        key = str(path)
        hit = self.memo.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return str(hit[2])
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        d = h.hexdigest()
        self.memo[key] = [st.st_size, st.st_mtime_ns, d]
        self.dirty = True
        return d

    def save(self) -> None:
        if self.dirty:
            with contextlib.suppress(OSError):
                _write_atomic(self.file, json.dumps(self.memo).encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def collect_inputs(settings: Settings, memo: _DigestMemo) -> list[Input]:
    """Every file that determines a build, in load order."""
    out: list[Input] = []
    plan = LoadPlan.from_folders(settings.ontology_dirs, settings.data_dirs)
    for path, graph in plan.files:
        role = "ontology" if graph == "ontology" else "data"
        out.append(Input(role, graph, str(path), memo.digest(path)))
    for d in settings.ontology_dirs:
        rules = d / "rules"
        if rules.is_dir():
            for p in sorted(rules.glob("*.rq")):
                out.append(Input("rules", "", str(p), memo.digest(p)))
    for d in settings.shapes_dirs:
        for p in rdf_files(d):
            out.append(Input("shapes", "", str(p), memo.digest(p)))
    for d in settings.data_dirs:
        m = d / "mappings"
        if m.is_dir():
            for p in sorted(x for x in m.rglob("*") if x.is_file()):
                if not any(part.startswith(".") for part in p.relative_to(m).parts):
                    out.append(Input("mappings", "", str(p), memo.digest(p)))
    return out


def _versions() -> dict[str, str]:
    from .resources import installed_version

    return {
        "citykg": installed_version(),
        "pyoxigraph": ox.__version__,
        "format": str(BUILD_FORMAT),
    }


def build_keys(inputs: Sequence[Input], settings: Settings) -> tuple[str, str]:
    """``(build key, configuration key)``: the second ignores data, links and mappings."""
    config = {
        "versions": _versions(),
        "reasoning": settings.reasoning,
        "inputs": [asdict(i) for i in inputs if i.role in ("ontology", "rules", "shapes")],
    }
    config_key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    rest = [asdict(i) for i in inputs if i.role in ("data", "mappings")]
    key = hashlib.sha256(json.dumps([config_key, rest], sort_keys=True).encode()).hexdigest()
    return key, config_key


# --- the lock -----------------------------------------------------------------


@contextlib.contextmanager
def _locked(root: Path, timeout: float = 3600.0) -> Iterator[None]:
    """An exclusive lock on a cache root, across processes."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a+") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BuildCacheError(
                        f"{root}: another citykg process has been building for over "
                        f"{timeout:.0f} s; try again later"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


# --- loading ------------------------------------------------------------------


class _ProgressReader:
    """A binary file that reports the bytes read, for a progress bar with rate and ETA."""

    def __init__(self, f: BinaryIO, report: Callable[[int], None]) -> None:
        self.f = f
        self.done = 0
        self.report = report

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.done += len(data)
        self.report(self.done)
        return data

    def readinto(self, b: Any) -> int:
        n = self.f.readinto(b)  # type: ignore[attr-defined]
        self.done += n or 0
        self.report(self.done)
        return n or 0


def load_graph_files(
    store: ox.Store,
    files: Sequence[tuple[Path, str]],
    progress: Progress | None = None,
    *,
    to_graph: str | None = None,
) -> None:
    """Stream files into their graphs with Oxigraph's bulk loader (no parse in Python).

    A syntax error becomes a :class:`ParseError` naming the file, line and column.
    ``progress`` gets ``("bytes", done, total)`` over all files.
    """
    total = sum(p.stat().st_size for p, _ in files)
    base = 0
    for path, graph in files:
        fmt = FORMATS_BY_SUFFIX.get(path.suffix.lower())
        if fmt is None:
            raise ParseError(path, f"unknown RDF file type {path.suffix!r}")
        target = ox.NamedNode(to_graph or str(graph_iri(graph)))
        offset = base

        def report(n: int, offset: int = offset) -> None:
            if progress is not None:
                progress("bytes", offset + n, total)

        try:
            with path.open("rb") as f:
                store.bulk_load(_ProgressReader(f, report), format=fmt, to_graph=target)  # type: ignore[arg-type]
        except SyntaxError as e:
            msg = e.msg or str(e)
            if msg.startswith("Parser error at line") and ": " in msg:
                msg = msg.split(": ", 1)[1]
            raise ParseError(path, msg, e.lineno, e.offset) from None
        except (OSError, ValueError) as e:
            raise ParseError(path, str(e)) from None
        base += path.stat().st_size
    if progress is not None:
        progress("bytes", total, total)


def _index_file(path: Path) -> dict[str, int]:
    idx = SourceIndex()
    if path.suffix.lower() == ".ttl":
        idx.add_turtle(path)
    return {iri: line for iri, (_f, line) in idx.locations.items()}


class StoredIndex(SourceIndex):
    """A source index read from a build folder on first use (not on the query path)."""

    def __init__(self, file: Path) -> None:
        super().__init__()
        self._file = file
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            doc = json.loads(self._file.read_text("utf-8"))
        except (OSError, ValueError):
            return
        for path, _digest, entries in doc.get("files", []):
            for iri, line in entries.items():
                self.locations.setdefault(iri, (path, line))

    def where(self, iri: str) -> tuple[str, int] | None:
        self._load()
        return super().where(iri)


# --- builds -------------------------------------------------------------------


@dataclass
class Build:
    """A finished build on disk and why it is the one in use."""

    folder: Path
    key: str
    manifest: dict[str, Any]
    reason: str
    store: OxigraphStore | None = None

    @property
    def store_folder(self) -> Path:
        return self.folder / "store"

    def describe(self) -> list[str]:
        """Lines for ``citykg info``: which build, made how, and why it is in use."""
        m = self.manifest
        lines = [
            f"build {self.key[:16]} in {self.folder}",
            f"  in use: {self.reason}",
            f"  made {m.get('created', '?')} ({m.get('how', '?')}) in {m.get('seconds', 0):.1f} s",
        ]
        lines += [f"  {step}" for step in m.get("steps", [])]
        return lines

    def report_fields(self) -> dict[str, Any]:
        """The fields of the :class:`~citykg.api.BuildReport` of this build."""
        from .reasoning import RLReport

        m = self.manifest
        r = m.get("reasoning")
        return {
            "loaded": dict(m.get("loaded", {})),
            "sizes": dict(m.get("sizes", {})),
            "files": int(m.get("files", 0)),
            "reasoning": RLReport(
                r["inferred"],
                r["rounds"],
                r["rules"],
                r["custom_rules"],
                list(r["inconsistencies"]),
            )
            if r
            else None,
        }


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        doc: dict[str, Any] = json.loads((folder / MANIFEST).read_text("utf-8"))
        return doc
    except (OSError, ValueError):
        return None


def _builds(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Finished builds of a cache root, newest first."""
    out = []
    if root.is_dir():
        for d in root.iterdir():
            if d.is_dir() and not d.name.startswith("."):
                m = _manifest(d)
                if m is not None and m.get("format") == BUILD_FORMAT:
                    out.append((d, m))
    return sorted(out, key=lambda x: float(x[1].get("time", 0)), reverse=True)


def _checkpoint(src: Path, dst: Path) -> None:
    """Copy a closed RocksDB folder: hard links to its immutable ``.sst`` tables, copies of the rest."""
    dst.mkdir(parents=True)
    for p in src.iterdir():
        if p.is_file():
            if p.suffix == ".sst":
                try:
                    os.link(p, dst / p.name)
                    continue
                except OSError:
                    pass
            shutil.copy2(p, dst / p.name)


def _rule_dirs(settings: Settings) -> list[Path]:
    return [d / "rules" for d in settings.ontology_dirs]


def _quads(store: ox.Store, query: str) -> list[ox.Triple]:
    res = store.query(query)
    assert isinstance(res, ox.QueryTriples)
    return list(res)


_NO_BLANK = "FILTER(!isBlank(?s) && !isBlank(?o))"
_BLANK = "FILTER(isBlank(?s) || isBlank(?o))"


def _diff(store: ox.Store, old: str, new: str) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """``(added, removed)`` from graph ``old`` to graph ``new``.

    Triples without blank nodes are compared one by one. Blank nodes get new
    labels each time a file is parsed, so the triples that hold them are compared
    as a whole, each blank node named by its edges to named terms (see
    :func:`_bnode_canon`): unchanged, they are kept as they were; changed, or not
    nameable that way, all of them are replaced (correct, only less minimal).
    """

    def construct(a: str, b: str, filt: str, exists: bool = False) -> list[ox.Triple]:
        minus = f"FILTER NOT EXISTS {{ GRAPH <{b}> {{ ?s ?p ?o }} }}" if exists else ""
        return _quads(
            store,
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{a}> {{ ?s ?p ?o }} {filt} {minus} }}",
        )

    added = construct(new, old, _NO_BLANK, True)
    removed = construct(old, new, _NO_BLANK, True)
    b_old, b_new = construct(old, new, _BLANK), construct(new, old, _BLANK)
    if b_old or b_new:
        c_old, c_new = _bnode_canon(b_old), _bnode_canon(b_new)
        if len(b_old) != len(b_new) or c_old is None or c_old != c_new:
            added += b_new
            removed += b_old
    return added, removed


def _bnode_canon(triples: list[ox.Triple]) -> frozenset[str] | None:
    """The triples with each blank node named by what it says (its edges to named
    terms), or ``None`` when two blank nodes say the same (then no cheap canonical
    form exists, and the caller treats the triples as changed)."""
    edges: dict[str, list[str]] = {}
    for t in triples:
        s, o = t.subject, t.object
        if isinstance(s, ox.BlankNode):
            other = "_" if isinstance(o, ox.BlankNode) else str(o)
            edges.setdefault(s.value, []).append(f"> {t.predicate} {other}")
        if isinstance(o, ox.BlankNode):
            other = "_" if isinstance(s, ox.BlankNode) else str(s)
            edges.setdefault(o.value, []).append(f"< {t.predicate} {other}")
    names = {b: "\n".join(sorted(e)) for b, e in edges.items()}
    if len(set(names.values())) != len(names):
        return None

    def term(x: object) -> str:
        return "[" + names[x.value] + "]" if isinstance(x, ox.BlankNode) else str(x)

    return frozenset(f"{term(t.subject)} {t.predicate} {term(t.object)}" for t in triples)


def _signature(triples: Sequence[ox.Triple]) -> tuple[set[str], set[str]]:
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    preds = {t.predicate.value for t in triples}
    classes = {
        t.object.value
        for t in triples
        if t.predicate.value == rdf_type and isinstance(t.object, ox.NamedNode)
    }
    return preds, classes


class Builder:
    """Makes a build of some settings in a temporary folder (full or from a base build)."""

    def __init__(
        self,
        settings: Settings,
        inputs: list[Input],
        key: str,
        config_key: str,
        folder: Path,
        progress: Progress | None,
        validate: bool = True,
    ) -> None:
        self.settings = settings
        self.inputs = inputs
        self.key = key
        self.config_key = config_key
        self.folder = folder
        self.progress = progress
        #: graphs of the working store that the published store leaves out
        self.work_graphs: list[str] = []
        self.steps: list[str] = []
        self.validate = validate
        self.in_memory = False

    def _files_of(
        self, inputs: Sequence[dict[str, Any]] | Sequence[Input]
    ) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for i in inputs:
            d = asdict(i) if isinstance(i, Input) else i
            if d["role"] in ("ontology", "data"):
                out.setdefault(d["graph"], []).append((d["path"], d["digest"]))
        return out

    def full(self) -> dict[str, Any]:
        from .reasoning import materialise

        store = self._working(None)
        files = [(Path(i.path), i.graph) for i in self.inputs if i.role in ("ontology", "data")]
        t = time.perf_counter()
        load_graph_files(store, files, self.progress)
        self.steps.append(f"loaded {len(files)} files in {time.perf_counter() - t:.1f} s (bulk)")
        reasoning = None
        side: dict[str, list[str]] = {}
        if self.settings.reasoning:
            t = time.perf_counter()
            before = self._custom_targets_snapshot(store)
            rep = materialise(
                OxigraphStore.wrap(store),
                _rule_dirs(self.settings),
                progress=self._reason_progress,
                bulk=not self.in_memory,
                # on disk, the working graphs are left out when the store is
                # written out again (_finish), rather than cleared
                keep_work_graphs=not self.in_memory,
            )
            self.work_graphs = rep.work_graphs
            side = self._side_outputs(store, before)
            reasoning = rep
            self.steps.append(
                f"reasoned in full: {rep.inferred:,} inferred in {rep.rounds} rounds "
                f"({time.perf_counter() - t:.1f} s, semi-naive)"
            )
        index = self._index({})
        validation = None
        if self.validate:
            t = time.perf_counter()
            validation = full_validation(store, self.settings)
            self.steps.append(f"validated in full ({time.perf_counter() - t:.1f} s)")
        # handed over, so that _finish can free the memory store before writing to disk
        box = [store]
        del store
        return self._finish(box, reasoning, side, index, validation)

    def _input_bytes(self) -> int:
        return sum(
            Path(i.path).stat().st_size for i in self.inputs if i.role in ("ontology", "data")
        )

    def _working(self, base: Path | None) -> ox.Store:
        """The store to build in: in memory when the inputs are small (then written to
        disk in one bulk load), else on disk (a checkpoint of ``base``, if given)."""
        # small inputs are built in memory (an incremental build reads its base in):
        # RocksDB answers and updates several times slower than the memory store
        self.in_memory = self._input_bytes() <= IN_MEMORY_BYTES
        if not self.in_memory:
            if base is not None:
                _checkpoint(base / "store", self.folder / "store")
            self.steps.append("worked on disk")
            return ox.Store(str(self.folder / "store"))
        mem = ox.Store()
        if base is not None:
            t = time.perf_counter()
            quads = base / QUADS_COPY
            if quads.exists():
                # the base's own N-Quads: reading RocksDB back decodes every term (several
                # times slower than parsing)
                with gzip.open(quads, "rb") as f:
                    mem.bulk_load(cast(BinaryIO, f), format=ox.RdfFormat.N_QUADS)
                how = "from its N-Quads copy"
            else:
                dump = self.folder / "base.nq"
                ox.Store.read_only(str(base / "store")).dump(
                    output=str(dump), format=ox.RdfFormat.N_QUADS
                )
                mem.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
                dump.unlink()
                how = "from its store"
            self.steps.append(
                f"read the base build into memory {how} ({time.perf_counter() - t:.1f} s)"
            )
        return mem

    def _reason_progress(self, rounds: int, found: int) -> None:
        if self.progress is not None:
            self.progress("reason", rounds, 0)

    # custom rules may write into another graph than ``inferred`` (``#+ graph: links``);
    # the build remembers those triples, so that reloading the graph keeps them apart
    def _custom_targets(self) -> list[str]:
        from .reasoning import load_custom_rules

        return sorted(
            {g for _p, g, _t in load_custom_rules(_rule_dirs(self.settings))} - {"inferred"}
        )

    def _custom_targets_snapshot(self, store: ox.Store) -> dict[str, set[str]]:
        out = {}
        for g in self._custom_targets():
            node = ox.NamedNode(str(graph_iri(g)))
            out[g] = {
                str(ox.Triple(q.subject, q.predicate, q.object))
                for q in store.quads_for_pattern(None, None, None, node)
            }
        return out

    def _side_outputs(self, store: ox.Store, before: dict[str, set[str]]) -> dict[str, list[str]]:
        out = {}
        for g, old in before.items():
            node = ox.NamedNode(str(graph_iri(g)))
            now = {
                str(ox.Triple(q.subject, q.predicate, q.object))
                for q in store.quads_for_pattern(None, None, None, node)
            }
            out[g] = sorted(now - old)
        return out

    def _index(self, previous: dict[str, tuple[str, dict[str, int]]]) -> list[list[Any]]:
        out: list[list[Any]] = []
        rescanned = 0
        for i in self.inputs:
            if i.role not in ("ontology", "data") or not i.path.endswith(".ttl"):
                continue
            old = previous.get(i.path)
            if old is not None and old[0] == i.digest:
                entries = old[1]
            else:
                entries = _index_file(Path(i.path))
                rescanned += 1
            out.append([i.path, i.digest, entries])
        self.steps.append(f"source index: {rescanned} file(s) scanned, {len(out) - rescanned} kept")
        return out

    def incremental(self, base: Path, base_manifest: dict[str, Any]) -> dict[str, Any]:
        from .reasoning import INFERRED, delta_signature, materialise

        store = self._working(base)
        old_files = self._files_of(base_manifest["inputs"])
        new_files = self._files_of(self.inputs)
        side: dict[str, list[str]] = {g: list(v) for g, v in base_manifest.get("side", {}).items()}
        added: list[ox.Triple] = []
        removed: list[ox.Triple] = []
        staging = ox.NamedNode(STAGING)
        changed = [g for g in GRAPH_NAMES if old_files.get(g, []) != new_files.get(g, [])]
        for g in changed:
            t = time.perf_counter()
            node = str(graph_iri(g))
            store.clear_graph(staging)
            was, now = old_files.get(g, []), new_files.get(g, [])
            if set(was) <= set(now):
                # files were only added: read just those, nothing can have been removed
                files = [(Path(p), g) for p, d in now if (p, d) not in set(was)]
                load_graph_files(store, files, self.progress, to_graph=STAGING)
                plus = _quads(
                    store,
                    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{STAGING}> {{ ?s ?p ?o }} "
                    f"FILTER NOT EXISTS {{ GRAPH <{node}> {{ ?s ?p ?o }} }} }}",
                )
                minus: list[ox.Triple] = []
            else:
                files = [(Path(p), g) for p, _d in now]
                load_graph_files(store, files, self.progress, to_graph=STAGING)
                plus, minus = _diff(store, node, STAGING)
            derived = set(side.get(g, []))
            minus = [q for q in minus if str(q) not in derived]
            if g in side:  # a derived triple that a file now asserts is no longer derived only
                side[g] = [
                    x
                    for x in side[g]
                    if not any(
                        True
                        for tr in ox.parse((x + " .").encode(), format=ox.RdfFormat.N_TRIPLES)
                        for _ in store.quads_for_pattern(
                            tr.subject, tr.predicate, tr.object, staging
                        )
                    )
                ]
            gnode = ox.NamedNode(node)
            for q in minus:
                store.remove(ox.Quad(q.subject, q.predicate, q.object, gnode))
            store.extend(ox.Quad(q.subject, q.predicate, q.object, gnode) for q in plus)
            store.clear_graph(staging)
            added += plus
            removed += minus
            self.steps.append(
                f"graph {g}: {len(files)} file(s) re-read, +{len(plus):,} -{len(minus):,} triples "
                f"({time.perf_counter() - t:.1f} s)"
            )
        kept = [g for g in GRAPH_NAMES if g not in changed]
        self.steps.append(f"graphs kept as they were: {', '.join(kept) or 'none'}")
        preds, classes = _signature(added + removed)
        reasoning: RLReport | None = None
        r = base_manifest.get("reasoning")
        if self.settings.reasoning:
            wrapped = OxigraphStore.wrap(store)
            t = time.perf_counter()
            if not removed:
                before = self._custom_targets_snapshot(store)
                reasoning = materialise(
                    wrapped,
                    _rule_dirs(self.settings),
                    delta=added,
                    progress=self._reason_progress,
                    bulk=not self.in_memory,
                )
                for g, new in self._side_outputs(store, before).items():
                    side[g] = sorted(set(side.get(g, [])) | set(new))
                self.steps.append(
                    f"reasoned incrementally (semi-naive from the {len(added):,} added triples): "
                    f"{reasoning.inferred - (r['inferred'] if r else 0):+,} inferred in "
                    f"{reasoning.rounds} rounds ({time.perf_counter() - t:.1f} s)"
                )
                preds |= reasoning.changed_predicates
                classes |= reasoning.changed_classes
            else:
                # what changed among the inferences lies within what was and what is inferred
                p0, c0 = delta_signature(store, INFERRED)
                preds |= p0
                classes |= c0
                # take out what the custom rules wrote into other graphs, unless asserted
                for g, triples in side.items():
                    target = ox.NamedNode(str(graph_iri(g)))
                    for text in triples:
                        tr = next(iter(ox.parse(text + " .", format=ox.RdfFormat.N_TRIPLES)))
                        store.remove(ox.Quad(tr.subject, tr.predicate, tr.object, target))
                        preds.add(tr.predicate.value)
                before = self._custom_targets_snapshot(store)
                reasoning = materialise(
                    wrapped,
                    _rule_dirs(self.settings),
                    progress=self._reason_progress,
                    bulk=not self.in_memory,
                )
                side = self._side_outputs(store, before)
                for triples in side.values():
                    for text in triples:
                        tr = next(iter(ox.parse(text + " .", format=ox.RdfFormat.N_TRIPLES)))
                        preds.add(tr.predicate.value)
                p1, c1 = delta_signature(store, INFERRED)
                preds |= p1
                classes |= c1
                self.steps.append(
                    f"reasoned in full (the change removed {len(removed):,} triples; deletions are "
                    f"not incremental): {reasoning.inferred:,} inferred in {reasoning.rounds} "
                    f"rounds ({time.perf_counter() - t:.1f} s)"
                )
        old_index = (
            {p: (d, e) for p, d, e in json.loads((base / "index.json").read_text("utf-8"))["files"]}
            if (base / "index.json").is_file()
            else {}
        )
        index = self._index(old_index)
        validation = None
        vfile = base / "validation.json"
        if not self.validate:
            pass
        elif vfile.is_file():
            t = time.perf_counter()
            previous = json.loads(vfile.read_text("utf-8"))
            validation, rerun, reused = incremental_validation(
                store, self.settings, previous, preds, classes
            )
            self.steps.append(
                f"validated incrementally: {rerun} shape queries re-run, {reused} kept "
                f"({time.perf_counter() - t:.1f} s)"
            )
        else:
            t = time.perf_counter()
            validation = full_validation(store, self.settings)
            self.steps.append(f"validated in full ({time.perf_counter() - t:.1f} s)")
        # handed over, so that _finish can free the memory store before writing to disk
        box = [store]
        del store
        return self._finish(box, reasoning, side, index, validation)

    def _finish(
        self,
        box: list[ox.Store],
        reasoning: RLReport | None,
        side: dict[str, list[str]],
        index: list[list[Any]],
        validation: dict[str, Any] | None,
    ) -> dict[str, Any]:
        # the only reference to the working store: an in-memory one is freed once
        # dumped, before RocksDB's bulk loader runs (both at once were the peak)
        store = box.pop()
        sizes = OxigraphStore.wrap(store).graph_sizes()
        if self.in_memory:
            t = time.perf_counter()
            dump = self.folder / "build.nq"
            store.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
            del store
            gc.collect()
            _release_freed_memory()
            disk = ox.Store(str(self.folder / "store"))
            disk.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
            disk.flush()
            del disk
            self.steps.append(f"written to disk ({time.perf_counter() - t:.1f} s)")
            # kept, compressed, for the next incremental build to read into memory
            t = time.perf_counter()
            with (
                dump.open("rb") as src,
                gzip.open(self.folder / QUADS_COPY, "wb", compresslevel=1) as dst,
            ):
                shutil.copyfileobj(src, dst, 1 << 20)
            dump.unlink()
            self.steps.append(f"kept a compressed N-Quads copy ({time.perf_counter() - t:.1f} s)")
        elif self.work_graphs:
            sizes = {k: v for k, v in sizes.items() if str(graph_iri(k)) not in self.work_graphs}
            t = time.perf_counter()
            box.append(store)
            del store
            _rewrite_store(box, self.folder, self.work_graphs)
            self.steps.append(
                f"written out without the {len(self.work_graphs)} working graphs of reasoning "
                f"({time.perf_counter() - t:.1f} s)"
            )
        else:
            store.flush()
            del store
        gc.collect()
        _write_atomic(self.folder / "index.json", json.dumps({"files": index}).encode("utf-8"))
        if validation is not None:
            _write_atomic(self.folder / "validation.json", json.dumps(validation).encode("utf-8"))
        return {
            "format": BUILD_FORMAT,
            "key": self.key,
            "config_key": self.config_key,
            "versions": _versions(),
            "reasoning_enabled": self.settings.reasoning,
            "inputs": [asdict(i) for i in self.inputs],
            "sizes": sizes,
            "loaded": {},
            "files": sum(1 for i in self.inputs if i.role in ("ontology", "data")),
            "reasoning": None
            if reasoning is None
            else {
                "inferred": reasoning.inferred,
                "rounds": reasoning.rounds,
                "rules": reasoning.rules,
                "custom_rules": reasoning.custom_rules,
                "inconsistencies": reasoning.inconsistencies,
            },
            "side": side,
            "steps": self.steps,
        }


def _rewrite_store(box: list[ox.Store], folder: Path, leave_out: Sequence[str]) -> None:
    """Write the store in ``box`` (open on ``folder / "store"``, and only referenced
    there) to a new store in its place, without some graphs.

    Each other named graph is dumped by Oxigraph and bulk-loaded into a fresh
    store, which then replaces the old one: on RocksDB that is much cheaper
    than deleting the graphs left out, a transaction held in memory.
    """
    store = box.pop()
    left_out = set(leave_out)
    names = [g for g in store.named_graphs() if str(g.value) not in left_out]
    dumps = folder / "dumps"
    dumps.mkdir()
    files = []
    for i, g in enumerate(names):
        assert isinstance(g, ox.NamedNode)
        f = dumps / f"{i}.nt"
        store.dump(output=str(f), format=ox.RdfFormat.N_TRIPLES, from_graph=g)
        files.append((f, g))
    default = dumps / "default.nt"
    store.dump(output=str(default), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    del store
    gc.collect()
    fresh = ox.Store(str(folder / "store.new"))
    for f, g in files:
        fresh.bulk_load(path=str(f), format=ox.RdfFormat.N_TRIPLES, to_graph=g)
    if default.stat().st_size:
        fresh.bulk_load(path=str(default), format=ox.RdfFormat.N_TRIPLES)
    fresh.flush()
    del fresh
    gc.collect()
    shutil.rmtree(dumps)
    shutil.rmtree(folder / "store")
    os.rename(folder / "store.new", folder / "store")


def _release_freed_memory() -> None:
    """Give the memory just freed back to the system (glibc keeps it otherwise).

    Without this the pages of a dropped in-memory store stay in the process
    while RocksDB's bulk loader allocates its own (measured at 1M triples: the
    write to disk peaked at 1.76 GB without, 1.49 GB with). A no-op where there
    is no glibc.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).malloc_trim(0)


def _publish(tmp: Path, final: Path) -> None:
    if final.exists():
        old = final.with_name(f".old-{final.name[:12]}-{os.getpid()}")
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)


def _prune(root: Path, keep: int) -> None:
    for d, _m in _builds(root)[keep:]:
        shutil.rmtree(d, ignore_errors=True)


def _cleanup_orphans(root: Path) -> None:
    for d in root.glob(".tmp-*"):
        shutil.rmtree(d, ignore_errors=True)
    for d in root.glob(".old-*"):
        shutil.rmtree(d, ignore_errors=True)


def open_build(
    settings: Settings,
    *,
    force: bool = False,
    progress: Progress | None = None,
    validate: bool = True,
) -> Build:
    """The build of these settings: reused when nothing changed, else made (incrementally
    when only data changed) and published; opened read-only."""
    root = cache_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    memo = _DigestMemo(root)
    inputs = collect_inputs(settings, memo)
    memo.save()
    key, config_key = build_keys(inputs, settings)
    final = root / key
    if not force:
        m = _manifest(final)
        if m is not None and m.get("format") == BUILD_FORMAT:
            return _open(final, key, m, "nothing changed since it was made: reused as it is")
    with _locked(root):
        if not force:
            m = _manifest(final)
            if m is not None and m.get("format") == BUILD_FORMAT:
                return _open(final, key, m, "made meanwhile by another process: reused")
        _cleanup_orphans(root)
        tmp = root / f".tmp-{key[:12]}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        t0 = time.perf_counter()
        builder = Builder(settings, inputs, key, config_key, tmp, progress, validate)
        base = None
        if not force:
            base = next(
                ((d, m) for d, m in _builds(root) if m.get("config_key") == config_key), None
            )
        try:
            if base is not None:
                manifest = builder.incremental(*base)
                how = f"incremental from build {base[0].name[:16]}"
                reason = "only data changed since the newest build of this configuration: updated incrementally"
            else:
                manifest = builder.full()
                how = "full"
                reason = (
                    "--force: rebuilt in full"
                    if force
                    else "no build of this configuration: built in full"
                )
            manifest["how"] = how
            manifest["seconds"] = time.perf_counter() - t0
            manifest["created"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            manifest["time"] = time.time()
            manifest["reason"] = reason
            _write_atomic(tmp / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
            _publish(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _prune(root, KEEP)
    return _open(final, key, manifest, reason)


def _open(folder: Path, key: str, manifest: dict[str, Any], reason: str) -> Build:
    store = OxigraphStore.wrap(
        ox.Store.read_only(str(folder / "store")), folder / "store", read_only=True
    )
    return Build(folder, key, manifest, reason, store)


# --- validation on a build ----------------------------------------------------


def _query_key(q: _Query) -> str:
    raw = "\x1f".join([q.text, q.kind, str(q.source), str(q.component)])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def _affected(q: _Query, preds: set[str], classes: set[str]) -> bool:
    """Whether a compiled shape query can answer differently after these changes."""
    import re

    if q.kind in ("sparql", "closed") or "?anyP" in q.text:
        return True  # variable predicates, or SPARQL written by hand
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    iris = set(re.findall(r"<([^<>\s]*)>", q.text))
    # a compiled query reads rdf:type triples only for the classes it names
    if (preds - {rdf_type}) & iris:
        return True
    return rdf_type in preds and bool(classes & iris)


def _raw_to_json(r: RawResult) -> list[str | None]:
    return [
        t.n3() if t is not None else None  # type: ignore[union-attr]
        for t in (r.severity, r.shape, r.component, r.focus, r.path, r.value, r.message)
    ]


def _raw_from_json(row: list[str | None]) -> RawResult:
    from rdflib.util import from_n3

    from .shacl_sparql import RawResult

    t = [from_n3(x) if x is not None else None for x in row]
    return RawResult(*t)  # type: ignore[arg-type]


def _compile(store: ox.Store, settings: Settings) -> tuple[list[_Query], list[ox.NamedNode]]:
    from .shacl_sparql import compile_shapes, store_subclasses
    from .validation import load_shapes

    graphs = [ox.NamedNode(str(graph_iri(n))) for n in GRAPH_NAMES]
    shapes = load_shapes(settings.shapes_dirs)
    return compile_shapes(shapes, store_subclasses(store, graphs)), graphs


def _run_grouped(
    store: ox.Store, queries: Sequence[_Query], graphs: Sequence[ox.NamedNode]
) -> list[list[RawResult]]:
    from concurrent.futures import ThreadPoolExecutor

    from .shacl_sparql import run

    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda q: run(store, [q], graphs, workers=1), queries))


def _size(store: ox.Store, graphs: Sequence[ox.NamedNode]) -> int:
    from .reasoning import _count

    # counted by Oxigraph: iterating the quads from Python took 21 s at 1M on disk
    return sum(_count(store, g.value) for g in graphs)


def full_validation(store: ox.Store, settings: Settings) -> dict[str, Any]:
    """Every compiled shape query's rows, keyed by query, as stored in a build."""
    queries, graphs = _compile(store, settings)
    rows = _run_grouped(store, queries, graphs)
    return {
        "queries": {
            _query_key(q): [_raw_to_json(r) for r in rs]
            for q, rs in zip(queries, rows, strict=True)
        },
        "size": _size(store, graphs),
        "order": [_query_key(q) for q in queries],
    }


def incremental_validation(
    store: ox.Store,
    settings: Settings,
    previous: dict[str, Any],
    preds: set[str],
    classes: set[str],
) -> tuple[dict[str, Any], int, int]:
    """Re-run only the shape queries the changed predicates and classes can affect."""
    queries, graphs = _compile(store, settings)
    if "http://www.w3.org/2000/01/rdf-schema#subClassOf" in preds:
        todo = list(queries)
    else:
        todo = [
            q
            for q in queries
            if _query_key(q) not in previous["queries"] or _affected(q, preds, classes)
        ]
    fresh = dict(
        zip(
            (_query_key(q) for q in todo),
            _run_grouped(store, todo, graphs),
            strict=True,
        )
    )
    out = {}
    for q in queries:
        k = _query_key(q)
        out[k] = [_raw_to_json(r) for r in fresh[k]] if k in fresh else previous["queries"][k]
    doc = {"queries": out, "size": _size(store, graphs), "order": [_query_key(q) for q in queries]}
    return doc, len(todo), len(queries) - len(todo)


def validation_report(build: Build, kg: KnowledgeGraph) -> Report:
    """The validation report of a build: from its folder, computed once if missing."""
    from .shacl_sparql import report_graph
    from .validation import Report, results_from_graph, store_labeler

    assert build.store is not None
    vfile = build.folder / "validation.json"
    try:
        doc = json.loads(vfile.read_text("utf-8"))
    except (OSError, ValueError):
        doc = full_validation(build.store.ox, kg.settings)
        with contextlib.suppress(OSError):
            _write_atomic(vfile, json.dumps(doc).encode("utf-8"))
    raw = [_raw_from_json(r) for k in doc["order"] for r in doc["queries"][k]]
    graphs = [ox.NamedNode(str(graph_iri(n))) for n in GRAPH_NAMES]
    report = report_graph(raw)
    results = results_from_graph(
        report, store_labeler(build.store.ox, graphs), kg.index, kg.shapes()
    )
    return Report(results, report, int(doc["size"]))


__all__ = [
    "Build",
    "BuildCacheError",
    "StoredIndex",
    "cache_root",
    "full_validation",
    "incremental_validation",
    "open_build",
    "validation_report",
]
