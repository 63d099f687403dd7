"""Reading SPARQL text without running it: tokens, query form, safety checks.

The tokenizer here serves editing jobs only (binding parameters, lint): it
knows comments, strings and IRIs but not every lexical rule of SPARQL, so it
never decides what a query does. The query form and the safety checks
(:func:`check_safe`: updates, ``SERVICE``) come from the parsed query, in
:mod:`citykg.guard`.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from .errors import QueryError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*)?:(?:[\w\-\u00B7-\uFFFF:%.\\]*[\w\-:%])?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|[{}()\[\];,.*+/!=<>|^@?$-])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, its text and its offset in the query."""

    kind: str
    text: str
    start: int


def tokenize(text: str) -> list[Token]:
    """Tokens of a SPARQL query, without whitespace and comments.

    >>> [t.text for t in tokenize('SELECT * WHERE { ?s ?p "SERVICE" } # SERVICE')]
    ['SELECT', '*', 'WHERE', '{', '?s', '?p', '"SERVICE"', '}']
    """
    return list(_tokens(text))


@functools.lru_cache(maxsize=512)
def _tokens(text: str) -> tuple[Token, ...]:
    # stored queries are tokenized again and again (binding, checking): remember them
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        out.append(Token(kind, m.group(), m.start()))
    return tuple(out)


def keywords(tokens: list[Token]) -> list[str]:
    """The upper-cased bare words of a token list (keywords and function names)."""
    return [t.text.upper() for t in tokens if t.kind == "name"]


def query_form(text: str) -> str:
    """``SELECT``, ``CONSTRUCT``, ``ASK`` or ``DESCRIBE``, from the parsed query; raises for an update.

    >>> query_form("PREFIX x: <http://x/> ASK { ?s ?p ?o }")
    'ASK'
    """
    from . import guard

    return guard.query_form(text)


def service_iris(text: str) -> list[str]:
    """The endpoints named by ``SERVICE`` clauses of the parsed query (``?var`` for a variable).

    >>> service_iris('SELECT * { SERVICE SILENT <http://evil/sparql> { ?s ?p ?o } }')
    ['http://evil/sparql']
    """
    from . import guard

    return list(guard.inspect_services(text))


