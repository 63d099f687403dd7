"""The ontology lint: the pitfalls most often found in published ontologies.

Most checks are "violation" SPARQL queries in ``ontology/lint/*.rq``, run on the
ontology alone (the Ontology Development Kit's habit): each returns ``?term``
and ``?message``, and every row is a problem. The file stem names the check.
Two checks need more than the ontology graph and are written here:

``undeclared-term``
    a ``ckg:`` IRI used anywhere (ontology, shapes, data, stored queries and
    rules) that the ontology does not declare (give an ``rdf:type``): a
    misspelt term in an axiom (W3C ORG has ``org:unitOf rdfs:subPropertyOf
    org:subOrganzationOf``) is otherwise silently a new, empty term.
``version``
    ``owl:versionInfo`` equals the package version, and ``CHANGELOG.md`` has a
    heading for it: the two move together.

Each problem names the file and, where a text scan finds it, the line.
``citykg lint`` prints them and exits with code 14 (:class:`LintFailed`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

import pyoxigraph as ox

from .errors import LintError, SourceNotFoundError
from .loader import rdf_files
from .namespaces import CKG, ONTOLOGY_IRI, OWL, RDF
from .resources import resource_dir, resource_root
from .sparqltext import tokenize
from .store import parse_file

#: The namespace whose terms the lint checks.
NAMESPACE = str(CKG)
#: The IRI of the ontology (its header's subject).
ONTOLOGY = str(ONTOLOGY_IRI)

_RDF_TYPE = ox.NamedNode(str(RDF.type))
_OWL_ONTOLOGY = ox.NamedNode(str(OWL.Ontology))
_OWL_VERSION_INFO = ox.NamedNode(str(OWL.versionInfo))
_PREFIX_RE = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.\-]*)?:\s*<([^>]*)>", re.I)
_HEADER_RE = re.compile(r"^#\+\s*summary:\s*(.+)$", re.M)


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: which check, about which term, where, and what is wrong."""

    path: str
    line: int
    check: str
    term: str
    message: str

    def to_text(self, root: Path | None = None) -> str:
        """``file:line: check: term: message`` (the line left out when unknown)."""
        where = _display_path(self.path, root)
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.check}: {short(self.term)}: {self.message}"


@dataclass(frozen=True)
class LintCheck:
    """A violation query: any row it returns is a problem."""

    name: str
    summary: str
    text: str
    path: Path


@dataclass
class LintSources:
    """The files the lint reads: the ontology, and where its terms are used."""

    ontology: list[Path]
    shapes: list[Path] = field(default_factory=list)
    data: list[Path] = field(default_factory=list)
    queries: list[Path] = field(default_factory=list)

    @classmethod
    def shipped(cls) -> LintSources:
        """The shipped ontology, shapes, data, stored queries and rules."""
        onto = resource_dir("ontology")
        return cls(
            ontology=rdf_files(onto),
            shapes=rdf_files(resource_dir("shapes"), recursive=True),
            data=data_files(resource_dir("data")),
            queries=query_files(resource_dir("queries")) + query_files(onto),
        )


@dataclass
class LintReport:
    """What the lint found, and which checks ran."""

    problems: list[Problem]
    checks: list[str]
    notes: list[str] = field(default_factory=list)
    files: str = ""  # what was read, in words ("1 ontology, 11 shapes, ... files")

    @property
    def ok(self) -> bool:
        """Whether no check found anything."""
        return not self.problems

    def to_text(self, root: Path | None = None) -> str:
        """One line per problem, sorted by file and line."""
        return "".join(p.to_text(root) + "\n" for p in sorted(self.problems))

    def raise_for_problems(self) -> None:
        """Raise :class:`LintFailed` if anything was found."""
        if self.problems:
            raise LintFailed(self)


class LintFailed(LintError):
    """The lint found problems; carries the report (exit code 14)."""

    def __init__(self, report: LintReport) -> None:
        self.report = report
        n = len(report.problems)
        checks = sorted({p.check for p in report.problems})
        super().__init__(
            f"the ontology lint found {n} problem{'s' if n != 1 else ''} ({', '.join(checks)})"
        )


# --- helpers -----------------------------------------------------------------


