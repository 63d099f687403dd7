"""Query results that do not depend on the engine that produced them.

A :class:`SelectResult` holds variables and rows of rdflib terms; it prints as
a table, serialises to the SPARQL 1.1 result formats (JSON, XML, CSV, TSV) and
Markdown, and converts to a pandas DataFrame with typed columns.

This module is also the one writer of the SPARQL result formats:
:func:`serialize_solutions`, :func:`serialize_boolean` and
:func:`serialize_triples` write rdflib or Oxigraph terms, row by row, cut at a
number of rows and of bytes. The command line and the API (through
:class:`SelectResult` and :class:`AskResult`) and the server's query workers
(straight from Oxigraph's results) all call them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, URIRef

from .namespaces import PREFIXES, XSD

if TYPE_CHECKING:
    import pandas as pd

Term = URIRef | BNode | Literal
Row = tuple[Term | None, ...]

SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown")
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "xml", "nquads")

_INT_TYPES = {
    XSD.integer,
    XSD.int,
    XSD.long,
    XSD.short,
    XSD.byte,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.negativeInteger,
    XSD.nonPositiveInteger,
    XSD.unsignedInt,
    XSD.unsignedLong,
    XSD.unsignedShort,
    XSD.unsignedByte,
    XSD.gYear,
}
_FLOAT_TYPES = {XSD.decimal, XSD.double, XSD.float}


_XSD_STRING = str(XSD.string)


def term_to_text(term: object) -> str:
    """The plain text of a term, as in SPARQL CSV results (IRIs bare, literals lexical).

    >>> term_to_text(ox.BlankNode("b0")), term_to_text(Literal("5", datatype=XSD.integer))
    ('_:b0', '5')
    """
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term.value)
    return str(term)


def term_to_nt(term: object) -> str:
    r"""The N-Triples form of a term, as in SPARQL TSV results (Oxigraph's, on one line).

    rdflib's ``n3()`` writes a string with a line break in triple quotes, over
    two lines, which neither N-Triples nor a TSV cell allows.

    >>> term_to_nt(Literal("a\tb\nc")), term_to_nt(ox.Literal("a\tb\nc"))
    ('"a\\tb\\nc"', '"a\\tb\\nc"')
    """
    if term is None:
        return ""
    if isinstance(term, URIRef | BNode | Literal):
        from .terms import to_oxigraph

        return str(to_oxigraph(term))
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple):
        return str(term)
    raise TypeError(f"not an RDF term: {term!r}")


def _json_term(term: object) -> dict[str, Any]:
    """A SPARQL JSON results binding of an rdflib or Oxigraph term."""
    if isinstance(term, URIRef | ox.NamedNode):
        return {"type": "uri", "value": term_to_text(term)}
    if isinstance(term, BNode | ox.BlankNode):
        return {"type": "bnode", "value": term_to_text(term)[2:]}
    if isinstance(term, Literal | ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term_to_text(term)}
        lang, datatype = _lang_datatype(term)
        if lang:
            out["xml:lang"] = lang
        elif datatype:
            out["datatype"] = datatype
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _lang_datatype(term: Literal | ox.Literal) -> tuple[str, str]:
    """A literal's language tag and datatype IRI ('' for none and for ``xsd:string``)."""
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype is not None else ""
        lang = term.language or ""
    else:
        dt, lang = term.datatype.value, term.language or ""
    return lang, "" if lang or dt == _XSD_STRING else dt


def _xml_term(term: object) -> str:
    if isinstance(term, URIRef | ox.NamedNode):
        return f"<uri>{escape(term_to_text(term))}</uri>"
    if isinstance(term, BNode | ox.BlankNode):
        return f"<bnode>{escape(term_to_text(term)[2:])}</bnode>"
    if isinstance(term, Literal | ox.Literal):
        lang, datatype = _lang_datatype(term)
        value = escape(term_to_text(term))
        if lang:
            return f"<literal xml:lang={quoteattr(lang)}>{value}</literal>"
        if datatype:
            return f"<literal datatype={quoteattr(datatype)}>{value}</literal>"
        return f"<literal>{value}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


#: Where a result format has room for it, a cut result links to this marker.
TRUNCATION_MARK = "urn:citykg:result-truncated"
#: The SPARQL 1.1 result formats :func:`serialize_solutions` writes.
RESULT_FORMATS = ("json", "xml", "csv", "tsv")


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
#: Terms whose serialised form a writer remembers (a term recurs in many rows).
_MEMO_TERMS = 100_000


def _row_writer(names: Sequence[str], fmt: str) -> Callable[[Sequence[object]], str]:
    """A function that writes one solution in a results format (JSON, XML: a fragment;
    CSV, TSV: a line), remembering how it wrote each term."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        texts: dict[object, str] = {}

        def text(t: object) -> str:
            out = texts.get(t)
            if out is None:
                out = term_to_text(t)
                if len(texts) < _MEMO_TERMS:
                    texts[t] = out
            return out

        def csv_line(row: Sequence[object]) -> str:
            buf.seek(0)
            buf.truncate()
            writer.writerow(["" if t is None else text(t) for t in row])
            return buf.getvalue()

        return csv_line
    term_writer: Callable[[object], str]
    if fmt == "json":
        keys = [_JSON.encode(n) + ":" for n in names]

        def term_writer(t: object) -> str:
            return _JSON.encode(_json_term(t))

        open_, close, sep = "{", "}", ","
    elif fmt == "xml":
        keys = [f"<binding name={quoteattr(n)}>" for n in names]
        term_writer = _xml_term
        open_, close, sep = "<result>", "</result>\n", ""
    elif fmt == "tsv":
        keys = ["" for _ in names]
        term_writer = term_to_nt
        open_, close, sep = "", "\n", "\t"
    else:
        raise ValueError(f"unknown result format {fmt!r}; expected one of {RESULT_FORMATS}")
    memo: dict[object, str] = {}

    def cell(t: object) -> str:
        text = memo.get(t)
        if text is None:
            text = term_writer(t)
            if len(memo) < _MEMO_TERMS:
                memo[t] = text
        return text

    end = "</binding>" if fmt == "xml" else ""
    if fmt == "tsv":  # every column, empty for an unbound one
        return lambda row: sep.join("" if t is None else cell(t) for t in row) + close
    return lambda row: (
        open_
        + sep.join(k + cell(t) + end for k, t in zip(keys, row, strict=True) if t is not None)
        + close
    )


def _wrap_rows(names: Sequence[str], chunks: Sequence[str], fmt: str, truncated: bool) -> bytes:
    """The whole results document around serialised rows; a cut one links to the marker."""
    if fmt == "json":
        head: dict[str, Any] = {"vars": list(names)}
        if truncated:
            head["link"] = [TRUNCATION_MARK]
        return (
            '{"head":'
            + json.dumps(head, ensure_ascii=False, separators=(",", ":"))
            + ',"results":{"bindings":['
            + ",".join(chunks)
            + "]}}\n"
        ).encode("utf-8")
    if fmt == "xml":
        out = [
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n',
            "<head>\n",
            *(f"<variable name={quoteattr(n)}/>\n" for n in names),
            f"<link href={quoteattr(TRUNCATION_MARK)}/>\n" if truncated else "",
            "</head>\n<results>\n",
            *chunks,
            "</results>\n</sparql>\n",
        ]
        return "".join(out).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow(names)
        return (buf.getvalue() + "".join(chunks)).encode("utf-8")
    if fmt == "tsv":
        return ("\t".join("?" + n for n in names) + "\n" + "".join(chunks)).encode("utf-8")
    raise ValueError(f"unknown result format {fmt!r}; expected one of {RESULT_FORMATS}")


def serialize_solutions(
    names: Sequence[str],
    rows: Iterable[Sequence[object]],
    fmt: str,
    *,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    truncated: bool = False,
) -> tuple[bytes, int, str]:
    r"""SELECT results in a SPARQL 1.1 results format (``json``, ``xml``, ``csv``, ``tsv``).

    Rows hold rdflib or Oxigraph terms (or None). They are serialised one at a
    time and the result is cut before it passes ``max_rows`` rows or about
    ``max_bytes`` bytes; returns the document, the rows in it and what cut it
    (``"rows"``, ``"bytes"`` or ``""``). A cut JSON or XML document stays valid
    and links to :data:`TRUNCATION_MARK` (``truncated`` asks for the link when
    the rows were cut before they came here).

    >>> serialize_solutions(["x"], [[ox.Literal("a")], [Literal("b")]], "json", max_rows=1)
    (b'{"head":{"vars":["x"],"link":["urn:citykg:result-truncated"]},"results":{"bindings":[{"x":{"type":"literal","value":"a"}}]}}\n', 1, 'rows')
    """
    chunks: list[str] = []
    size = 0
    cut = ""
    write = _row_writer(names, fmt)
    for row in rows:
        if max_rows is not None and len(chunks) >= max_rows:
            cut = "rows"
            break
        chunk = write(row)
        size += len(chunk) + 1
        if max_bytes is not None and size > max_bytes:
            cut = "bytes"
            break
        chunks.append(chunk)
    return _wrap_rows(names, chunks, fmt, truncated or bool(cut)), len(chunks), cut


def serialize_boolean(value: bool, fmt: str) -> bytes:
    r"""An ASK result in a SPARQL 1.1 results format (CSV and TSV: ``_askResult``, the value).

    >>> serialize_boolean(True, "json")
    b'{"head":{},"boolean":true}\n'
    """
    word = "true" if value else "false"
    if fmt == "json":
        return b'{"head":{},"boolean":' + word.encode() + b"}\n"
    if fmt == "xml":
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{word}</boolean></sparql>\n"
        ).encode()
    if fmt in ("csv", "tsv"):
        return f"_askResult\n{word}\n".encode()
    raise ValueError(f"unknown result format {fmt!r}; expected one of {RESULT_FORMATS}")


def _ox_serialize(triples: list[ox.Triple], rdf_format: ox.RdfFormat) -> bytes:
    body = (
        ox.serialize(triples, format=rdf_format, prefixes=PREFIXES)
        if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
        else ox.serialize(triples, format=rdf_format)
    )
    return body or b""


def serialize_triples(
    triples: Iterable[ox.Triple],
    rdf_format: ox.RdfFormat,
    *,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> tuple[bytes, int, str]:
    """CONSTRUCT/DESCRIBE triples, cut at ``max_rows`` triples or about ``max_bytes`` bytes.

    Returns the document, the triples in it and what cut it (as
    :func:`serialize_solutions`); a cut Turtle or N-Triples document ends with
    a comment naming :data:`TRUNCATION_MARK`.
    """
    kept: list[ox.Triple] = []
    size = 0
    cut = ""
    batch: list[ox.Triple] = []
    for t in triples:
        if max_rows is not None and len(kept) + len(batch) >= max_rows:
            cut = "rows"
            break
        batch.append(t)
        if len(batch) == 256:
            size += len(_ox_serialize(batch, ox.RdfFormat.N_TRIPLES))
            if max_bytes is not None and size > max_bytes:
                cut = "bytes"
                batch = []
                break
            kept += batch
            batch = []
    kept += batch
    body = _ox_serialize(kept, rdf_format)
    while max_bytes is not None and len(body) > max_bytes and kept:
        cut = "bytes"
        kept = kept[: len(kept) * 3 // 4]
        body = _ox_serialize(kept, rdf_format)
    if cut and rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        body += f"# {TRUNCATION_MARK}: cut at {len(kept)} triples ({cut})\n".encode()
    return body, len(kept), cut


def term_from_json(binding: dict[str, str]) -> Term:
    """An rdflib term from a SPARQL JSON results binding."""
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        lang = binding.get("xml:lang")
        dt = binding.get("datatype")
        if lang:
            return Literal(value, lang=lang)
        if dt and dt != str(XSD.string):
            return Literal(value, datatype=URIRef(dt), normalize=False)
        return Literal(value)
    raise ValueError(f"unknown term type {kind!r} in SPARQL JSON results")


_INT_NAMES = frozenset(str(t) for t in _INT_TYPES)
_FLOAT_NAMES = frozenset(str(t) for t in _FLOAT_TYPES)
_GYEAR = str(XSD.gYear)
_BOOLEAN = str(XSD.boolean)
_DATES = frozenset({str(XSD.date), str(XSD.dateTime)})


def _python_value(term: Term | None) -> Any:
    # datatypes are compared as plain strings: rdflib's URIRef equality is slow
    if term is None:
        return None
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype is not None else ""
        try:
            if dt in _INT_NAMES:
                return int(str(term)[:4] if dt == _GYEAR else str(term))
            if dt in _FLOAT_NAMES:
                return float(str(term))
            if dt == _BOOLEAN:
                return str(term) in ("true", "1")
        except ValueError:
            return str(term)
        return str(term)
    return str(term)


@dataclass
class SelectResult:
    """Rows of a SELECT query: ``variables`` names, ``rows`` tuples of rdflib terms or None."""

    variables: list[str]
    rows: list[Row] = field(default_factory=list)
    #: Set when a result cap cut the rows: one line saying how to get the rest.
    truncated: str | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def column(self, name: str) -> list[Term | None]:
        """All values of one variable."""
        i = self.variables.index(name)
        return [r[i] for r in self.rows]

    def to_dicts(self) -> list[dict[str, Any]]:
        """Rows as dictionaries of Python values (ints, floats, strings)."""
        return [
            {v: _python_value(t) for v, t in zip(self.variables, row, strict=True)}
            for row in self.rows
        ]

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame with a column per variable, typed from the literals' datatypes.

        Integers become nullable ``Int64``, decimals and doubles ``float64``,
        booleans ``boolean``, ``xsd:date`` and ``xsd:dateTime`` datetimes, and the
        rest strings (IRIs as their text). Needs the ``notebook`` extra (pandas).
        """
        from .extras import require

        require("pandas", "notebook", "to_dataframe()")
        import pandas as pd

        data: dict[str, Any] = {}
        for i, var in enumerate(self.variables):
            col = [r[i] for r in self.rows]
            types: set[str] = set()
            only_literals = True
            for t in col:
                if t is None:
                    continue
                if isinstance(t, Literal):
                    types.add(str(t.datatype) if t.datatype is not None else "")
                else:
                    only_literals = False
            values = [_python_value(t) for t in col]
            if types and only_literals and types <= _INT_NAMES:
                data[var] = pd.array(values, dtype="Int64")
            elif types and only_literals and types <= (_FLOAT_NAMES | _INT_NAMES):
                data[var] = pd.array(
                    [float(v) if v is not None else None for v in values], dtype="Float64"
                )
            elif types == {_BOOLEAN}:
                data[var] = pd.array(values, dtype="boolean")
            elif types and types <= _DATES:
                data[var] = pd.to_datetime(
                    pd.Series(values, dtype="string"), errors="coerce", format="ISO8601"
                )
            else:
                data[var] = pd.array(values, dtype="string")
        return pd.DataFrame(data, columns=self.variables)

    # --- serialisations -------------------------------------------------

    def _write(self, fmt: str) -> str:
        body, _, _ = serialize_solutions(
            self.variables, self.rows, fmt, truncated=self.truncated is not None
        )
        return body.decode("utf-8")

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON (:func:`serialize_solutions`)."""
        return self._write("json")

    def to_xml(self) -> str:
        """SPARQL Query Results XML (:func:`serialize_solutions`)."""
        return self._write("xml")

    def to_csv(self) -> str:
        """SPARQL 1.1 Query Results CSV (plain values; CRLF line ends as the spec says)."""
        return self._write("csv")

    def to_tsv(self) -> str:
        """SPARQL 1.1 Query Results TSV (terms in N-Triples syntax)."""
        return self._write("tsv")

    def _cells(self, limit: int | None = None) -> list[list[str]]:
        rows = self.rows if limit is None else self.rows[:limit]
        return [[term_to_text(t) for t in row] for row in rows]

    def to_markdown(self, limit: int | None = None) -> str:
        """A GitHub-flavoured Markdown table."""

        def esc(s: str) -> str:
            return s.replace("|", "\\|").replace("\n", " ")

        lines = [
            "| " + " | ".join(self.variables) + " |",
            "|" + "|".join("---" for _ in self.variables) + "|",
        ]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in self._cells(limit)]
        if limit is not None and len(self.rows) > limit:
            lines.append(f"\n… {len(self.rows) - limit} more rows")
        return "\n".join(lines) + "\n"

    def to_table(self, max_width: int = 60) -> str:
        """A plain-text table for terminals."""
        cells = self._cells()

        def clip(s: str) -> str:
            s = s.replace("\n", " ")
            return s if len(s) <= max_width else s[: max_width - 1] + "…"

        cells = [[clip(c) for c in row] for row in cells]
        widths = [len(v) for v in self.variables]
        for row in cells:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [fmt.format(*self.variables), fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*row) for row in cells]
        lines.append(f"({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})")
        return "\n".join(line.rstrip() for line in lines) + "\n"

    def serialize(self, fmt: str) -> str:
        """Serialise in one of :data:`SELECT_FORMATS`."""
        writers = {
            "table": self.to_table,
            "csv": self.to_csv,
            "tsv": self.to_tsv,
            "json": self.to_json,
            "xml": self.to_xml,
            "markdown": self.to_markdown,
        }
        if fmt not in writers:
            raise ValueError(f"unknown result format {fmt!r}; expected one of {SELECT_FORMATS}")
        return writers[fmt]()


@dataclass
class AskResult:
    """The answer of an ASK query."""

    value: bool

    def __bool__(self) -> bool:
        return self.value

    def serialize(self, fmt: str) -> str:
        """``json``/``xml`` per the SPARQL result formats; anything else as ``true``/``false``."""
        if fmt in ("json", "xml"):
            return serialize_boolean(self.value, fmt).decode("utf-8")
        return ("true" if self.value else "false") + "\n"


_GRAPH_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
}


@dataclass
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[tuple[Term, URIRef, Term]]
    #: Set when a result cap cut the triples: one line saying how to get the rest.
    truncated: str | None = None

    def __len__(self) -> int:
        return len(self.triples)

    def to_graph(self) -> rdflib.Graph:
        """An rdflib Graph of the triples, with citykg's prefixes bound."""
        from .namespaces import PREFIXES

        g = rdflib.Graph()
        for p, ns in PREFIXES.items():
            g.bind(p, ns, replace=True)
        for t in self.triples:
            g.add(t)
        return g

    def serialize(self, fmt: str) -> str:
        """Serialise in one of :data:`GRAPH_FORMATS` (``ntriples`` is sorted).

        Turtle, JSON-LD, RDF/XML and N-Quads are written by :func:`serialize_triples`,
        as the server writes them.
        """
        if fmt == "ntriples":
            lines = sorted(
                {f"{term_to_nt(s)} {term_to_nt(p)} {term_to_nt(o)} ." for s, p, o in self.triples}
            )
            return "\n".join(lines) + ("\n" if lines else "")
        if fmt not in _GRAPH_RDF_FORMATS:
            raise ValueError(f"unknown graph format {fmt!r}; expected one of {GRAPH_FORMATS}")
        from .terms import to_oxigraph

        triples = (
            ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
            for s, p, o in self.triples
        )
        body, _, _ = serialize_triples(triples, _GRAPH_RDF_FORMATS[fmt])
        return body.decode("utf-8")


QueryResult = SelectResult | AskResult | GraphResult


def select_from_rows(
    variables: Sequence[str], rows: Iterable[Sequence[Term | None]]
) -> SelectResult:
    """A SelectResult from plain sequences."""
    return SelectResult(list(variables), [tuple(r) for r in rows])