@functools.lru_cache(maxsize=512)
def check_safe(text: str, allowed_services: frozenset[str] = frozenset()) -> str:
    """Refuse what a read-only, offline graph must not run; return the query form.

    The decision is :func:`citykg.guard.inspect`'s, made from the parse tree:
    updates (``INSERT``, ``LOAD``...) and ``SERVICE`` to any endpoint not in
    ``allowed_services`` are refused.

    >>> check_safe("SELECT * { ?s ?p ?o }")
    'SELECT'
    >>> check_safe("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    citykg.errors.ForbiddenQueryError: SERVICE <http://x/> is not allowed: queries never fetch remote data unless the endpoint is on the allow-list
    """
    from . import guard

    return guard.check_safe(text, allowed_services)


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{}``, ``()`` and ``[]`` in the query."""
    depth = best = 0
    for t in tokenize(text):
        if t.text in ("{", "(", "["):
            depth += 1
            best = max(best, depth)
        elif t.text in ("}", ")", "]"):
            depth -= 1
    return best


def where_brace(text: str) -> int:
    """Offset of the ``{`` that opens the query's WHERE clause.

    >>> q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    >>> q[where_brace(q):]
    '{ ?s ?p ?o }'
    """
    toks = tokenize(text)
    form = query_form(text)
    for i, t in enumerate(toks):
        if t.kind == "name" and t.text.upper() == "WHERE":
            for u in toks[i + 1 :]:
                if u.text == "{":
                    return u.start
    if form in ("SELECT", "ASK", "DESCRIBE"):
        seen_form = False
        for t in toks:
            if t.kind == "name" and t.text.upper() == form:
                seen_form = True
            elif seen_form and t.text == "{":
                return t.start
    raise QueryError("cannot find the WHERE clause of the query")


def variables(text: str) -> list[str]:
    """Names of the variables a query mentions, in order of first use, without ``?``."""
    seen: dict[str, None] = {}
    for t in tokenize(text):
        if t.kind == "var":
            seen.setdefault(t.text[1:], None)
    return list(seen)


def inject_values(text: str, names: list[str], terms: list[str]) -> str:
    """Insert ``VALUES (?a ?b) { (t1 t2) }`` as the first pattern of the WHERE clause.

    ``terms`` must already be serialised RDF terms (N-Triples syntax), never raw
    user text: this is how parameters are bound on any SPARQL 1.1 engine.

    A sub-select that projects a parameter gets the same binding at the top of
    its own WHERE clause too. The answers are the same (its rows are joined
    with the outer binding anyway), but the engine then evaluates it for the
    bound value only instead of for every value and joining afterwards
    (``co-membership-pairs`` for Paris: 0.1 s instead of minutes).

    >>> inject_values("SELECT ?x WHERE { ?x ?p ?_v }", ["_v"], ['"a"'])
    'SELECT ?x WHERE { VALUES (?_v) { ("a") } ?x ?p ?_v }'
    >>> inject_values("SELECT ?x { { SELECT ?_v ?x { ?x ?p ?_v } } }", ["_v"], ['"a"'])
    'SELECT ?x { VALUES (?_v) { ("a") } { SELECT ?_v ?x { VALUES (?_v) { ("a") } ?x ?p ?_v } } }'
    """
    if not names:
        return text
    term_of = dict(zip(names, terms, strict=True))
    inserts: list[tuple[int, str]] = []

    def block(vs: list[str]) -> str:
        return (
            " VALUES ("
            + " ".join("?" + n for n in vs)
            + ") { ("
            + " ".join(term_of[n] for n in vs)
            + ") }"
        )

    inserts.append((where_brace(text) + 1, block(names)))
    toks = tokenize(text)
    selects = [i for i, t in enumerate(toks) if t.kind == "name" and t.text.upper() == "SELECT"]
    if query_form(text) == "SELECT":
        selects = selects[1:]  # the query's own SELECT: its WHERE clause got the block above
    for i in selects:
        projected: list[str] = []
        depth = 0
        for t in toks[i + 1 :]:
            if depth == 0 and (t.text == "{" or (t.kind == "name" and t.text.upper() == "WHERE")):
                break
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
            elif depth == 0 and t.kind == "var" and t.text[1:] in term_of:
                projected.append(t.text[1:])
        if not projected:
            continue
        brace = next(t for t in toks[i + 1 :] if t.text == "{")
        vs = [n for n in names if n in projected]
        inserts.append((brace.start + 1, block(vs)))
    for pos, b in sorted(inserts, reverse=True):
        text = text[:pos] + b + text[pos:]
    return text


def declared_prefixes(text: str) -> set[str]:
    """The prefix names a query declares itself (``PREFIX ex: <...>``), without the colon.

    >>> sorted(declared_prefixes("PREFIX ex: <http://x/> prefix : <http://y/> SELECT * {}"))
    ['', 'ex']
    """
    toks = tokenize(text)
    return {
        nxt.text[:-1]
        for t, nxt in itertools.pairwise(toks)
        if t.kind == "name" and t.text.upper() == "PREFIX" and nxt.kind == "pname"
    }


def with_prefixes(text: str, prefixes: dict[str, str]) -> str:
    """The query with ``PREFIX`` declarations for the prefixes it uses but does not declare.

    The declarations go on the query's first line, before its text, so the line
    numbers in an error message stay the query's own. A prefix the query
    declares itself keeps the query's meaning.

    >>> with_prefixes("SELECT ?n { ?n a ex:C }", {"ex": "http://x/", "no": "http://n/"})
    'PREFIX ex: <http://x/> SELECT ?n { ?n a ex:C }'
    >>> with_prefixes("PREFIX ex: <http://y/> SELECT ?n { ?n a ex:C }", {"ex": "http://x/"})
    'PREFIX ex: <http://y/> SELECT ?n { ?n a ex:C }'
    """
    toks = tokenize(text)
    declared = declared_prefixes(text)
    used = {t.text.split(":", 1)[0] for t in toks if t.kind == "pname"}
    missing = [p for p in prefixes if p in used and p not in declared]
    if not missing:
        return text
    return "".join(f"PREFIX {p}: <{prefixes[p]}> " for p in missing) + text
