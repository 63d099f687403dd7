"""Query results that do not depend on the engine that produced them.

A :class:`SelectResult` holds variables and rows of rdflib terms; it prints as
a table, serialises to the SPARQL 1.1 result formats (JSON, XML, CSV, TSV) and
Markdown, and converts to a pandas DataFrame with typed columns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import rdflib
from rdflib.term import BNode, Literal, Node, URIRef, Variable

from .namespaces import XSD

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


def term_to_text(term: Node | None) -> str:
    """The plain text of a term, as in SPARQL CSV results (IRIs bare, literals lexical)."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def term_to_nt(term: Node | None) -> str:
    """The N-Triples form of a term, as in SPARQL TSV results."""
    if term is None:
        return ""
    if isinstance(term, URIRef | BNode | Literal):
        return str(term.n3())
    raise TypeError(f"not an RDF term: {term!r}")


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


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

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON."""
        doc = {
            "head": {"vars": self.variables},
            "results": {
                "bindings": [
                    {
                        v: _json_term(t)
                        for v, t in zip(self.variables, row, strict=True)
                        if t is not None
                    }
                    for row in self.rows
                ]
            },
        }
        # no indent: the json module's C encoder serves only compact output
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"

    def to_xml(self) -> str:
        """SPARQL Query Results XML."""
        res = rdflib.query.Result("SELECT")
        res.vars = [Variable(v) for v in self.variables]
        res.bindings = [
            {Variable(v): t for v, t in zip(self.variables, row, strict=True) if t is not None}
            for row in self.rows
        ]
        out = res.serialize(format="xml", encoding="utf-8")
        assert out is not None
        return out.decode("utf-8")

    def to_csv(self) -> str:
        """SPARQL 1.1 Query Results CSV (plain values; CRLF line ends as the spec says)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(self.variables)
        for row in self.rows:
            w.writerow([term_to_text(t) for t in row])
        return buf.getvalue()

    def to_tsv(self) -> str:
        """SPARQL 1.1 Query Results TSV (terms in N-Triples syntax)."""
        lines = ["\t".join("?" + v for v in self.variables)]
        lines += ["\t".join(term_to_nt(t) for t in row) for row in self.rows]
        return "\n".join(lines) + "\n"

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
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": self.value}) + "\n"
        if fmt == "xml":
            res = rdflib.query.Result("ASK")
            res.askAnswer = self.value
            out = res.serialize(format="xml", encoding="utf-8")
            assert out is not None
            return out.decode("utf-8")
        return ("true" if self.value else "false") + "\n"


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
        """Serialise in one of :data:`GRAPH_FORMATS` (``ntriples`` is sorted)."""
        if fmt == "ntriples":
            lines = sorted({f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in self.triples})
            return "\n".join(lines) + ("\n" if lines else "")
        names = {"turtle": "turtle", "jsonld": "json-ld", "xml": "pretty-xml"}
        if fmt not in names:
            raise ValueError(f"unknown graph format {fmt!r}; expected one of {GRAPH_FORMATS}")
        return self.to_graph().serialize(format=names[fmt])


QueryResult = SelectResult | AskResult | GraphResult


def select_from_rows(
    variables: Sequence[str], rows: Iterable[Sequence[Term | None]]
) -> SelectResult:
    """A SelectResult from plain sequences."""
    return SelectResult(list(variables), [tuple(r) for r in rows])
