"""What a SPARQL query does, decided from its parse tree: the one guard every entry point calls.

The engines citykg runs on (Oxigraph, rdflib, and whatever a remote endpoint
runs) call any ``SERVICE`` IRI a query names, from compiled code. So before any
engine sees a query, :func:`inspect` parses it with rdflib's SPARQL grammar (an
independent parser: not the engine's) and refuses, from the parse tree:

- updates (``LOAD``, ``INSERT``, ``CLEAR``...): the graph is read-only;
- ``SERVICE`` to any endpoint not on the allow-list (a variable, relative or
  escaped endpoint is always refused);
- text the parser cannot read (a malformed query, or one nested too deeply).

SPARQL has two readings of ``\\u`` escapes: SPARQL 1.1 applies them to the whole
text before parsing (so ``\\u0053ERVICE`` is the keyword SERVICE; rdflib and Jena
do this), while Oxigraph 0.5 applies them only inside IRIs and strings. The guard
parses both readings and refuses a ``SERVICE`` that either one contains, so that
neither the embedded engine nor a remote one can be led to a call the guard
did not see. A query that no reading can parse is refused as malformed.

The verdict also says whether a query is *light* (a cost estimate from the
parse tree: few, connected, selective triple patterns; no recursive paths,
subqueries or aggregates), which lets the server run it in a lane of its own.

>>> inspect("ASK {}").form
'ASK'
>>> inspect("SELECT * { \\\\u0053ERVICE <http://evil/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
citykg.errors.ForbiddenQueryError: SERVICE <http://evil/> is not allowed: queries never fetch remote data unless the endpoint is on the allow-list
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import ForbiddenQueryError, QueryError

#: A ``\\u``/``\\U`` codepoint escape, or any other backslash escape (kept as it is).
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.DOTALL)
_HAS_CODEPOINT = re.compile(r"\\[uU][0-9A-Fa-f]")

#: Update operations by the name rdflib's grammar gives them, as the keyword a user wrote.
_UPDATE_WORDS = {
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}
_FORMS = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "AskQuery": "ASK",
    "DescribeQuery": "DESCRIBE",
}
#: Parse-tree nodes that make a query more than a lookup.
_HEAVY_NODES = frozenset(
    {"SubSelect", "GroupClause", "Aggregate_Count", "Aggregate_Sum", "Aggregate_Min",
     "Aggregate_Max", "Aggregate_Avg", "Aggregate_Sample", "Aggregate_GroupConcat",
     "ServiceGraphPattern", "Builtin_EXISTS", "Builtin_NOTEXISTS", "MinusGraphPattern",
     "Builtin_REGEX", "DatasetClause"}
)  # fmt: skip
#: At most this many triple patterns in a light query.
LIGHT_PATTERNS = 3
#: Stack and recursion room for the parser (rdflib's grammar recurses per nesting level).
#: Python 3.11 keeps pure-Python calls off the C stack: 8 MB held 60,000 levels in a test.
_PARSE_STACK = 32 * 1024 * 1024
_PARSE_RECURSION = 60_000


@dataclass(frozen=True)
class Verdict:
    """What a query is, read from its parse tree."""

    form: str
    services: tuple[str, ...] = ()
    light: bool = False
    patterns: int = 0
    has_dataset: bool = False


class _Unreadable(Exception):
    """No reading of the text parses as a query or an update."""


def spec_reading(text: str) -> str:
    """The text with every ``\\u``/``\\U`` escape replaced by its character (SPARQL 1.1, §19.2).

    >>> spec_reading(r'\\u0053ELECT * {}')
    'SELECT * {}'
    """

    def sub(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        if code is None:
            return m.group(0)
        try:
            return chr(int(code, 16))
        except (ValueError, OverflowError):
            return m.group(0)

    return _ESCAPE.sub(sub, text)


def engine_reading(text: str) -> str:
    """The text as Oxigraph 0.5 reads it: each ``\\u`` escape one ordinary character.

    Oxigraph decodes ``\\u`` escapes only inside IRIs and strings (elsewhere
    they are a syntax error), so replacing each by a plain ``x`` keeps the
    structure of the query that engine sees.

    >>> engine_reading(r'SELECT * { ?s ?p "caf\\u00E9" }')
    'SELECT * { ?s ?p "cafx" }'
    """
    return _ESCAPE.sub(lambda m: "x" if (m.group(1) or m.group(2)) else m.group(0), text)


def _walk(node: Any) -> Iterator[Any]:
    """Every node of an rdflib parse tree, depth first (iteratively: trees can be deep)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, dict):
            stack.extend(n.values())
        elif isinstance(n, list | tuple) or type(n).__name__ == "ParseResults":
            stack.extend(n)


def _get(node: Any, key: str) -> Any:
    """A child of a parse-tree node, or None (``CompValue.get`` returns the key when missing)."""
    return dict.get(node, key) if isinstance(node, dict) else None


def _name(node: Any) -> str:
    return str(getattr(node, "name", "")) if isinstance(node, dict) else ""


