"""Publish a release of the knowledge graph: dumps, ontology, shapes, VoID, DCAT, checksums.

:func:`publish` writes ``<out>/<version>/``::

    citykg.nq          every named graph, N-Quads, one sorted line per quad
    citykg.trig        every named graph, TriG
    citykg.jsonld      every named graph, JSON-LD (named graphs kept; @context: context.jsonld)
    citykg.nt.gz       the union of the graphs, N-Triples, sorted, gzip
    citykg.ttl         the union of the graphs, Turtle
    citykg.rdf         the union of the graphs, RDF/XML
    context.jsonld     the JSON-LD context: citykg's prefixes
    ontology/<v>/      the ontology at its version IRI path: ontology.ttl, .rdf, .jsonld and docs
    shapes/*.ttl       the SHACL shapes, copied as written
    void.ttl           the VoID description
    catalog.ttl        the DCAT catalogue: every file above with media type, size, SHA-256
    RELEASE-NOTES.md   the release's section of CHANGELOG.md
    SHA256SUMS         ``sha256sum -c`` checks every other file

Output is deterministic: blank nodes are relabelled with RDFC-1.0 (the W3C
canonicalisation), statements are written in sorted order, gzip headers carry
no time or name, and nothing depends on the clock. The release is written into
a hidden staging folder beside the target, each file under a temporary name
renamed when complete; the finished folder is then renamed into place, so an
interrupted publish never leaves a partial file (or release) under a final name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import MissingExtraError, PublishError
from .extras import require_extra
from .files import write_atomic
from .namespaces import GRAPH_NAMES, ONTOLOGY_IRI, OWL, PREFIXES, RDF, XSD, graph_iri
from .resources import installed_version, resource_root
from .store import OxigraphStore
from .void import ReleaseFile

Progress = Callable[[str, int, int], None]

#: Where a release is served; release files are ``<base>/<version>/<path>``.
DEFAULT_BASE_URL = "https://w3id.org/citykg/release/"
#: The part of a versioned ontology IRI that maps onto a release folder path.
SITE_ROOT = "https://w3id.org/citykg/"

#: Media types by file suffix (IANA names).
MEDIA_TYPES: dict[str, str] = {
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".nt": "application/n-triples",
    ".ttl": "text/turtle",
    ".rdf": "application/rdf+xml",
    ".jsonld": "application/ld+json",
    ".md": "text/markdown",
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".txt": "text/plain",
}

#: The dump files, in catalogue order: (file name, what it holds).
DUMPS: tuple[tuple[str, str], ...] = (
    ("citykg.nq", "every named graph as N-Quads"),
    ("citykg.trig", "every named graph as TriG"),
    ("citykg.jsonld", "every named graph as JSON-LD"),
    ("citykg.nt.gz", "the union of the named graphs as N-Triples (gzip)"),
    ("citykg.ttl", "the union of the named graphs as Turtle"),
    ("citykg.rdf", "the union of the named graphs as RDF/XML"),
)

CONTEXT_FILE = "context.jsonld"
SUMS_FILE = "SHA256SUMS"
NOTES_FILE = "RELEASE-NOTES.md"
CATALOG_FILE = "catalog.ttl"
VOID_FILE = "void.ttl"


@dataclass
class Release:
    """What :func:`publish` wrote."""

    folder: Path
    version: str
    files: list[ReleaseFile] = field(default_factory=list)
    graph_sizes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def file(self, path: str) -> ReleaseFile:
        """The release file at ``path`` (relative to the release folder)."""
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(path)


# --- canonical RDF ----------------------------------------------------------


def canonical_nquads(quads: Iterable[ox.Quad]) -> bytes:
    """N-Quads text of the quads, blank nodes relabelled by RDFC-1.0, lines sorted.

    RDFC-1.0 labels depend only on the quads that mention a blank node, so only
    those are canonicalised (the rest pass through): the same labels, much faster.
    """
    plain: list[ox.Quad] = []
    with_bnodes: list[ox.Quad] = []
    for q in quads:
        if (
            isinstance(q.subject, ox.BlankNode)
            or isinstance(q.object, ox.BlankNode)
            or isinstance(q.graph_name, ox.BlankNode)
        ):
            with_bnodes.append(q)
        else:
            plain.append(q)
    text = to_bytes(plain, ox.RdfFormat.N_QUADS)
    if with_bnodes:
        ds = ox.Dataset(with_bnodes)
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        text += to_bytes(ds, ox.RdfFormat.N_QUADS)
    return sorted_lines(text)


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with canonical blank nodes, deduplicated, in N-Quads line order."""
    return list(ox.parse(canonical_nquads(quads), format=ox.RdfFormat.N_QUADS))


