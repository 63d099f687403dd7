"""The standard ingest path: CSV/TSV tables to RDF through W3C CSVW metadata.

A *mapping* is a W3C CSV on the Web metadata file (``*.csv-metadata.json``,
a table or a table group) read with the ``csvw`` package. Each row becomes
triples by the standard CSV2RDF conversion ("Generating RDF from Tabular Data
on the Web", minimal mode) for the features the mappings use: ``aboutUrl``,
``propertyUrl`` and ``valueUrl`` URI templates, ``datatype`` (with ``format``,
``minimum``/``maximum`` and an ``@id`` for a custom datatype), ``lang``,
``null``, ``default``, ``required``, ``separator``, ``virtual`` and
``suppressOutput`` columns, ``primaryKey``, and the ``dialect`` (delimiter,
header, encoding, quote character, trim).

What CSVW cannot express (re-keying, joins between tables or against an
existing layer, constants such as a dataset description) is a second,
declarative step in a standard language: the metadata's standard
``transformations`` list SPARQL 1.1 Update scripts (``*.ru``, run in order on
a pyoxigraph store holding the converted rows) and SPARQL SELECT checks
(``*.rq``: each solution with ``?row`` and ``?reason`` is a bad row, each
solution with ``?note`` a note). Layers the joins read are named by the
group's ``dcterms:requires`` and loaded, read-only, into the named graph
:data:`CONTEXT_GRAPH`.

While the mapping runs, rows carry helper triples in the
:data:`STAGING` namespace (``ingest:row`` holds each row's number); they are
removed before the result is validated and written.

Row numbers are RFC 7111 record numbers: the first record of the file is
row 1, so with a header row the first data row is row 2 (as a spreadsheet
shows it). Problems that belong to no row (a failed shape) use row 0.
"""

from __future__ import annotations

import csv
import datetime as _dt
import decimal
import io
import json
import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urljoin

import pyoxigraph as ox
from rdflib import Graph, URIRef

from citykg.errors import ConfigError, IngestError, SourceNotFoundError
from citykg.namespaces import ID, PREFIXES

from .files import write_atomic
from .namespaces import CSVW, DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, TIME, VOID, XSD
from .terms import triple_to_rdflib
from .turtle import GENERATED_MARK, is_generated_file, serialize_turtle

__all__ = [
    "CONTEXT_GRAPH",
    "OUTPUT_PREFIXES",
    "STAGING",
    "IngestResult",
    "Validator",
    "ingest",
    "notes_report",
]

#: Helper predicates of the mapping step; never written out.
STAGING = "https://w3id.org/citykg/ingest#"
#: The named graph holding the layers a mapping ``dcterms:requires`` (read-only).
CONTEXT_GRAPH = STAGING + "context"

_CSVW = str(CSVW)
_XSD = str(XSD)
_RDF = str(RDF)
_SPARQL_UPDATE = "http://www.w3.org/TR/sparql11-update/"
_SPARQL_QUERY = "http://www.w3.org/TR/sparql11-query/"

#: The RDFa initial context prefixes that CSVW lets a template or property use.
_CSVW_PREFIXES: dict[str, str] = {
    "csvw": _CSVW,
    "dc": str(DCTERMS),
    "dcat": str(DCAT),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": _RDF,
    "rdfs": str(RDFS),
    "schema": "http://schema.org/",  # the RDFa initial context's (http), not rdflib's SDO (https)
    "skos": str(SKOS),
    "time": str(TIME),
    "void": str(VOID),
    "xsd": _XSD,
}

#: CSVW built-in datatype names whose RDF datatype is not ``xsd:<name>``.
_DATATYPE_IRIS: dict[str, str] = {
    "number": _XSD + "double",
    "binary": _XSD + "base64Binary",
    "datetime": _XSD + "dateTime",
    "any": _XSD + "anyAtomicType",
    "xml": _RDF + "XMLLiteral",
    "html": _RDF + "HTML",
    "json": _CSVW + "JSON",
}

#: Prefixes of generated files: citykg's own plus one per kind of thing.
OUTPUT_PREFIXES: dict[str, str] = {
    **PREFIXES,
    **{
        kind.replace("-", ""): f"{ID}{kind}/"
        for kind in (
            "city",
            "country",
            "subdivision",
            "place",
            "twinning",
            "membership",
            "network",
            "citation",
            "dataset",
            "city-government",
        )
    },
}

#: Called on the finished graph before anything is written; returns messages.
Validator = Callable[[Graph], list[str]]