def _service_iri(term: Any, prefixes: dict[str, str]) -> str:
    """The endpoint of a SERVICE clause as written: an absolute IRI, or a marker the allow-list never holds."""
    from rdflib.term import URIRef, Variable

    if isinstance(term, Variable):
        return "?" + str(term)
    if isinstance(term, URIRef):
        return str(term)
    if _name(term) == "pname":
        ns = prefixes.get(str(_get(term, "prefix") or ""))
        local = str(_get(term, "localname") or "")
        if ns is None:
            return f"(undeclared prefix {_get(term, 'prefix')}:)"
        return ns + local if "\\" not in local else f"({ns}{local})"
    return f"({term})"


_PATCHED: list[bool] = []


def _grammar() -> Any:
    """rdflib's SPARQL grammar, with its one known false refusal mended.

    rdflib 7 builds ``-1.0`` by negating a decimal literal, which raises
    ``TypeError`` (so ``FILTER(?lon > -1.0)`` would be unreadable); the mended
    action writes the literal with its sign instead.
    """
    from rdflib import Literal
    from rdflib.plugins.sparql import parser

    if not _PATCHED:
        parser.DECIMAL_NEGATIVE.set_parse_action(
            lambda toks: Literal("-" + str(toks[0]), datatype=toks[0].datatype)
        )
        _mend_service(parser.ServiceGraphPattern)
        _PATCHED.append(True)
    return parser


def _mend_service(comp: Any) -> None:
    """rdflib's SERVICE node re-scans the whole query text for its own source text.

    The scan starts at the top of the text and skips ``#`` to the end of the
    line as a comment, even inside an IRI such as ``<http://x/d#>``, so a
    SERVICE on the same line is not found and the whole query fails to parse;
    it also costs a scan of the text per SERVICE clause. The mended version
    scans from where the clause starts.
    """
    from pyparsing import original_text_for
    from rdflib.plugins.sparql.parserutils import CompValue, ParamValue

    def post_parse(instring: str, loc: int, tokens: Any) -> Any:
        res = CompValue(comp.name)
        found = original_text_for(comp.expr).search_string(instring[loc:], max_matches=1)
        res["service_string"] = found[0][0] if found else ""
        for t in tokens:
            if isinstance(t, ParamValue):
                if t.isList:
                    dict.setdefault(res, t.name, []).append(t.tokenList)
                else:
                    res[t.name] = t.tokenList
        return res

    comp.postParse = post_parse


def _parse_tree(text: str) -> tuple[str, Any]:
    """Parse one reading: ``("query", tree)`` or ``("update", tree)``; raise for neither."""
    from pyparsing import ParseBaseException

    parser = _grammar()

    try:
        return "query", parser.Query.parse_string(text, parse_all=True)
    except RecursionError:
        raise
    except ParseBaseException as e:
        query_error: str = str(e).split("\n")[0]
    except Exception as e:  # noqa: BLE001 - rdflib's parse actions raise anything
        query_error = f"{type(e).__name__}: {e}"
    try:
        return "update", parser.UpdateUnit.parse_string(text, parse_all=True)
    except RecursionError:
        raise
    except Exception:  # noqa: BLE001 - as above: the text is unreadable either way
        raise _Unreadable(query_error) from None