def union_ntriples(nquads: bytes) -> bytes:
    """Sorted N-Triples of the union of the named graphs in sorted N-Quads text.

    Every line must end with a named graph (``<s> <p> <o> <g> .``): the graph
    IRI, which holds no space, is cut off.
    """
    lines = set()
    for line in nquads.decode("utf-8").splitlines():
        if not line.endswith("> ."):
            raise PublishError(f"not a named-graph quad: {line[:200]}")
        lines.add(line[: line.rindex(" <")] + " .")
    ordered = sorted(lines)
    return ("\n".join(ordered) + ("\n" if ordered else "")).encode("utf-8")


def parse_ordered(data: bytes, fmt: ox.RdfFormat) -> list[ox.Triple] | list[ox.Quad]:
    """Parse N-Triples or N-Quads text, keeping the order of its lines."""
    return list(ox.parse(data, format=fmt))  # type: ignore[arg-type]


def sorted_lines(data: bytes) -> bytes:
    """N-Triples or N-Quads text with its lines sorted and deduplicated."""
    lines = sorted(set(data.decode("utf-8").splitlines()))
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def to_bytes(
    items: Iterable[ox.Triple] | Iterable[ox.Quad],
    fmt: ox.RdfFormat,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """Oxigraph's serialisation of some statements, as bytes."""
    try:
        data = ox.serialize(items, format=fmt, prefixes=prefixes)
    except (ValueError, OSError) as e:
        raise PublishError(f"cannot serialise as {fmt.name}: {e}") from None
    assert data is not None
    return data


def serialize(items: Sequence[ox.Triple] | Sequence[ox.Quad], fmt: ox.RdfFormat) -> bytes:
    """Serialise (already sorted) statements with citykg's prefixes; line formats sorted."""
    if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        return sorted_lines(to_bytes(items, fmt))
    return to_bytes(items, fmt, PREFIXES)


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with no file name and a zero time in the header: the same bytes every run."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


# --- JSON-LD ------------------------------------------------------------------


def jsonld_context() -> dict[str, object]:
    """The published ``@context``: every citykg prefix (JSON-LD 1.0 and 1.1 compatible)."""
    return {"@context": dict(sorted(PREFIXES.items()))}


class _Compactor:
    """Compact IRIs with the context's prefixes (the longest namespace wins)."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
        self.memo: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        found = self.memo.get(iri)
        if found is None:
            found = self.memo[iri] = self._compact(iri)
        return found

    def _compact(self, iri: str) -> str:
        for name, ns in self.prefixes:
            if iri.startswith(ns) and len(iri) > len(ns):
                local = iri[len(ns) :]
                if not local.startswith("//"):
                    return f"{name}:{local}"
        return iri


def _jsonld_term(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, compact: _Compactor
) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == str(XSD.string):
            return {"@value": term.value}
        return {"@value": term.value, "@type": compact(term.datatype.value)}
    raise PublishError(f"RDF-star triple terms cannot be published as JSON-LD: {term}")


def _node_objects(triples: Sequence[ox.Triple], compact: _Compactor) -> list[dict[str, object]]:
    """Flattened JSON-LD node objects, one per subject, in the order of the sorted triples."""
    nodes: dict[str, dict[str, object]] = {}
    rdf_type = str(RDF.type)
    for t in triples:
        s = t.subject
        sid = f"_:{s.value}" if isinstance(s, ox.BlankNode) else compact(s.value)  # type: ignore[union-attr]
        node = nodes.setdefault(sid, {"@id": sid})
        if t.predicate.value == rdf_type and isinstance(t.object, ox.NamedNode):
            types = node.setdefault("@type", [])
            assert isinstance(types, list)
            types.append(compact(t.object.value))
            continue
        values = node.setdefault(compact(t.predicate.value), [])
        assert isinstance(values, list)
        values.append(_jsonld_term(t.object, compact))
    return [_ordered(n) for n in nodes.values()]


def _ordered(node: dict[str, object]) -> dict[str, object]:
    keys = sorted(k for k in node if not k.startswith("@"))
    out: dict[str, object] = {"@id": node["@id"]}
    if "@type" in node:
        out["@type"] = node["@type"]
    for k in keys:
        out[k] = node[k]
    return out


def to_jsonld(quads: Sequence[ox.Quad] | Sequence[ox.Triple], context_ref: str) -> bytes:
    """JSON-LD text of sorted quads (one named graph object per graph) or triples.

    Literals keep their lexical form (``@value`` is always a string), so the
    text converts back to exactly the same RDF. One node object per line.
    """
    compact = _Compactor(PREFIXES)
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts = ["{", f'"@context":{dump(context_ref)},', '"@graph":[']
    if quads and isinstance(quads[0], ox.Quad):
        by_graph: dict[str, list[ox.Triple]] = {}
        for q in quads:
            assert isinstance(q, ox.Quad)
            if not isinstance(q.graph_name, ox.NamedNode):
                raise PublishError("only named graphs are published as JSON-LD")
            by_graph.setdefault(q.graph_name.value, []).append(
                ox.Triple(q.subject, q.predicate, q.object)
            )
        for i, (g, ts) in enumerate(sorted(by_graph.items())):
            parts.append(f'{"," if i else ""}{{"@id":{dump(g)},"@graph":[')
            parts.append(",\n".join(dump(n) for n in _node_objects(ts, compact)))
            parts.append("]}")
    else:
        triples = [t for t in quads if isinstance(t, ox.Triple)]
        parts.append(",\n".join(dump(n) for n in _node_objects(triples, compact)))
    parts.append("]}")
    return ("\n".join(parts) + "\n").encode("utf-8")


# --- writing ------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hexadecimal."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def media_type(path: str) -> tuple[str, bool]:
    """The media type of a release file and whether it is gzip-compressed."""
    p = Path(path)
    if p.suffix == ".gz":
        return MEDIA_TYPES.get(Path(p.stem).suffix, "application/octet-stream"), True
    if p.name == SUMS_FILE:
        return "text/plain", False
    return MEDIA_TYPES.get(p.suffix, "application/octet-stream"), False


class _Writer:
    """Writes release files into the staging folder and remembers their checksums."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[ReleaseFile] = []

    def write(self, rel: str, data: bytes, role: str, title: str = "") -> ReleaseFile:
        write_atomic(self.folder / rel, data)
        (self.folder / rel).chmod(0o644)
        for parent in (self.folder / rel).parents:
            if parent == self.folder:
                break
            parent.chmod(0o755)
        mt, gz = media_type(rel)
        f = ReleaseFile(rel, len(data), hashlib.sha256(data).hexdigest(), mt, role, title, gz)
        self.files.append(f)
        return f

    def adopt(self, rel: str, role: str, title: str = "") -> ReleaseFile:
        """Record a file that some other writer (the docs) put in the staging folder."""
        path = self.folder / rel
        mt, gz = media_type(rel)
        f = ReleaseFile(rel, path.stat().st_size, sha256_file(path), mt, role, title, gz)
        self.files.append(f)
        return f


def release_notes(version: str, changelog: Path | None) -> tuple[str, str | None]:
    """The release note for ``version`` from a Keep-a-Changelog file, and a warning if any.

    The section is the one headed ``## [version]`` (or ``## version``,
    ``## v<version>``); failing that, ``## [Unreleased]``.

    >>> text = "# Changelog\\n\\n## [0.2.0] - 2025-01-01\\n### Added\\n- push\\n\\n## [0.1.0]\\n- first\\n"
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "CHANGELOG.md"
    >>> _ = p.write_text(text)
    >>> print(release_notes("0.2.0", p)[0])
    # citykg 0.2.0
    <BLANKLINE>
    ## [0.2.0] - 2025-01-01
    ### Added
    - push
    <BLANKLINE>
    """
    head = f"# citykg {version}\n\n"
    if changelog is None or not changelog.is_file():
        return (
            head + "No CHANGELOG.md was found for this release.\n",
            "no CHANGELOG.md: the release note says so",
        )
    text = changelog.read_text(encoding="utf-8")
    sections = re.split(r"(?m)^(?=## )", text)
    wanted = re.compile(rf"^## \[?v?{re.escape(version)}\]?(\s|$)")
    unreleased = re.compile(r"^## \[?unreleased\]?(\s|$)", re.IGNORECASE)
    for pattern, warning in (
        (wanted, None),
        (
            unreleased,
            f"CHANGELOG.md has no section for {version}: "
            "the release note is its Unreleased section",
        ),
    ):
        for sec in sections:
            if pattern.match(sec):
                return head + sec.strip() + "\n", warning
    return (
        head + f"CHANGELOG.md has no section for version {version}.\n",
        f"CHANGELOG.md has no section for {version}",
    )


def default_changelog() -> Path | None:
    """``CHANGELOG.md`` at the top of the source checkout, else in the working folder."""

    for candidate in (resource_root() / "CHANGELOG.md", Path.cwd() / "CHANGELOG.md"):
        if candidate.is_file():
            return candidate
    return None


def default_version() -> str:
    """The package version (``importlib.metadata``)."""
    return installed_version()


def ontology_version(quads: Sequence[ox.Quad]) -> tuple[str | None, str | None]:
    """The ontology's ``owl:versionInfo`` and ``owl:versionIRI``."""
    info = iri = None
    onto = str(ONTOLOGY_IRI)
    for q in quads:
        if isinstance(q.subject, ox.NamedNode) and q.subject.value == onto:
            if q.predicate.value == str(OWL.versionInfo) and isinstance(q.object, ox.Literal):
                info = q.object.value
            elif q.predicate.value == str(OWL.versionIRI) and isinstance(q.object, ox.NamedNode):
                iri = q.object.value
    return info, iri


def release_version(quads: Sequence[ox.Quad], version: str | None = None) -> str:
    """The version a release of these quads gets: ``version``, else the package's.

    A package version without release metadata (``+unknown``) gives way to the
    ontology's ``owl:versionInfo``.
    """
    if version is not None:
        return version
    version = default_version()
    info, _ = ontology_version(quads)
    return info if "+unknown" in version and info else version


def release_base(version: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The IRI every resource of a release sits under; its dataset is ``<base>#dataset``.

    >>> release_base("1.2.0") + "#dataset"
    'https://w3id.org/citykg/release/1.2.0/#dataset'
    """
    return f"{base_url.rstrip('/')}/{version}/"


def ontology_path(version_iri: str | None, version: str) -> str:
    """The release folder path of the ontology: its version IRI below the site root."""
    if version_iri and version_iri.startswith(SITE_ROOT):
        rel = version_iri[len(SITE_ROOT) :].strip("/")
        if rel and ".." not in rel.split("/"):
            return rel
    return f"ontology/{version}"


def write_ontology_docs(folder: Path, ontology_dirs: Sequence[Path] = ()) -> list[str] | None:
    """Write the ontology documentation (HTML, from :mod:`citykg.docs`) into ``folder``.

    Returns the files written (relative to ``folder``), or ``None`` when the
    ``docs`` extra is not installed. Raises :class:`PublishError` when it fails.
    """
    from .docs import DocsError, build_docs

    try:
        require_extra("docs", "the ontology documentation")
    except MissingExtraError:
        return None
    from .loader import rdf_files

    files = [f for d in ontology_dirs for f in rdf_files(d)]
    try:
        build_docs(folder, files or None)
    except DocsError as e:
        raise PublishError(f"the ontology documentation could not be written: {e}") from None
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _shape_files(dirs: Sequence[Path]) -> list[Path]:
    files: dict[str, Path] = {}
    for d in dirs:
        for p in sorted(d.rglob("*.ttl")):
            rel = str(p.relative_to(d))
            if rel in files:
                raise PublishError(
                    f"two shapes files would be published as shapes/{rel}: {files[rel]} and {p}"
                )
            files[rel] = p
    return [files[k] for k in sorted(files)]


def _replace_folder(staging: Path, final: Path) -> None:
    """Move the finished staging folder to ``final``, replacing an older release."""
    old: Path | None = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def publish(
    store: OxigraphStore,
    out: Path,
    version: str | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    sparql_endpoint: str | None = None,
    changelog: Path | None = None,
    license: str | None = None,
    ontology_dirs: Sequence[Path] = (),
    shapes_dirs: Sequence[Path] = (),
    progress: Progress | None = None,
) -> Release:
    """Write the release ``<out>/<version>/`` of the graph in an embedded store.

    ``version`` defaults to the package version; ``base_url`` is where releases
    are served (the files' IRIs in VoID and DCAT); ``sparql_endpoint``, when
    given, is announced in VoID; the shapes and the ontology documentation come
    from ``shapes_dirs`` and ``ontology_dirs``. Raises :class:`PublishError`.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    steps = 9
    done = [0]

    def step(label: str) -> None:
        done[0] += 1
        if progress:
            progress(f"publish {label}", done[0], steps)

    raw = store.quads(GRAPH_NAMES)
    nquads = canonical_nquads(raw)
    del raw
    ntriples = union_ntriples(nquads)
    quads: list[ox.Quad] = parse_ordered(nquads, ox.RdfFormat.N_QUADS)  # type: ignore[assignment]
    triples: list[ox.Triple] = parse_ordered(ntriples, ox.RdfFormat.N_TRIPLES)  # type: ignore[assignment]
    graph_names = {str(graph_iri(name)): name for name in GRAPH_NAMES}
    sizes = {name: 0 for name in GRAPH_NAMES}
    for q in quads:
        sizes[graph_names[q.graph_name.value]] += 1  # type: ignore[union-attr]
    info, version_iri = ontology_version(quads)
    version = release_version(quads, version)
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]*", version):
        raise PublishError(f"bad version {version!r}: use letters, digits, '.', '+', '-', '_'")
    release = Release(folder=out / version, version=version, graph_sizes=sizes)
    if info is not None and info != version:
        release.warnings.append(
            f"the ontology's owl:versionInfo is {info!r}, the release {version!r}"
        )
    if info is None:
        release.warnings.append("the ontology has no owl:versionInfo")
    base = release_base(version, base_url)
    step("canonicalise")

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=out))
    staging.chmod(0o755)
    try:
        w = _Writer(staging)
        titles = dict(DUMPS)
        w.write("citykg.nq", nquads, "dataset", titles["citykg.nq"])
        w.write(
            "citykg.trig", serialize(quads, ox.RdfFormat.TRIG), "dataset", titles["citykg.trig"]
        )
        step("quads")
        w.write("citykg.jsonld", to_jsonld(quads, CONTEXT_FILE), "dataset", titles["citykg.jsonld"])
        w.write(
            CONTEXT_FILE,
            (json.dumps(jsonld_context(), indent=1) + "\n").encode("utf-8"),
            "dataset",
            "the JSON-LD context of the JSON-LD files",
        )
        step("json-ld")
        w.write("citykg.nt.gz", gzip_bytes(ntriples), "dataset", titles["citykg.nt.gz"])
        w.write(
            "citykg.ttl", serialize(triples, ox.RdfFormat.TURTLE), "dataset", titles["citykg.ttl"]
        )
        w.write(
            "citykg.rdf", serialize(triples, ox.RdfFormat.RDF_XML), "dataset", titles["citykg.rdf"]
        )
        step("triples")

        onto_dir = ontology_path(version_iri, version)
        depth = "../" * len(onto_dir.split("/"))
        onto_graph = ox.NamedNode(str(graph_iri("ontology")))
        onto = [
            ox.Triple(q.subject, q.predicate, q.object) for q in quads if q.graph_name == onto_graph
        ]
        w.write(
            f"{onto_dir}/ontology.ttl",
            serialize(onto, ox.RdfFormat.TURTLE),
            "ontology",
            "the ontology as Turtle",
        )
        w.write(
            f"{onto_dir}/ontology.rdf",
            serialize(onto, ox.RdfFormat.RDF_XML),
            "ontology",
            "the ontology as RDF/XML",
        )
        w.write(
            f"{onto_dir}/ontology.jsonld",
            to_jsonld(onto, depth + CONTEXT_FILE),
            "ontology",
            "the ontology as JSON-LD",
        )
        docs = write_ontology_docs(staging / onto_dir / "docs", tuple(ontology_dirs))
        if docs is None:
            release.warnings.append(
                "citykg.docs is not available: the release has no ontology documentation"
            )
        else:
            for rel in docs:
                w.adopt(f"{onto_dir}/docs/{rel}", "ontology", "ontology documentation")
        step("ontology")

        for p in _shape_files(tuple(shapes_dirs)):
            d = next(d for d in shapes_dirs if p.is_relative_to(d))
            w.write(f"shapes/{p.relative_to(d)}", p.read_bytes(), "shapes", "SHACL shapes")
        step("shapes")

        from .void import (
            catalog_graph,
            credits_markdown,
            ontology_license,
            source_credits,
            void_graph,
        )

        credits = source_credits(triples)
        notes, warning = release_notes(version, changelog or default_changelog())
        if warning:
            release.warnings.append(warning)
        notes += credits_markdown(credits)
        w.write(NOTES_FILE, notes.encode("utf-8"), "metadata", "release note")

        void_triples = void_graph(
            quads,
            triples,
            release_base=base,
            version=version,
            dumps=[name for name, _ in DUMPS],
            sparql_endpoint=sparql_endpoint,
            license=license,
        )
        w.write(
            VOID_FILE,
            serialize(canonical_triples(void_triples), ox.RdfFormat.TURTLE),
            "metadata",
            "VoID description",
        )
        step("void")
        cat = catalog_graph(
            w.files,
            release_base=base,
            version=version,
            ontology_dir=onto_dir,
            license=license or ontology_license(quads),
            credits=credits,
        )
        w.write(
            CATALOG_FILE,
            serialize(canonical_triples(cat), ox.RdfFormat.TURTLE),
            "metadata",
            "DCAT catalogue",
        )
        step("catalog")
        sums = "".join(f"{f.sha256}  {f.path}\n" for f in sorted(w.files, key=lambda f: f.path))
        w.write(SUMS_FILE, sums.encode("ascii"), "metadata", "SHA-256 checksums")
        release.files = list(w.files)
        _replace_folder(staging, release.folder)
        step("done")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return release


def canonical_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Triples with canonical blank nodes (RDFC-1.0), sorted."""
    g = ox.DefaultGraph()
    quads = canonical_quads(ox.Quad(t.subject, t.predicate, t.object, g) for t in triples)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def verify(folder: Path) -> list[str]:
    """Problems with a release folder: every ``SHA256SUMS`` line checked; empty when sound."""
    sums = folder / SUMS_FILE
    if not sums.is_file():
        return [f"{sums}: missing"]
    problems = []
    for line in sums.read_text(encoding="ascii").splitlines():
        digest, _, rel = line.partition("  ")
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: checksum differs")
    return problems


__all__ = [
    "DEFAULT_BASE_URL",
    "DUMPS",
    "Release",
    "ReleaseFile",
    "canonical_nquads",
    "canonical_quads",
    "canonical_triples",
    "jsonld_context",
    "publish",
    "release_base",
    "release_notes",
    "release_version",
    "to_jsonld",
    "verify",
]