def short(iri: str) -> str:
    """``ckg:Local`` for a term of the namespace, ``<iri>`` otherwise.

    >>> short("https://w3id.org/citykg/ontology#City")
    'ckg:City'
    """
    if iri.startswith(NAMESPACE):
        return "ckg:" + iri[len(NAMESPACE) :]
    return f"<{iri}>"


def _display_path(path: str, root: Path | None) -> str:
    if root is not None:
        try:
            return str(Path(path).resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return path


def data_files(folder: Path) -> list[Path]:
    """RDF files of a data folder, sub-folders included, ``raw/`` left out."""
    return [
        p
        for p in rdf_files(folder, recursive=True)
        if "raw" not in p.relative_to(folder).parts[:-1]
    ]


def query_files(folder: Path) -> list[Path]:
    """SPARQL files (``*.rq``) of a folder and its sub-folders, in a stable order."""
    if not folder.is_dir():
        raise SourceNotFoundError(f"{folder}: no such folder")
    return sorted(
        p
        for p in folder.glob("**/*.rq")
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def checks_dir() -> Path:
    """The folder of the violation queries (``ontology/lint``)."""
    return resource_dir("ontology") / "lint"


def load_checks(folder: Path | None = None) -> list[LintCheck]:
    """The violation queries of a folder, by name."""
    folder = folder if folder is not None else checks_dir()
    if not folder.is_dir():
        raise SourceNotFoundError(f"{folder}: no such folder of lint checks")
    checks = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        m = _HEADER_RE.search(text)
        checks.append(LintCheck(path.stem, m.group(1).strip() if m else path.stem, text, path))
    return checks


def package_version() -> tuple[str, str]:
    """The package version and where it was read from.

    In a source checkout ``pyproject.toml`` is the truth (an editable install
    may be older); otherwise the installed distribution's metadata.
    """
    pyproject = resource_root() / "pyproject.toml"
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except tomllib.TOMLDecodeError:
            project = {}
        if project.get("name") == "citykg" and isinstance(project.get("version"), str):
            return project["version"], str(pyproject)
    try:
        return dist_version("citykg"), "the installed citykg distribution"
    except PackageNotFoundError:
        raise LintError(
            "cannot tell the package version: citykg is not installed "
            "and no pyproject.toml was found"
        ) from None


def default_changelog() -> Path | None:
    """``CHANGELOG.md`` beside the sources, if there is one (not in a wheel)."""
    path = resource_root() / "CHANGELOG.md"
    return path if path.is_file() else None


class _Locator:
    """Finds the line of a term in a file by a text scan (a hint, not a parse)."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str]] = {}
        self._prefixes: dict[Path, dict[str, str]] = {}

    def _read(self, path: Path) -> list[str]:
        if path not in self._lines:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[path] = text.splitlines()
            self._prefixes[path] = {
                (m.group(1) or ""): m.group(2) for m in _PREFIX_RE.finditer(text)
            }
        return self._lines[path]

    def _patterns(self, path: Path, iri: str) -> list[re.Pattern[str]]:
        self._read(path)
        pats = [re.compile(re.escape(f"<{iri}>"))]
        for pfx, ns in self._prefixes[path].items():
            if iri.startswith(ns) and len(iri) > len(ns):
                local = re.escape(iri[len(ns) :])
                pats.append(re.compile(rf"(?<![\w.:\-]){re.escape(pfx)}:{local}(?![\w\-])"))
        return pats

    def subject_line(self, path: Path, iri: str) -> int:
        """The line where ``iri`` starts a statement, else where it first occurs (0: unknown)."""
        lines = self._read(path)
        pats = self._patterns(path, iri)
        for n, line in enumerate(lines, start=1):
            if any(p.match(line) for p in pats):
                return n
        return self.first_line(path, iri)

    def first_line(self, path: Path, iri: str, *, skip_prefix_lines: bool = True) -> int:
        """The first line that mentions ``iri`` outside a comment (0: unknown)."""
        pats = self._patterns(path, iri)
        for n, line in enumerate(self._read(path), start=1):
            code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
            if skip_prefix_lines and _PREFIX_RE.search(code):
                continue
            if any(p.search(code) for p in pats):
                return n
        return 0

    def locate(self, files: Sequence[Path], iri: str) -> tuple[str, int]:
        """The first file (of ``files``) and line that define or mention ``iri``."""
        for path in files:
            n = self.subject_line(path, iri)
            if n:
                return str(path), n
        return (str(files[0]) if files else "", 0)


# --- the checks ---------------------------------------------------------------


def _ontology_store(files: Sequence[Path]) -> ox.Store:
    store = ox.Store()
    for path in files:
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in parse_file(path))
    return store


def _iris_of(quads: Iterable[ox.Triple | ox.Quad]) -> set[str]:
    found: set[str] = set()
    for q in quads:
        for term in (q.subject, q.predicate, q.object):
            if isinstance(term, ox.NamedNode):
                if term.value.startswith(NAMESPACE):
                    found.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype.value.startswith(NAMESPACE):
                found.add(term.datatype.value)
    return found


def query_iris(text: str) -> list[tuple[str, int]]:
    """The ``ckg:`` IRIs a SPARQL text uses, with the line of each use.

    Prefixed names are expanded with the query's own ``PREFIX`` declarations;
    comments and strings are not read.

    >>> query_iris('PREFIX k: <https://w3id.org/citykg/ontology#>\\nASK { ?x a k:City }')
    [('https://w3id.org/citykg/ontology#City', 2)]
    """
    toks = tokenize(text)
    prefixes: dict[str, str] = {}
    skip: set[int] = set()
    for i, t in enumerate(toks):
        if (
            t.kind == "name"
            and t.text.upper() == "PREFIX"
            and i + 2 < len(toks)
            and toks[i + 1].kind == "pname"
            and toks[i + 2].kind == "iri"
        ):
            prefixes[toks[i + 1].text[:-1]] = toks[i + 2].text[1:-1]
            skip.update((i + 1, i + 2))
    out: list[tuple[str, int]] = []
    for i, t in enumerate(toks):
        if i in skip:
            continue
        iri = None
        if t.kind == "iri":
            iri = t.text[1:-1]
        elif t.kind == "pname":
            pfx, _, local = t.text.partition(":")
            if pfx in prefixes:
                iri = prefixes[pfx] + local.replace("\\", "")
        if iri is not None and iri.startswith(NAMESPACE):
            out.append((iri, text.count("\n", 0, t.start) + 1))
    return out


def check_undeclared(
    sources: LintSources, declared: set[str], used_in_ontology: set[str], locator: _Locator
) -> list[Problem]:
    """``ckg:`` IRIs used in any source but declared nowhere in the ontology."""
    problems: list[Problem] = []
    for iri in sorted(used_in_ontology - declared):
        where = ""
        line = 0
        for path in sources.ontology:
            line = locator.first_line(path, iri)
            if line:
                where = str(path)
                break
        problems.append(
            Problem(
                where or str(sources.ontology[0]),
                line,
                "undeclared-term",
                iri,
                "is used in the ontology but not declared (no rdf:type)",
            )
        )
    for path in [*sources.shapes, *sources.data]:
        for iri in sorted(_iris_of(parse_file(path)) - declared):
            problems.append(
                Problem(
                    str(path),
                    locator.first_line(path, iri),
                    "undeclared-term",
                    iri,
                    "is used here but not declared in the ontology",
                )
            )
    for path in sources.queries:
        seen: set[str] = set()
        for iri, line in query_iris(path.read_text(encoding="utf-8")):
            if iri not in declared and iri not in seen:
                seen.add(iri)
                problems.append(
                    Problem(
                        str(path),
                        line,
                        "undeclared-term",
                        iri,
                        "is used in this query but not declared in the ontology",
                    )
                )
    return problems


def check_version(
    store: ox.Store,
    files: Sequence[Path],
    version: str,
    version_source: str,
    changelog: Path | None,
    locator: _Locator,
) -> list[Problem]:
    """``owl:versionInfo`` equals the package version; CHANGELOG.md has a heading for it."""
    problems: list[Problem] = []
    infos = [
        q.object
        for q in store.quads_for_pattern(None, _OWL_VERSION_INFO, None)
        if ox.Quad(q.subject, _RDF_TYPE, _OWL_ONTOLOGY) in store
    ]
    path, line = locator.locate(files, ONTOLOGY)
    for f in files:
        n = locator.first_line(f, _OWL_VERSION_INFO.value)
        if n:
            path, line = str(f), n
            break
    for info in infos:
        if isinstance(info, ox.Literal) and info.value != version:
            problems.append(
                Problem(
                    path,
                    line,
                    "version",
                    ONTOLOGY,
                    f'owl:versionInfo "{info.value}" is not the package version '
                    f"{version} (from {version_source})",
                )
            )
    if changelog is not None:
        if not changelog.is_file():
            raise SourceNotFoundError(f"{changelog}: no such file")
        heading = re.compile(rf"^#{{1,4}}\s*\[?v?{re.escape(version)}\]?(?:\s|$)", re.M)
        if not heading.search(changelog.read_text(encoding="utf-8")):
            problems.append(
                Problem(
                    str(changelog),
                    0,
                    "version",
                    ONTOLOGY,
                    f"CHANGELOG.md has no heading for version {version} "
                    f"(e.g. `## [{version}] - YYYY-MM-DD`)",
                )
            )
    return problems


def lint_checks(folder: Path | None = None) -> list[tuple[str, str]]:
    """Every check's name and summary: the SPARQL checks, then the two built in."""
    return [(c.name, c.summary) for c in load_checks(folder)] + [
        (
            "undeclared-term",
            "Every ckg: IRI used in the ontology, shapes, data or queries is declared in the "
            "ontology",
        ),
        ("version", "owl:versionInfo is the package version and CHANGELOG.md has a heading for it"),
    ]


def lint(
    sources: LintSources,
    *,
    version: str | None = None,
    changelog: Path | None = None,
    check_changelog: bool = True,
    checks: Sequence[LintCheck] | None = None,
) -> LintReport:
    """Lint the ontology and the uses of its terms; return every problem found.

    ``version`` defaults to the package version (:func:`package_version`);
    ``changelog`` to ``CHANGELOG.md`` beside the sources (not checked, with a
    note, when there is none, as in an installed wheel). Parse errors raise
    :class:`~citykg.errors.ParseError`; problems are returned, not raised (see
    :meth:`LintReport.raise_for_problems`).
    """
    if not sources.ontology:
        raise SourceNotFoundError("no ontology file to lint")
    checks = list(checks) if checks is not None else load_checks()
    locator = _Locator()
    store = _ontology_store(sources.ontology)
    problems: list[Problem] = []
    for check in checks:
        try:
            result = store.query(check.text)
        except SyntaxError as e:
            raise LintError(f"{check.path}: the lint check is not valid SPARQL: {e}") from None
        if not isinstance(result, ox.QuerySolutions):
            raise LintError(f"{check.path}: a lint check must be a SELECT query")
        for row in result:
            term, message = row["term"], row["message"]
            iri = term.value if isinstance(term, ox.NamedNode) else ""
            path, line = (
                locator.locate(sources.ontology, iri) if iri else (str(sources.ontology[0]), 0)
            )
            text = message.value if isinstance(message, ox.Literal) else check.summary
            problems.append(Problem(path, line, check.name, iri, text))

    declared = {
        q.subject.value
        for q in store.quads_for_pattern(None, _RDF_TYPE, None)
        if isinstance(q.subject, ox.NamedNode)
    }
    used = _iris_of(store.quads_for_pattern(None, None, None))
    problems += check_undeclared(sources, declared, used, locator)

    notes: list[str] = []
    source = "the caller"
    if version is None:
        version, source = package_version()
    if check_changelog and changelog is None:
        changelog = default_changelog()
        if changelog is None:
            notes.append("no CHANGELOG.md beside the sources: its version heading was not checked")
    problems += check_version(
        store, sources.ontology, version, source, changelog if check_changelog else None, locator
    )
    names = [c.name for c in checks] + ["undeclared-term", "version"]
    files = (
        f"{len(sources.ontology)} ontology, {len(sources.shapes)} shapes, "
        f"{len(sources.data)} data and {len(sources.queries)} query files"
    )
    return LintReport(sorted(problems), names, notes, files)