def _with_room(fn: Any, *args: Any) -> Any:
    """Run ``fn`` in a thread with a large stack and recursion limit; re-raise its error."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed back to the caller below
            out["error"] = e

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, _PARSE_RECURSION))
    try:
        try:
            threading.stack_size(_PARSE_STACK)
            t = threading.Thread(target=run, name="citykg-sparql-guard", daemon=True)
            t.start()
            t.join()
        except (RuntimeError, ValueError, MemoryError):
            # No room for a thread (an address-space cap): parse here, with less depth.
            sys.setrecursionlimit(max(old_limit, 3_000))
            run()
        finally:
            threading.stack_size(old_stack)
    finally:
        sys.setrecursionlimit(old_limit)
    if "error" in out:
        raise out["error"]
    return out["value"]


def _readings(text: str) -> list[str]:
    if not _HAS_CODEPOINT.search(text):
        return [text]
    return [engine_reading(text), spec_reading(text)]


def _prefixes(tree: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in tree[0] if len(tree) else []:
        if _name(decl) == "PrefixDecl":
            out[str(_get(decl, "prefix") or "")] = str(decl["iri"])
    return out


def _is_fixed(term: Any) -> bool:
    from rdflib.term import BNode, Variable

    return not isinstance(term, Variable | BNode)


def _light(tree: Any) -> tuple[bool, int]:
    """A cost estimate from the parse tree.

    Light: at most :data:`LIGHT_PATTERNS` triple patterns, joined by shared
    variables, one of them anchored by a fixed subject or object; no recursive
    paths, subqueries, aggregates, ``EXISTS``, ``MINUS``, ``REGEX`` or dataset
    clauses. The server still stops a light query that runs long.
    """
    from rdflib.term import Variable

    patterns: list[list[Any]] = []
    for node in _walk(tree):
        kind = _name(node)
        if kind in _HEAVY_NODES:
            return False, -1
        if kind == "PathElt" and _get(node, "mod") in ("*", "+"):
            return False, -1
        if kind == "TriplesBlock":
            for run in _get(node, "triples") or []:
                items = list(run)
                patterns += [items[i : i + 3] for i in range(0, len(items) - 2, 3)]
    if len(patterns) > LIGHT_PATTERNS:
        return False, len(patterns)
    if patterns and not any(_is_fixed(s) or _is_fixed(o) for s, _p, o in patterns):
        return False, len(patterns)
    if len(patterns) > 1:
        groups = [{str(t) for t in p if isinstance(t, Variable)} for p in patterns]
        joined = set(groups[0])
        rest = groups[1:]
        while rest:
            linked = [g for g in rest if g & joined]
            if not linked:
                return False, len(patterns)
            for g in linked:
                joined |= g
                rest.remove(g)
    return True, len(patterns)


def _decide(text: str, allowed: frozenset[str], check_services: bool = True) -> Verdict:
    readings = _readings(text)
    parsed: list[tuple[str, Any]] = []
    errors: list[str] = []
    for reading in readings:
        try:
            parsed.append(_parse_tree(reading))
        except _Unreadable as e:
            errors.append(str(e))
    for kind, tree in parsed:
        if kind == "update":
            ops = [_name(op) for op in _get(tree[0], "request") or []]
            word = _UPDATE_WORDS.get(ops[0], ops[0]) if ops else "an empty update"
            raise ForbiddenQueryError(
                f"this is a SPARQL update ({word}); citykg runs queries only, the graph is read-only"
            )
    services: list[str] = []
    for _kind, tree in parsed:
        prefixes = _prefixes(tree)
        for node in _walk(tree):
            if _name(node) == "ServiceGraphPattern":
                services.append(_service_iri(_get(node, "term"), prefixes))
    for iri in services if check_services else []:
        if iri not in allowed or not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri):
            shown = iri if iri.startswith(("?", "(")) else f"<{iri}>"
            raise ForbiddenQueryError(
                f"SERVICE {shown} is not allowed: queries never fetch remote data "
                "unless the endpoint is on the allow-list"
            )
    if not parsed:
        raise QueryError(f"malformed query: {errors[0]}")
    # The reading the embedded engine runs decides the form and the cost.
    tree = parsed[0][1]
    body = tree[1]
    form = _FORMS.get(_name(body))
    if form is None:
        raise QueryError("not a SPARQL query: no SELECT, CONSTRUCT, ASK or DESCRIBE")
    light, count = _light(tree)
    if len(parsed) < len(readings):
        light = False
    return Verdict(
        form,
        tuple(dict.fromkeys(services)),
        light,
        count,
        has_dataset=bool(_get(body, "datasetClause")),
    )


@lru_cache(maxsize=512)
def _cached(
    text: str, allowed: frozenset[str], check_services: bool = True
) -> Verdict | QueryError:
    try:
        result: Verdict = _with_room(_decide, text, allowed, check_services)
        return result
    except QueryError as e:
        return e
    except RecursionError:
        return QueryError(
            "the query is nested too deeply for this parser; simplify it (fewer nested "
            "groups, brackets or operators)"
        )
    except MemoryError:
        return QueryError("the query is too large to parse")


def inspect(text: str, allowed_services: frozenset[str] = frozenset()) -> Verdict:
    """Parse a query and refuse what a read-only, offline graph must not run.

    Raises :class:`~citykg.errors.ForbiddenQueryError` for an update or a
    ``SERVICE`` off the allow-list and :class:`~citykg.errors.QueryError` for a
    query that cannot be parsed; returns the :class:`Verdict` otherwise.

    >>> inspect("PREFIX ex: <http://x/> SELECT ?s { ?s a ex:C }").light
    True
    >>> inspect("LOAD <http://x/>")
    Traceback (most recent call last):
    ...
    citykg.errors.ForbiddenQueryError: this is a SPARQL update (LOAD); citykg runs queries only, the graph is read-only
    """
    result = _cached(text, frozenset(allowed_services))
    if isinstance(result, QueryError):
        raise type(result)(*result.args)
    return result


def check_safe(text: str, allowed_services: frozenset[str] = frozenset()) -> str:
    """:func:`inspect`, returning only the query form (``SELECT``, ``CONSTRUCT``...)."""
    return inspect(text, allowed_services).form


def inspect_services(text: str) -> tuple[str, ...]:
    """The ``SERVICE`` endpoints a query names, in every reading, without judging them."""
    result = _cached(text, frozenset(), False)
    if isinstance(result, QueryError):
        raise type(result)(*result.args)
    return result.services


def query_form(text: str) -> str:
    """The form of a query, from its parse tree; raises for an update or unreadable text.

    ``SERVICE`` is not judged here (:func:`inspect` does that).

    >>> query_form("PREFIX x: <http://x/> ASK { ?s ?p ?o }")
    'ASK'
    """
    result = _cached(text, frozenset(), False)
    if isinstance(result, QueryError):
        raise type(result)(*result.args)
    return result.form
