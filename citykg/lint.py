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

Four more compare the ontology with the data, and run when data is given:

``undeclared-reused-term``
    a predicate or class of another vocabulary (``org:linkedTo``,
    ``foaf:Group``) that the data uses but the ontology does not declare.
``unused-term``
    a ``ckg:`` term that nothing uses: no data, no rule, no narrower term
    (only with ``LintSources.usage``, as for the shipped sources).
    ``ontology/lint/unused-terms.txt`` lists the terms kept on purpose, each
    with its reason; a listed term that is used is reported too.
``example-contradicts-data``
    a ``skos:example`` that names entities of the data and says something
    the data denies: ``S ckg:p O`` where both resolve (by label) and the data
    has no such triple; a class example naming an entity that the data types
    otherwise; an issue-area example naming a network that does not focus on
    it. Names that do not resolve to exactly one entity are not checked.
``duplicate-place``
    one place under two IRIs: two places of the same kind with the same
    ``ckg:wikidataId``, two of the same name within 5 km, or a place keyed by
    name (no Wikidata ID, not a dataset row's key) sharing its name with a place that has one.
    ``ontology/lint/distinct-places.txt`` lists pairs checked and kept apart,
    each with its reason.

Each problem names the file and, where a text scan finds it, the line.
``citykg lint`` prints them and exits with code 14 (:class:`LintFailed`).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import LintError, SourceNotFoundError
from .loader import rdf_files
from .namespaces import CKG, ONTOLOGY_IRI, OWL, RDF, RDFS, SKOS, XSD
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
    #: Whether the data and queries are all the uses there are, so that a term
    #: none of them uses is unused (``unused-term``).
    usage: bool = False
    #: Terms kept although unused, and place pairs kept apart (``None``: the
    #: shipped lists in ``ontology/lint/``).
    allowlists: Path | None = None

    @classmethod
    def shipped(cls) -> LintSources:
        """The shipped ontology, shapes, data, stored queries and rules."""
        onto = resource_dir("ontology")
        return cls(
            ontology=rdf_files(onto),
            shapes=rdf_files(resource_dir("shapes"), recursive=True),
            data=data_files(resource_dir("data")),
            queries=query_files(resource_dir("queries")) + query_files(onto),
            usage=True,
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


_START_RE = re.compile(r"<[^>\s]*>|[^\s;,<]+")


class _Locator:
    """Finds the line of a term in a file by a text scan (a hint, not a parse)."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str]] = {}
        self._prefixes: dict[Path, dict[str, str]] = {}
        self._starts: dict[Path, dict[str, int]] = {}

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

    def _statement_starts(self, path: Path) -> dict[str, int]:
        """The term that starts each line (as written), mapped to its first line: one scan per file."""
        if path not in self._starts:
            starts: dict[str, int] = {}
            for n, line in enumerate(self._read(path), start=1):
                m = _START_RE.match(line)
                if m:
                    starts.setdefault(m.group(0), n)
            self._starts[path] = starts
        return self._starts[path]

    def subject_line(self, path: Path, iri: str) -> int:
        """The line where ``iri`` starts a statement, else where it first occurs (0: unknown)."""
        lines = self._read(path)
        starts = self._statement_starts(path)
        written = [f"<{iri}>"] + [
            f"{pfx}:{iri[len(ns) :]}"
            for pfx, ns in self._prefixes[path].items()
            if iri.startswith(ns) and len(iri) > len(ns)
        ]
        found = [starts[w] for w in written if w in starts]
        if found:
            return min(found)
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
    names = [c.name for c in checks] + ["undeclared-term", "version"] + list(DATA_CHECKS)
    if sources.data:
        problems += check_against_data(sources, store, locator)
    files = (
        f"{len(sources.ontology)} ontology, {len(sources.shapes)} shapes, "
        f"{len(sources.data)} data and {len(sources.queries)} query files"
    )
    return LintReport(sorted(problems), names, notes, files)


# --- checks of the ontology against the data ------------------------------------

#: The checks that compare the ontology with the data.
DATA_CHECKS = (
    "undeclared-reused-term",
    "unused-term",
    "example-contradicts-data",
    "duplicate-place",
)

_RDF = str(RDF)
_RDFS = str(RDFS)
_OWL = str(OWL)
_XSD = str(XSD)
_SKOS = str(SKOS)
_CORE = (_RDF, _RDFS, _OWL, _XSD)
_LABELS = (_RDFS + "label", _SKOS + "altLabel", _SKOS + "prefLabel")
_PLACE_KINDS = ("City", "Country", "Subdivision", "Region", "Place")
#: Distance under which two places of one name are one place, in km.
NEAR_KM = 5.0
_CLAUSE = re.compile(r"^(?P<s>.+?)\s+ckg:(?P<p>[A-Za-z]+)\s+(?P<o>.+)$")
#: Keys made from a dataset's own identifiers (a Wikidata ID, a Natural Earth
#: row, a Covenant of Mayors organisation_id, a Net Zero Tracker row): those
#: places were matched by their mapping's rules, and the candidates left
#: unmatched are listed in its REPORT.md, so a shared name alone is no finding.
_GENERATED_KEY = re.compile(r"/(q\d+|ne-\d+|covenant-[0-9a-z-]+|nzt-cit-\d+)$")
_POINT = re.compile(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)")


def _nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _iri(term: object) -> str:
    """The IRI of a named node, else ``""``."""
    return term.value if isinstance(term, ox.NamedNode) else ""


def _objects(store: ox.Store, s: ox.NamedNode | ox.BlankNode | None, p: str) -> list[Any]:
    return [q.object for q in store.quads_for_pattern(s, _nn(p), None)]


def _subjects(store: ox.Store, p: str, o: ox.NamedNode | None) -> list[Any]:
    return [q.subject for q in store.quads_for_pattern(None, _nn(p), o)]


def _closure(edges: dict[str, set[str]], start: str) -> set[str]:
    """``start`` and everything reachable from it along ``edges``."""
    seen = {start}
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def read_list(path: Path) -> dict[str, str]:
    """A list file of ``ontology/lint``: each line ``KEY  reason``; ``#`` lines are comments."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, reason = line.strip().partition(" ")
            out[key] = reason.strip()
    return out


def _expand(curie: str) -> str:
    if curie.startswith("ckg:"):
        return NAMESPACE + curie[4:]
    if curie.startswith("id:"):
        return "https://w3id.org/citykg/id/" + curie[3:]
    return curie


class _Data:
    """The data graph and the ontology, with the indexes the checks share."""

    def __init__(self, sources: LintSources, onto: ox.Store) -> None:
        self.onto = onto
        self.store = _ontology_store(sources.data)
        self.declared = {
            q.subject.value
            for q in onto.quads_for_pattern(None, _RDF_TYPE, None)
            if isinstance(q.subject, ox.NamedNode)
        }
        self.sub_of: dict[str, set[str]] = {}
        self.super_of: dict[str, set[str]] = {}
        for pred in (_RDFS + "subClassOf", _RDFS + "subPropertyOf"):
            for q in onto.quads_for_pattern(None, _nn(pred), None):
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                    self.super_of.setdefault(q.subject.value, set()).add(q.object.value)
                    self.sub_of.setdefault(q.object.value, set()).add(q.subject.value)
        self.labels: dict[str, set[str]] = {}
        for pred in _LABELS:
            for q in self.store.quads_for_pattern(None, _nn(pred), None):
                if (
                    isinstance(q.subject, ox.NamedNode)
                    and isinstance(q.object, ox.Literal)
                    and q.object.language in (None, "en")
                ):
                    key = q.object.value.strip().lower()
                    self.labels.setdefault(key, set()).add(q.subject.value)

    def types(self, iri: str) -> set[str]:
        return {
            t.value
            for t in _objects(self.store, _nn(iri), _RDF + "type")
            if isinstance(t, ox.NamedNode)
        }

    def all_types(self, iri: str) -> set[str]:
        out: set[str] = set()
        for t in self.types(iri):
            out |= _closure(self.super_of, t)
        return out

    def resolve(self, name: str) -> str | None:
        """The one entity a name in an example stands for, or ``None``."""
        name = re.sub(r"\([^)]*\)", "", name).strip().strip(".,;:\"'")
        name = re.sub(r"^(the|The|a|an|An|A)\s+", "", name).strip()
        if re.fullmatch(r"(ckg|id):[\w/\-]+", name):
            iri = _expand(name)
            known = iri in self.declared or bool(self.types(iri))
            return iri if known else None
        found = self.labels.get(name.lower(), set())
        return next(iter(found)) if len(found) == 1 else None


def check_against_data(sources: LintSources, onto: ox.Store, locator: _Locator) -> list[Problem]:
    """The checks of :data:`DATA_CHECKS`."""
    data = _Data(sources, onto)
    lists = sources.allowlists if sources.allowlists is not None else checks_dir()
    problems = check_reused_declared(sources, data, locator)
    if sources.usage:
        problems += check_unused(sources, data, read_list(lists / "unused-terms.txt"), locator)
    problems += check_examples(sources, data, locator)
    problems += check_duplicate_places(
        sources, data, read_list(lists / "distinct-places.txt"), locator
    )
    return problems


def check_reused_declared(sources: LintSources, data: _Data, locator: _Locator) -> list[Problem]:
    """Predicates and classes of other vocabularies that the data uses and the ontology does not declare."""
    problems: list[Problem] = []
    for path in sources.data:
        seen: set[str] = set()
        for q in parse_file(path):
            used = [q.predicate.value]
            if q.predicate == _RDF_TYPE and isinstance(q.object, ox.NamedNode):
                used.append(q.object.value)
            for iri in used:
                if (
                    iri in seen
                    or iri.startswith(NAMESPACE)
                    or iri.startswith(_CORE)
                    or iri in data.declared
                ):
                    continue
                seen.add(iri)
                problems.append(
                    Problem(
                        str(path),
                        locator.first_line(path, iri),
                        "undeclared-reused-term",
                        iri,
                        "is used in the data but the ontology does not declare it "
                        "(declare it with the reused vocabulary, or use a citykg term)",
                    )
                )
    return problems


def _rule_iris(sources: LintSources) -> set[str]:
    """``ckg:`` IRIs that a rule of the build constructs (``#+ graph:`` queries)."""
    out: set[str] = set()
    for path in sources.queries:
        text = path.read_text(encoding="utf-8")
        if re.search(r"^#\+\s*graph:", text, re.M) and "CONSTRUCT" in text.upper():
            template = text.upper().split("CONSTRUCT", 1)[1].split("WHERE", 1)[0]
            start = text.upper().index("CONSTRUCT")
            chunk = text[start : start + len("CONSTRUCT") + len(template)]
            out |= {
                iri
                for iri, _ in query_iris(
                    "".join(line + "\n" for line in text.splitlines() if line.startswith("PREFIX"))
                    + chunk
                )
            }
    return out


def _derived(sources: LintSources, onto: ox.Store) -> set[str]:
    """Terms the build computes rather than the data stating them.

    Properties with a chain axiom, classes with an OWL definition, what a rule
    constructs, and the inverses of all these.
    """
    out = set(_rule_iris(sources))
    for pred in (_OWL + "propertyChainAxiom", _OWL + "equivalentClass"):
        out |= {
            q.subject.value
            for q in onto.quads_for_pattern(None, _nn(pred), None)
            if isinstance(q.subject, ox.NamedNode)
        }
    for q in onto.quads_for_pattern(None, _nn(_OWL + "inverseOf"), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            if q.object.value in out:
                out.add(q.subject.value)
            if q.subject.value in out:
                out.add(q.object.value)
    return out


def check_unused(
    sources: LintSources, data: _Data, allowed: dict[str, str], locator: _Locator
) -> list[Problem]:
    """``ckg:`` classes, properties and concepts that nothing uses."""
    kinds = {
        _OWL + "Class",
        _OWL + "ObjectProperty",
        _OWL + "DatatypeProperty",
        _OWL + "AnnotationProperty",
        _SKOS + "Concept",
    }
    terms = {
        _iri(q.subject)
        for q in data.onto.quads_for_pattern(None, _RDF_TYPE, None)
        if _iri(q.subject).startswith(NAMESPACE) and _iri(q.object) in kinds
    }
    used: set[str] = _derived(sources, data.onto)
    for store in (data.store,):
        for q in store.quads_for_pattern(None, None, None):
            for term in (q.predicate, q.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(NAMESPACE):
                    used.add(term.value)
    concept = ox.Quad  # the classes of the ontology's own concepts have instances there
    for q in data.onto.quads_for_pattern(None, _RDF_TYPE, None):
        subject, cls = _iri(q.subject), _iri(q.object)
        is_concept = (
            concept(_nn(subject), _RDF_TYPE, _nn(_SKOS + "Concept")) in data.onto
            if subject
            else False
        )
        if is_concept and cls.startswith(NAMESPACE):
            used.add(cls)
    for q in data.onto.quads_for_pattern(None, None, None):  # annotations used in the ontology
        if q.predicate.value.startswith(NAMESPACE):
            used.add(q.predicate.value)
    inverse: dict[str, set[str]] = {}
    for q in data.onto.quads_for_pattern(None, _nn(_OWL + "inverseOf"), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            inverse.setdefault(q.subject.value, set()).add(q.object.value)
            inverse.setdefault(q.object.value, set()).add(q.subject.value)
    narrower: dict[str, set[str]] = {}
    for q in data.onto.quads_for_pattern(None, _nn(_SKOS + "broader"), None):
        narrower.setdefault(_iri(q.object), set()).add(_iri(q.subject))
    changed = True
    while changed:
        changed = False
        for t in terms - used:
            subs = data.sub_of.get(t, set()) | narrower.get(t, set())
            if subs & used or inverse.get(t, set()) & used:
                used.add(t)
                changed = True
    problems: list[Problem] = []
    for t in sorted(terms - used):
        if short(t) in allowed:
            continue
        path, line = locator.locate(sources.ontology, t)
        problems.append(
            Problem(
                path,
                line,
                "unused-term",
                t,
                "is defined but no data, rule or narrower term uses it "
                "(use it where a source supports it, remove it, or list it "
                "with its reason in ontology/lint/unused-terms.txt)",
            )
        )
    for key in sorted(allowed):
        t = _expand(key)
        if t in used:
            path, line = locator.locate(sources.ontology, t)
            problems.append(
                Problem(
                    path,
                    line,
                    "unused-term",
                    t,
                    "is listed in ontology/lint/unused-terms.txt but is used: "
                    "remove it from the list",
                )
            )
    return problems


def _split_names(text: str) -> list[str]:
    parts = re.split(r";\s+|,\s+|\s+and\s+", text.strip().rstrip("."))
    return [p for p in (x.strip() for x in parts) if p]


def check_examples(sources: LintSources, data: _Data, locator: _Locator) -> list[Problem]:
    """Examples of the ontology that the data contradicts, where names resolve."""
    problems: list[Problem] = []
    onto = data.onto
    symmetric = {
        q.subject.value
        for q in onto.quads_for_pattern(None, _RDF_TYPE, _nn(_OWL + "SymmetricProperty"))
        if isinstance(q.subject, ox.NamedNode)
    }
    derived = _derived(sources, onto)
    inverse: dict[str, set[str]] = {}
    for q in onto.quads_for_pattern(None, _nn(_OWL + "inverseOf"), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            inverse.setdefault(q.subject.value, set()).add(q.object.value)
            inverse.setdefault(q.object.value, set()).add(q.subject.value)
    classes = {
        q.subject.value
        for q in onto.quads_for_pattern(None, _RDF_TYPE, _nn(_OWL + "Class"))
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(NAMESPACE)
    }
    issue_areas = {
        q.subject.value
        for q in onto.quads_for_pattern(
            None, _nn(_SKOS + "inScheme"), _nn(NAMESPACE + "IssueAreaScheme")
        )
        if isinstance(q.subject, ox.NamedNode)
    }
    narrower: dict[str, set[str]] = {}
    for q in onto.quads_for_pattern(None, _nn(_SKOS + "broader"), None):
        narrower.setdefault(_iri(q.object), set()).add(_iri(q.subject))

    def holds(s: str, p: str, o: str) -> bool:
        preds = _closure(data.sub_of, p)
        for pred in preds:
            if ox.Quad(_nn(s), _nn(pred), _nn(o)) in data.store or (
                pred in symmetric and ox.Quad(_nn(o), _nn(pred), _nn(s)) in data.store
            ):
                return True
            for inv in inverse.get(pred, ()):
                if ox.Quad(_nn(o), _nn(inv), _nn(s)) in data.store:
                    return True
        return False

    def report(term: str, message: str) -> None:
        path, line = locator.locate(sources.ontology, term)
        problems.append(Problem(path, line, "example-contradicts-data", term, message))

    for q in onto.quads_for_pattern(None, _nn(_SKOS + "example"), None):
        if not (isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)):
            continue
        term, text = q.subject.value, q.object.value
        for clause in re.split(r";\s+", text.strip().rstrip(".")):
            m = _CLAUSE.match(clause.strip())
            if m:
                p = NAMESPACE + m.group("p")
                if p in derived or p not in data.declared:
                    continue
                s = data.resolve(m.group("s"))
                if s is None:
                    continue
                for oname in [m.group("o"), *_split_names(m.group("o"))]:
                    o = data.resolve(oname)
                    if o is not None:
                        if not holds(s, p, o):
                            report(
                                term,
                                f'skos:example says "{clause.strip()}", but the data '
                                f"has no {short(s)} {short(p)} {short(o)}",
                            )
                        break
                continue
            parts = _split_names(clause)
            resolved = [data.resolve(n) for n in parts]
            if 2 * sum(r is not None for r in resolved) < len(parts):
                continue  # prose, not a list of names: not mechanically checkable
            if term in classes and term not in derived:
                for name in parts:
                    e = data.resolve(name)
                    if e is None or e in data.declared or not data.types(e):
                        continue
                    if term not in data.all_types(e):
                        report(
                            term,
                            f'skos:example names "{name}" ({short(e)}), which the '
                            f"data does not type {short(term)}",
                        )
            elif term in issue_areas:
                areas = _closure(narrower, term)
                for name in parts:
                    e = data.resolve(name)
                    if e is None or NAMESPACE + "Network" not in data.all_types(e):
                        continue
                    focus = {o.value for o in _objects(data.store, _nn(e), NAMESPACE + "focusesOn")}
                    if not focus & areas:
                        report(
                            term,
                            f'skos:example names the network "{name}" ({short(e)}), '
                            f"which the data does not say focuses on {short(term)}",
                        )
    return problems


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def check_duplicate_places(
    sources: LintSources, data: _Data, distinct: dict[str, str], locator: _Locator
) -> list[Problem]:
    """One place under two IRIs: same Wikidata ID, same name nearby, or a name-keyed twin."""
    kind: dict[str, str] = {}
    for k in _PLACE_KINDS:
        for s in _subjects(data.store, _RDF + "type", _nn(NAMESPACE + k)):
            if isinstance(s, ox.NamedNode) and s.value not in kind:
                kind[s.value] = k
    qid: dict[str, str] = {}
    point: dict[str, tuple[float, float]] = {}
    names: dict[str, set[str]] = {}
    for iri in kind:
        node = _nn(iri)
        for o in _objects(data.store, node, NAMESPACE + "wikidataId"):
            qid[iri] = o.value
        wkts = _objects(data.store, node, NAMESPACE + "coordinates")
        for g in _objects(data.store, node, "http://www.opengis.net/ont/geosparql#hasGeometry"):
            if isinstance(g, ox.NamedNode | ox.BlankNode):
                wkts += _objects(data.store, g, "http://www.opengis.net/ont/geosparql#asWKT")
        for o in wkts:
            m = _POINT.search(o.value)
            if m:
                point[iri] = (float(m.group(1)), float(m.group(2)))
        for o in _objects(data.store, node, _RDFS + "label"):
            if isinstance(o, ox.Literal) and o.language in (None, "en"):
                names.setdefault(o.value.strip().lower(), set()).add(iri)
    pairs: dict[tuple[str, str], str] = {}

    def same_kind(a: str, b: str) -> bool:
        ka, kb = kind[a], kind[b]
        return ka == kb or {ka, kb} == {"City", "Place"}

    by_qid: dict[str, list[str]] = {}
    for iri, q in qid.items():
        by_qid.setdefault(q, []).append(iri)
    for q, iris in by_qid.items():
        for i, a in enumerate(sorted(iris)):
            for b in sorted(iris)[i + 1 :]:
                if same_kind(a, b):
                    pairs[(a, b)] = f"has the same Wikidata ID ({q}) as {short(b)}"
    for name, named in names.items():
        ordered = sorted(named)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if (a, b) in pairs or not same_kind(a, b):
                    continue
                if a in point and b in point and _km(point[a], point[b]) <= NEAR_KM:
                    pairs[(a, b)] = (
                        f'has the name "{name}" of {short(b)}, '
                        f"{_km(point[a], point[b]):.1f} km away"
                    )
                elif (a in qid) != (b in qid) and kind[a] in ("City", "Place"):
                    keyed, other = (a, b) if a not in qid else (b, a)
                    if _GENERATED_KEY.search(keyed):
                        continue  # a dataset row without an ID, not a curated place
                    pairs[(a, b)] = (
                        f'{short(keyed)} (no Wikidata ID) has the name "{name}" '
                        f"of {short(other)} ({qid[other]})"
                    )
    problems: list[Problem] = []
    for (a, b), message in sorted(pairs.items()):
        if f"{short(a)}|{short(b)}" in distinct or f"{short(b)}|{short(a)}" in distinct:
            continue
        path, line = locator.locate(sources.data, a)
        problems.append(
            Problem(
                path,
                line,
                "duplicate-place",
                a,
                message + ": one place under two IRIs? (merge them, or list the "
                "pair with its reason in ontology/lint/distinct-places.txt)",
            )
        )
    return problems
