"""Stored SPARQL queries: grlc-style ``#+`` headers, typed parameters, safe binding.

A stored query is a ``.rq`` file under a queries folder, named by its path
without the suffix (``networks/members-of-network``) or by its file stem when
that is unique (``members-of-network``). Its header is YAML after ``#+``::

    #+ summary: Member cities of a network, with the year each joined
    #+ description: ...
    #+ tags: [networks, membership]
    #+ defaults:
    #+   - network: https://w3id.org/citykg/id/network/c40
    #+ budget: {time: 2s, memory: 200MB}

The ``budget`` is what the query may cost on the shipped graph with its default
parameters (wall time, and peak memory of the process above what it held
before); ``bench/bench_queries.py`` measures every query against it.

Parameters follow grlc's convention: a variable ``?_name_type`` (``?_network_iri``,
``?_year_integer``, ``?_country_string``, ``?_label_en`` for an English
literal). A leading double underscore (``?__name_type``) marks an optional one.
Values are turned into RDF terms, checked against their type, and bound with a
``VALUES`` block at the top of the WHERE clause: user text is never pasted into
the query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib.term import Literal, URIRef

from .errors import QueryParameterError, UnknownQueryError
from .namespaces import XSD
from .sparqltext import inject_values, tokenize

#: libyaml's loader when PyYAML has it (ten times faster than the pure-Python one).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PARAM_RE = re.compile(r"^(_{1,2})([A-Za-z][A-Za-z0-9]*)_([A-Za-z][A-Za-z0-9-]*)$")
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_INT_RE = re.compile(r"[+-]?\d+")
_DEC_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_RE = re.compile(r"\d{4}")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

PARAM_TYPES: dict[str, str] = {
    "iri": "an IRI (http... or https...)",
    "string": "a string",
    "literal": "a string",
    "integer": "a whole number",
    "decimal": "a decimal number",
    "number": "a number",
    "boolean": "true or false",
    "date": "a date YYYY-MM-DD",
    "year": "a year YYYY",
}


_TIME_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0}
_MEMORY_UNITS: dict[str, float] = {"KB": 1e3, "MB": 1e6, "GB": 1e9}
_AMOUNT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


@dataclass(frozen=True)
class Budget:
    """What a stored query may cost on the shipped graph: wall time and peak memory.

    >>> Budget.parse({"time": "1.5s", "memory": "200MB"})
    Budget(seconds=1.5, memory=200000000)
    >>> str(Budget(0.25, 50_000_000))
    'time 250ms, memory 50MB'
    """

    seconds: float
    memory: int

    @classmethod
    def parse(cls, raw: object, where: str = "budget") -> Budget:
        """A budget from its header form ``{time: 2s, memory: 200MB}``; ValueError if malformed."""
        if not isinstance(raw, dict) or set(raw) != {"time", "memory"}:
            raise ValueError(f"{where} must be a mapping {{time: 2s, memory: 200MB}}, got {raw!r}")
        return cls(
            _amount(raw["time"], _TIME_UNITS, f"{where} time"),
            int(_amount(raw["memory"], _MEMORY_UNITS, f"{where} memory")),
        )

    def __str__(self) -> str:
        t = f"{self.seconds * 1000:g}ms" if self.seconds < 1 else f"{self.seconds:g}s"
        return f"time {t}, memory {self.memory / 10**6:g}MB"


def _amount(value: object, units: dict[str, float], where: str) -> float:
    m = _AMOUNT_RE.match(str(value))
    if not m or m.group(2) not in units or float(m.group(1)) <= 0:
        raise ValueError(
            f"{where} must be a positive number with a unit ({', '.join(units)}), got {value!r}"
        )
    return float(m.group(1)) * units[m.group(2)]


@dataclass(frozen=True)
class Parameter:
    """One parameter of a stored query."""

    name: str
    type: str
    variable: str
    optional: bool = False
    default: str | None = None

    @property
    def description(self) -> str:
        kind = PARAM_TYPES.get(self.type, f"a literal in language '{self.type}'")
        return kind + (" (optional)" if self.optional else "")


@dataclass
class StoredQuery:
    """A stored query: its name, header metadata, parameters and text."""

    name: str
    path: Path
    text: str
    summary: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    endpoint: str | None = None
    parameters: list[Parameter] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    budget: Budget | None = None

    @property
    def needs_network(self) -> bool:
        """Tagged ``network``: it calls a remote service and cannot run offline."""
        return "network" in self.tags

    @property
    def group(self) -> str:
        return self.name.split("/")[0] if "/" in self.name else ""

    def bind(self, params: Mapping[str, object] | None = None, *, use_defaults: bool = True) -> str:
        """The query text with every parameter bound as an RDF term.

        Raises :class:`QueryParameterError` for an unknown, missing or ill-typed one.
        """
        params = dict(params or {})
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(params) - set(known))
        if unknown:
            expected = ", ".join(sorted(known)) or "none"
            raise QueryParameterError(
                f"query '{self.name}' has no parameter {', '.join(unknown)} (its parameters: {expected})"
            )
        names, terms = [], []
        for p in self.parameters:
            if p.name in params and params[p.name] is not None:
                value: object = params[p.name]
            elif use_defaults and p.default is not None:
                value = p.default
            elif p.optional:
                continue
            else:
                raise QueryParameterError(
                    f"query '{self.name}' needs parameter '{p.name}' ({p.description}): "
                    f"give it with --param {p.name}=VALUE"
                )
            term = to_term(p, value, self.name)
            names.append(p.variable)
            terms.append(term.n3())
        return inject_values(self.text, names, terms)


def to_term(p: Parameter, value: object, query: str = "") -> URIRef | Literal:
    """Check a parameter value against its type and turn it into an RDF term.

    >>> to_term(Parameter("year", "integer", "_year_integer"), "1985")
    rdflib.term.Literal('1985', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    >>> to_term(Parameter("n", "iri", "_n_iri"), 'x" } SERVICE <http://evil/> {')
    Traceback (most recent call last):
    ...
    citykg.errors.QueryParameterError: parameter 'n' must be an IRI (http... or https...), got 'x" } SERVICE <http://evil/> {'
    """

    def bad() -> QueryParameterError:
        where = f" of query '{query}'" if query else ""
        return QueryParameterError(
            f"parameter '{p.name}'{where} must be {p.description.replace(' (optional)', '')}, got {str(value)!r}"
        )

    if isinstance(value, URIRef):
        value = str(value)
    if isinstance(value, Literal):
        value = str(value)
    t = p.type
    s = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
    if t == "iri":
        if not _SCHEME_RE.match(s) or _IRI_BAD.search(s):
            raise bad()
        if not s.startswith(("http://", "https://", "urn:")):
            raise bad()
        return URIRef(s)
    if t in ("string", "literal"):
        return Literal(str(value))
    if t == "integer":
        if isinstance(value, bool) or not _INT_RE.fullmatch(s):
            raise bad()
        return Literal(s, datatype=XSD.integer)
    if t in ("decimal", "number"):
        if not _DEC_RE.fullmatch(s):
            raise bad()
        return Literal(s, datatype=XSD.decimal)
    if t == "boolean":
        if s.lower() not in ("true", "false", "1", "0"):
            raise bad()
        return Literal("true" if s.lower() in ("true", "1") else "false", datatype=XSD.boolean)
    if t == "date":
        try:
            dt.date.fromisoformat(s)
        except ValueError:
            raise bad() from None
        if not _DATE_RE.fullmatch(s):
            raise bad()
        return Literal(s, datatype=XSD.date)
    if t == "year":
        if not _YEAR_RE.fullmatch(s):
            raise bad()
        return Literal(s, datatype=XSD.gYear)
    if _LANG_RE.match(t):
        return Literal(str(value), lang=t)
    raise QueryParameterError(f"parameter '{p.name}' has an unknown type '{t}'")


def parse_header(text: str, path: Path) -> dict[str, Any]:
    """The YAML metadata of the ``#+`` lines at the top of a query file."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    if not lines:
        return {}
    try:
        meta = yaml.load("\n".join(lines), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as e:
        raise UnknownQueryError(f"{path}: the #+ header is not valid YAML: {e}") from None
    if not isinstance(meta, dict):
        raise UnknownQueryError(f"{path}: the #+ header must be a mapping")
    return meta


def _defaults(meta: dict[str, Any]) -> dict[str, str]:
    raw = meta.get("defaults") or {}
    out: dict[str, str] = {}
    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        if isinstance(item, dict):
            out.update({str(k): str(v) for k, v in item.items()})
    return out


def load_query(path: Path, name: str) -> StoredQuery:
    """Read one stored query file."""
    text = path.read_text(encoding="utf-8")
    meta = parse_header(text, path)
    defaults = _defaults(meta)
    params: list[Parameter] = []
    seen = set()
    for tok in tokenize(text):
        if tok.kind != "var":
            continue
        m = _PARAM_RE.match(tok.text[1:])
        if not m or tok.text[1:] in seen:
            continue
        seen.add(tok.text[1:])
        pname, ptype = m.group(2), m.group(3)
        params.append(
            Parameter(
                pname,
                ptype,
                tok.text[1:],
                optional=len(m.group(1)) == 2,
                default=defaults.get(pname),
            )
        )
    budget = None
    if "budget" in meta:
        try:
            budget = Budget.parse(meta["budget"], f"{path}: #+ budget")
        except ValueError as e:
            raise UnknownQueryError(str(e)) from None
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return StoredQuery(
        name=name,
        path=path,
        text=text,
        summary=str(meta.get("summary", "")).strip(),
        description=str(meta.get("description", "")).strip(),
        tags=[str(t) for t in tags],
        endpoint=meta.get("endpoint"),
        parameters=params,
        meta=meta,
        budget=budget,
    )


class QueryLibrary:
    """All stored queries of the configured folders; later folders add to earlier ones.

    Files are read when first needed: :meth:`get` reads only the query it names.
    """

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self._queries: dict[str, StoredQuery] | None = None
        self._paths: dict[str, Path] | None = None
        self._loaded: dict[str, StoredQuery] = {}
        self._stems: dict[str, list[str]] | None = None

    @property
    def paths(self) -> dict[str, Path]:
        """Query name to file, without reading the files."""
        if self._paths is None:
            found: dict[str, Path] = {}
            for folder in self.folders:
                for path in sorted(folder.rglob("*.rq")):
                    found[path.relative_to(folder).with_suffix("").as_posix()] = path
            self._paths = dict(sorted(found.items()))
        return self._paths

    def _load(self, name: str) -> StoredQuery:
        if name not in self._loaded:
            self._loaded[name] = load_query(self.paths[name], name)
        return self._loaded[name]

    @property
    def queries(self) -> dict[str, StoredQuery]:
        if self._queries is None:
            self._queries = {name: self._load(name) for name in self.paths}
        return self._queries

    def __iter__(self) -> Any:
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.paths)

    def get(self, name: str) -> StoredQuery:
        """A query by full name (``group/name``) or by unique file stem."""
        paths = self.paths
        if name in paths:
            return self._load(name)
        if self._stems is None:
            self._stems = {}
            for n in paths:
                self._stems.setdefault(n.rsplit("/", 1)[-1], []).append(n)
        by_stem = self._stems.get(name, [])
        if len(by_stem) == 1:
            return self._load(by_stem[0])
        if len(by_stem) > 1:
            raise UnknownQueryError(f"query name '{name}' is ambiguous: {', '.join(by_stem)}")
        raise UnknownQueryError(f"no stored query named '{name}' (see `citykg query --list`)")


def questions_of(query: StoredQuery) -> list[int]:
    """The competency questions a query answers (its ``#+ questions: [..]`` header)."""
    raw = query.meta.get("questions") or []
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            continue
    return sorted(set(out))


def library_markdown(
    library: QueryLibrary,
    examples: Mapping[str, str] | None = None,
    *,
    questions: Mapping[int, str] | None = None,
    extra_questions: Mapping[str, list[int]] | None = None,
) -> str:
    """The documentation of a query library as Markdown (``queries/README.md``).

    ``examples`` maps a query name to an already rendered example (a Markdown
    table); ``questions`` maps a competency-question number to its text, for
    the question-to-query table; ``extra_questions`` adds questions to queries
    whose header does not name them.

    >>> lib = QueryLibrary([])
    >>> library_markdown(lib).splitlines()[0]
    '# Stored queries'
    """
    examples = examples or {}
    extra = extra_questions or {}
    queries = list(library)
    by_question: dict[int, list[str]] = {}
    for q in queries:
        for n in sorted(set(questions_of(q)) | set(extra.get(q.name, []))):
            by_question.setdefault(n, []).append(q.name)
    lines = [
        "# Stored queries",
        "",
        "<!-- Generated by scripts/gen_query_docs.py from the #+ headers of the .rq files: "
        "do not edit by hand. -->",
        "",
        "Each `.rq` file is a plain SPARQL 1.1 query with a grlc-style `#+` YAML header "
        "(summary, description, tags, defaults, endpoint). Parameters are variables "
        "`?_name_type` (`?_city_iri`, `?_minimum_integer`, `?_from_year`, `?_text_string`); "
        "citykg binds them as RDF terms in a `VALUES` block at the top of the WHERE clause, "
        "never by pasting text. Run one with `citykg query NAME --param name=value "
        "[--format table|csv|tsv|json|xml|markdown|turtle|jsonld|ntriples] [--explain] "
        "[--endpoint URL]`, or in Python with `kg.query(NAME, **params)`. Queries tagged "
        "`network` call Wikidata and are refused offline (`--online` allows them).",
        "",
        f"{len(queries)} stored queries.",
        "",
    ]
    if by_question or questions:
        lines += ["## Competency questions", "", "| # | question | queries |", "|---|---|---|"]
        numbers = sorted(set(by_question) | set(questions or {}))
        for n in numbers:
            text = (questions or {}).get(n, "").replace("|", "\\|")
            names = ", ".join(f"`{x}`" for x in by_question.get(n, [])) or "—"
            lines.append(f"| {n} | {text} | {names} |")
        lines.append("")
    lines += ["## Index", "", "| query | summary | parameters | tags |", "|---|---|---|---|"]
    for q in queries:
        params = ", ".join(f"`{p.name}` ({p.type})" for p in q.parameters) or "—"
        anchor = q.name.replace("/", "")
        lines.append(f"| [`{q.name}`](#{anchor}) | {q.summary} | {params} | {', '.join(q.tags)} |")
    lines.append("")
    for q in queries:
        lines += [f"### {q.name}", "", f"**{q.summary}**", ""]
        if q.description:
            lines += [q.description, ""]
        lines.append(f"File: [`{q.name}.rq`]({q.name}.rq). Tags: {', '.join(q.tags) or '—'}.")
        qs = sorted(set(questions_of(q)) | set(extra.get(q.name, [])))
        if qs:
            lines.append(
                f"Competency question{'s' if len(qs) > 1 else ''}: {', '.join(str(n) for n in qs)}."
            )
        if q.endpoint:
            lines.append(f"Endpoint: <{q.endpoint}>.")
        lines.append("")
        if q.parameters:
            lines += ["| parameter | type | default |", "|---|---|---|"]
            for p in q.parameters:
                lines.append(f"| `{p.name}` | {p.description} | `{p.default or ''}` |")
            lines.append("")
        example = examples.get(q.name)
        if example:
            lines += [example.rstrip("\n"), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