_SOURCE_ROW = STAGING + "row"


@dataclass(frozen=True)
class IngestResult:
    """What one ingest produced.

    ``rows`` counts data rows read per table file name; ``instances`` counts
    subjects per ``rdf:type`` IRI; ``notes`` are the messages of the mapping's
    note queries (rows skipped on purpose and why).
    """

    output: Path | None
    written: bool
    rows: dict[str, int]
    triples: int
    subjects: int
    instances: dict[str, int]
    notes: list[str]
    seconds: float
    turtle: str = field(repr=False)


@dataclass
class _Transformation:
    url: Path
    kind: str  # "update" or "query"
    title: str


@dataclass
class _Mapping:
    path: Path
    group: Any  # csvw.TableGroup
    tables: list[Any]  # csvw.Table
    transformations: list[_Transformation]
    requires: list[Path]
    warnings: list[str]
    declares_delimiter: bool


# --------------------------------------------------------------------------- mapping


def _load_mapping(mapping: Path) -> _Mapping:
    from csvw import TableGroup  # type: ignore[import-untyped]

    if not mapping.is_file():
        raise SourceNotFoundError(f"mapping not found: {mapping}")
    try:
        data = json.loads(mapping.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{mapping}: not a JSON CSVW metadata file: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{mapping}: CSVW metadata must be a JSON object")
    base = mapping.parent
    transformations: list[_Transformation] = []
    requires_refs: list[Any] = []
    if "tables" not in data:  # a single table description: make it a group of one
        table = {k: v for k, v in data.items() if k != "@context"}
        data = {"@context": data.get("@context", "http://www.w3.org/ns/csvw"), "tables": [table]}
    for table in data["tables"]:
        if isinstance(table.get("tableSchema"), str):
            schema_path = base / table["tableSchema"]
            try:
                table["tableSchema"] = json.loads(schema_path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ConfigError(f"{mapping}: cannot read tableSchema {schema_path}") from exc
        transformations.extend(_transformations(mapping, table.pop("transformations", [])))
        requires_refs.extend(_as_list(table.pop("dcterms:requires", [])))
    transformations.extend(_transformations(mapping, data.pop("transformations", [])))
    requires_refs.extend(_as_list(data.pop("dcterms:requires", [])))
    requires = [base / _link(ref) for ref in requires_refs]
    declares_delimiter = any(
        isinstance(d, dict) and "delimiter" in d
        for d in [data.get("dialect")] + [t.get("dialect") for t in data["tables"]]
    )
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            group = TableGroup.fromvalue(data)
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"{mapping}: invalid CSVW metadata: {exc}") from exc
    group._fname = mapping
    caught = [str(w.message) for w in seen]
    return _Mapping(
        mapping, group, list(group.tables), transformations, requires, caught, declares_delimiter
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _link(value: Any) -> str:
    if isinstance(value, dict) and "@id" in value:
        return str(value["@id"])
    return str(value)


def _transformations(mapping: Path, items: Any) -> list[_Transformation]:
    out: list[_Transformation] = []
    for item in _as_list(items):
        if not isinstance(item, dict) or "url" not in item or "scriptFormat" not in item:
            raise ConfigError(f"{mapping}: a transformation needs url and scriptFormat")
        fmt = _link(item["scriptFormat"])
        if fmt == _SPARQL_UPDATE:
            kind = "update"
        elif fmt == _SPARQL_QUERY:
            kind = "query"
        else:
            raise ConfigError(f"{mapping}: unsupported transformation scriptFormat {fmt}")
        title = item.get("titles", "")
        if isinstance(title, list):
            title = title[0] if title else ""
        out.append(_Transformation(mapping.parent / _link(item["url"]), kind, str(title)))
    return out


# --------------------------------------------------------------------------- reading


def _table_path(mapping: _Mapping, table: Any, source: Path | None) -> Path:
    declared = str(table.url) if table.url is not None else None
    if source is None:
        if declared is None:
            raise ConfigError(f"{mapping.path}: a table has no url and no source was given")
        return mapping.path.parent / declared
    if source.is_dir():
        if declared is None:
            raise ConfigError(f"{mapping.path}: a table has no url to look up in {source}")
        return source / Path(declared).name
    if len(mapping.tables) != 1:
        raise ConfigError(
            f"{mapping.path} describes {len(mapping.tables)} tables: give a folder as source"
        )
    return source


def _dialect(mapping: _Mapping, table: Any, path: Path, encoding: str | None) -> Any:
    """The table's dialect; a ``.tsv``/``.tab`` file without a declared delimiter is
    tab-separated (the CSVW default for ``text/tab-separated-values``)."""
    import copy

    from csvw import Dialect

    dialect = copy.copy(table.dialect or mapping.group.dialect or Dialect())
    if path.suffix.lower() in (".tsv", ".tab") and not mapping.declares_delimiter:
        dialect.delimiter = "\t"
    if encoding is not None:
        dialect.encoding = encoding
    return dialect


def _python_encoding(name: str) -> str:
    lowered = name.lower().replace("_", "-")
    return "utf-8-sig" if lowered in ("utf-8", "utf8") else lowered


def _records(path: Path, dialect: Any) -> Iterator[tuple[int, list[str], list[str]]]:
    """Yield ``(row number, cells, decoding problems)`` for every record of ``path``."""
    encoding = _python_encoding(str(dialect.encoding or "utf-8"))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceNotFoundError(f"cannot read {path}: {exc}") from exc
    try:
        text = raw.decode(encoding, errors="surrogateescape")
    except LookupError as exc:
        raise ConfigError(f"unknown encoding {dialect.encoding!r} for {path}") from exc
    params: dict[str, Any] = {
        "delimiter": dialect.delimiter,
        "doublequote": dialect.doubleQuote,
        "skipinitialspace": dialect.skipInitialSpace,
        "strict": False,
    }
    if dialect.quoteChar:
        params["quotechar"] = dialect.quoteChar
    else:
        params["quoting"] = csv.QUOTE_NONE
    if not dialect.doubleQuote:
        params["escapechar"] = "\\"
    reader = csv.reader(io.StringIO(text, newline=""), **params)
    skip = int(dialect.skipRows or 0)
    for number, cells in enumerate(reader, start=1):
        if number <= skip:
            continue
        bad = [c for c in cells if re.search("[\udc80-\udcff]", c)]
        problems = []
        if bad:
            byte = next(ch for ch in bad[0] if "\udc80" <= ch <= "\udcff")
            problems.append(
                f"not valid {dialect.encoding or 'utf-8'} text (byte 0x{ord(byte) - 0xDC00:02X})"
            )
        yield number, cells, problems


# --------------------------------------------------------------------------- CSV2RDF


def _datatype_iri(datatype: Any) -> str:
    if datatype is None:
        return _XSD + "string"
    ident = getattr(datatype, "at_props", {}).get("id")
    if ident:
        return _expand_name(str(ident))
    base = str(datatype.base or "string")
    return _DATATYPE_IRIS.get(base.lower(), _XSD + base)


def _lexical(value: Any) -> str:
    """The canonical lexical form of a parsed cell value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if hasattr(value, "unsplit"):  # an rfc3986 URI reference (csvw's anyURI)
        return str(value.unsplit())
    return str(value)


_TZ = r"(Z|[+-]\d\d:\d\d)?"
#: Lexical forms the csvw package does not check itself.
_LEXICAL = {
    "gyear": re.compile(r"-?\d{4,}" + _TZ),
    "gyearmonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])" + _TZ),
    "gmonthday": re.compile(r"--(0[1-9]|1[0-2])-\d\d" + _TZ),
}


def _check_lexical(datatype: Any, raw: str) -> None:
    pattern = _LEXICAL.get(str(datatype.base or "").lower())
    if pattern is not None and not datatype.format and not pattern.fullmatch(raw):
        raise ValueError(f"not a valid {datatype.base}")


def _expand_name(name: str) -> str:
    if ":" in name and not name.startswith(("http://", "https://", "urn:", "file:")):
        prefix, _, local = name.partition(":")
        if prefix in _CSVW_PREFIXES:
            return _CSVW_PREFIXES[prefix] + local
    return name


class _Converter:
    """CSV2RDF minimal mode for one table, into a list of pyoxigraph quads."""

    def __init__(
        self, mapping: _Mapping, table: Any, path: Path, encoding: str | None = None
    ) -> None:
        self.mapping = mapping
        self.encoding = encoding
        self.table = table
        self.path = path
        self.table_url = path.resolve().as_uri()
        self.schema = table.tableSchema
        self.columns = list(self.schema.columns)
        self.quads: list[ox.Quad] = []
        self.problems: list[tuple[int, str]] = []
        self.rows = 0
        self._iri_cache: dict[str, ox.NamedNode] = {}

    def named(self, iri: str) -> ox.NamedNode:
        node = self._iri_cache.get(iri)
        if node is None:
            node = ox.NamedNode(iri)
            self._iri_cache[iri] = node
        return node

    def expand(self, template: Any, variables: Mapping[str, Any]) -> str:
        expanded = _expand_name(str(template.expand(**variables)))
        if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", expanded):
            return expanded
        return urljoin(self.table_url, expanded)

    def run(self) -> None:
        dialect = _dialect(self.mapping, self.table, self.path, self.encoding)
        records = _records(self.path, dialect)
        real = [c for c in self.columns if not c.virtual]
        header_rows = int(dialect.headerRowCount if dialect.header else 0)
        positions: list[int | None] = list(range(len(real)))
        width = len(real)
        name = self.path.name
        seen_keys: dict[tuple[str, ...], int] = {}
        pk = [str(k) for k in (self.schema.primaryKey or [])]
        data_row = 0
        for number, cells, decode_problems in records:
            if header_rows:
                header_rows -= 1
                positions = self._match_header(cells, real, number)
                width = len(cells)
                continue
            if dialect.skipBlankRows and not any(c.strip() for c in cells):
                continue
            data_row += 1
            self.rows += 1
            problems = [f"{name}: {p}" for p in decode_problems]
            if problems:  # cells of a row that cannot be decoded are not read further
                self.problems.extend((number, p) for p in problems)
                continue
            if len(cells) > width:
                problems.append(f"{name}: {len(cells)} cells where the header has {width}")
            values: dict[str, Any] = {}
            texts: dict[str, Any] = {}
            for col, pos in zip(real, positions, strict=True):
                raw = cells[pos] if pos is not None and pos < len(cells) else ""
                if dialect.trim is True or dialect.trim in ("true", "start", "end"):
                    raw = raw.strip()
                try:
                    value = self._read_cell(col, raw)
                except ValueError as exc:
                    problems.append(f"{name}: column {col.name}: {exc} (value {raw!r})")
                    continue
                values[col.name] = value
                if value is not None:
                    texts[col.name] = (
                        [_lexical(v) for v in value] if isinstance(value, list) else _lexical(value)
                    )
            if pk and not problems:
                key = tuple(str(texts.get(k, "")) for k in pk)
                if key in seen_keys:
                    problems.append(
                        f"{name}: duplicate primary key {', '.join(key)} (first in row "
                        f"{seen_keys[key]})"
                    )
                else:
                    seen_keys[key] = number
            if problems:
                self.problems.extend((number, p) for p in problems)
                continue
            self._emit_row(values, texts, data_row, number)

    def _match_header(self, cells: list[str], real: list[Any], number: int) -> list[int | None]:
        header = [c.strip() for c in cells]
        positions: list[int | None] = []
        for col in real:
            titles = {col.name} | {
                t
                for ts in (col.titles or {}).values()
                for t in (ts if isinstance(ts, list) else [ts])
            }
            pos = next((i for i, h in enumerate(header) if h in titles), None)
            if pos is None and col.inherit("required"):
                self.problems.append(
                    (number, f"{self.path.name}: the header has no column {col.name}")
                )
            positions.append(pos)
        return positions

    @staticmethod
    def _read_cell(col: Any, raw: str) -> Any:
        nulls = col.inherit_null() or [""]
        default = col.inherit("default")
        if raw == "" and default:
            raw = str(default)
        if raw in nulls:
            if col.inherit("required"):
                raise ValueError("required cell is empty")
            return None
        datatype = col.inherit("datatype")
        separator = col.inherit("separator")
        if separator:
            items = [None if v in nulls else v for v in raw.split(separator)]
            if datatype:
                return [datatype.read(v) for v in items if v is not None]
            return [v for v in items if v is not None]
        if datatype is None:
            return raw
        _check_lexical(datatype, raw)
        return datatype.read(raw)

    def _emit_row(
        self, values: dict[str, Any], texts: dict[str, Any], data_row: int, number: int
    ) -> None:
        variables: dict[str, Any] = {k: v for k, v in texts.items() if not isinstance(v, list)}
        variables["_row"] = str(data_row)
        variables["_sourceRow"] = str(number)
        row_subject: ox.NamedNode | ox.BlankNode
        about = self.schema.aboutUrl
        row_subject = self.named(self.expand(about, variables)) if about else ox.BlankNode()
        self.quads.append(
            ox.Quad(
                row_subject,
                self.named(_SOURCE_ROW),
                ox.Literal(str(number), datatype=self.named(_XSD + "integer")),
            )
        )
        if getattr(self.table, "suppressOutput", False):
            return
        for index, col in enumerate(self.columns, start=1):
            if col.suppressOutput:
                continue
            value = values.get(col.name)
            if value is None and not col.virtual:
                continue
            cvars = dict(variables, _name=col.name, _column=str(index))
            subject: ox.NamedNode | ox.BlankNode = row_subject
            if col.aboutUrl is not None and col.aboutUrl is not about:
                subject = self.named(self.expand(col.aboutUrl, cvars))
            prop = col.inherit("propertyUrl")
            predicate = (
                self.named(self.expand(prop, cvars))
                if prop
                else self.named(f"{self.table_url}#{quote(str(col.name))}")
            )
            value_url = col.valueUrl if col.valueUrl is not None else None
            if value_url is None and col.virtual:
                value_url = self.schema.valueUrl
            items = value if isinstance(value, list) else [value]
            for item in items:
                obj: ox.NamedNode | ox.Literal
                if value_url is not None:
                    ivars = dict(cvars)
                    if item is not None:
                        ivars[col.name] = _lexical(item)
                    obj = self.named(self.expand(value_url, ivars))
                else:
                    obj = self._literal(col, item)
                self.quads.append(ox.Quad(subject, predicate, obj))

    def _literal(self, col: Any, value: Any) -> ox.Literal:
        datatype = col.inherit("datatype")
        iri = _datatype_iri(datatype)
        text = _lexical(value)
        if iri == _XSD + "date" and isinstance(value, _dt.datetime):
            # the csvw package reads a date as a datetime at midnight: an
            # xsd:date has no time part (its time zone, if any, is kept)
            text = value.date().isoformat() + text[19:].lstrip("0123456789.")
        lang = col.inherit("lang")
        if iri == _XSD + "string" and lang and lang != "und":
            return ox.Literal(text, language=str(lang))
        return ox.Literal(text, datatype=self.named(iri))


# --------------------------------------------------------------------------- pipeline


def _load_context(store: ox.Store, paths: Sequence[Path]) -> None:
    graph = ox.NamedNode(CONTEXT_GRAPH)
    for path in paths:
        if not path.is_file():
            raise SourceNotFoundError(
                f"the mapping requires {path}, which does not exist: build it first"
            )
        try:
            store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=graph)
        except (SyntaxError, ValueError, OSError) as exc:
            raise ConfigError(f"cannot read required layer {path}: {exc}") from exc


def _run_transformations(
    store: ox.Store, transformations: Sequence[_Transformation]
) -> tuple[list[tuple[int, str]], list[str]]:
    problems: list[tuple[int, str]] = []
    notes: list[str] = []
    for step in transformations:
        try:
            script = step.url.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read transformation {step.url}: {exc}") from exc
        try:
            if step.kind == "update":
                store.update(script, base_iri=step.url.resolve().as_uri())
                continue
            solutions = store.query(script, base_iri=step.url.resolve().as_uri())
        except (SyntaxError, ValueError, OSError) as exc:
            raise ConfigError(f"{step.url}: {exc}") from exc
        if not isinstance(solutions, ox.QuerySolutions):
            raise ConfigError(f"{step.url}: a check must be a SELECT query")
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            if "row" in names and "reason" in names:
                row, reason = solution["row"], solution["reason"]
                row_number = int(row.value) if isinstance(row, ox.Literal) else 0
                problems.append((row_number, str(reason.value) if reason is not None else ""))
            elif "note" in names and solution["note"] is not None:
                notes.append(str(cast(ox.Literal, solution["note"]).value))
    return problems, notes


def _drop_staging(store: ox.Store) -> None:
    store.clear_graph(ox.NamedNode(CONTEXT_GRAPH))
    doomed = [
        q
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        if q.predicate.value.startswith(STAGING)
        or (isinstance(q.object, ox.NamedNode) and q.object.value.startswith(STAGING))
        or (isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(STAGING))
    ]
    for quad in doomed:
        store.remove(quad)


def _mapping_label(mapping: Path) -> str:
    """The mapping's path relative to the project root (the folder with pyproject.toml)."""
    resolved = mapping.resolve()
    for parent in resolved.parents:
        if (parent / "pyproject.toml").is_file():
            return resolved.relative_to(parent).as_posix()
    return resolved.name


def _check_target(out: Path) -> None:
    if out.exists() and not is_generated_file(out):
        raise IngestError(
            f"refusing to overwrite {out}: it does not start with {GENERATED_MARK!r}, "
            "so it is a curated file; choose another output path"
        )


def notes_report(layer: str, notes: Sequence[str]) -> str:
    """The ingest report of a layer: its notes as a Markdown list, in their order.

    >>> print(notes_report("example", ["rows: 2", "skipped: 0"]), end="")
    # Ingest report: example
    <BLANKLINE>
    Generated by citykg ingest from data/mappings/example/ (the notes of its
    check queries) — do not edit by hand; rebuild with scripts/rebuild_layers.py.
    <BLANKLINE>
    - rows: 2
    - skipped: 0
    """
    lines = [
        f"# Ingest report: {layer}",
        "",
        f"Generated by citykg ingest from data/mappings/{layer}/ (the notes of its",
        "check queries) — do not edit by hand; rebuild with scripts/rebuild_layers.py.",
        "",
    ]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def ingest(
    source: Path | None,
    mapping: Path,
    out: Path | None,
    *,
    validate: Validator | None = None,
    requires: Sequence[Path] | None = None,
    mapping_label: str | None = None,
    encoding: str | None = None,
) -> IngestResult:
    """Convert ``source`` with the CSVW ``mapping`` and write canonical Turtle to ``out``.

    ``source`` is the table file (for a mapping of one table), a folder holding
    the tables by the file names of their ``url`` (for a table group), or
    ``None`` to read the files the mapping names. ``out`` ``None`` converts and
    validates without writing. ``validate`` receives the finished graph; any
    message it returns fails the ingest. ``requires`` replaces the layers the
    mapping's ``dcterms:requires`` names. ``mapping_label`` is the mapping name
    written into the generated-file header (default: its path from the project
    root), so a rebuild elsewhere gives the same bytes. ``encoding`` replaces
    the encoding the mapping's dialect declares (default UTF-8).

    Raises :class:`~citykg.errors.IngestError` listing every bad row (row
    number, header = row 1, and reason) and writing nothing;
    :class:`~citykg.errors.ConfigError` for a broken mapping;
    :class:`~citykg.errors.SourceNotFoundError` for a missing file.
    """
    started = time.perf_counter()
    if out is not None:
        _check_target(out)
    loaded = _load_mapping(mapping)
    store = ox.Store()
    problems: list[tuple[int, str]] = []
    rows: dict[str, int] = {}
    for table in loaded.tables:
        path = _table_path(loaded, table, source)
        if not path.is_file():
            raise SourceNotFoundError(f"table not found: {path}")
        converter = _Converter(loaded, table, path, encoding)
        converter.run()
        rows[path.name] = converter.rows
        problems.extend(converter.problems)
        store.extend(converter.quads)
    _load_context(store, list(requires) if requires is not None else loaded.requires)
    join_problems, notes = _run_transformations(store, loaded.transformations)
    notes.extend(f"mapping warning: {w}" for w in loaded.warnings if "for Template" not in w)
    problems.extend(join_problems)
    if problems:
        problems.sort()
        raise IngestError(
            f"{len(problems)} bad record(s) in the input of {mapping.name}; nothing was written",
            problems,
        )
    _drop_staging(store)
    graph = Graph()
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        graph.add(triple_to_rdflib(quad, normalize=True))
    if validate is not None:
        messages = validate(graph)
        if messages:
            raise IngestError(
                f"the result of {mapping.name} does not conform to the shapes; nothing was written",
                [(0, m) for m in messages],
            )
    label = mapping_label or _mapping_label(mapping)
    turtle = serialize_turtle(
        graph,
        prefixes=OUTPUT_PREFIXES,
        header=[f"{GENERATED_MARK} from {label} — do not edit by hand"],
    )
    written = False
    if out is not None:
        _check_target(out)
        write_atomic(out, turtle)
        written = True
    instances: dict[str, int] = {}
    for type_iri in graph.objects(None, URIRef(_RDF + "type")):
        instances.setdefault(str(type_iri), 0)
    for key in instances:
        instances[key] = len(set(graph.subjects(URIRef(_RDF + "type"), URIRef(key))))
    return IngestResult(
        output=out,
        written=written,
        rows=rows,
        triples=len(graph),
        subjects=len(set(graph.subjects())),
        instances=dict(sorted(instances.items())),
        notes=notes,
        seconds=time.perf_counter() - started,
        turtle=turtle,
    )
