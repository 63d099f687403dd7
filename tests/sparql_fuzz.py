"""A generator of legal SPARQL queries that call a SERVICE, in every lexical form of the grammar.

Each case is a template with ``{TRAP}`` where the endpoint's base URL goes, so the
same cases can be aimed at a trap that must never be reached (citykg's entry
points) and at one that shows the query is live (Oxigraph run directly).

The forms come from the SPARQL 1.1 grammar (§19): keywords in any case and
spelt with ``\\u`` escapes (which SPARQL 1.1 decodes before parsing, and Oxigraph
0.5 only inside IRIs and strings); ``SILENT``; endpoints as IRIs (with ``\\u``
escapes), prefixed names (empty prefix, local-name escapes, percent escapes),
IRIs relative to ``BASE``, and variables; whitespace of every kind and comments
between any two tokens; decoys that trip tokenizers (strings of four kinds with
escapes, comments holding braces and keywords, local names with ``\\'``, ``\\#``
and ``\\(`` escapes, IRIs with ``#``); and the SERVICE clause nested in groups,
``OPTIONAL``, ``UNION``, ``MINUS``, ``EXISTS``, subqueries and ``GRAPH``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KEYWORDS = ["SERVICE", "service", "Service", "sErViCe"]
#: Spellings only the SPARQL 1.1 reading (``\\u`` decoded first) sees as the keyword.
SPEC_KEYWORDS = [r"\u0053ERVICE", r"SERVIC\u0045", r"\U00000053ervice", r"s\u0065rvice"]
SILENT = ["", "SILENT", "silent", "SiLeNt"]
SPACES = [" ", "\n", "\t", "\r\n", "  \t ", "\n\n", " # } SERVICE <x:y> {\n",
          "\n#'\"{\n", " #\\u0022\n"]  # fmt: skip
DECOYS = [
    '?s ?p "SERVICE" .',
    "?s d:x\\' ?o .",
    "?s d:a\\#b ?o .",
    "?s d:a\\(b\\) ?o .",
    "?s d:a\\.b\\-c\\~d ?o .",
    "?s d:a\\?b\\,c\\;d ?o .",
    '?s ?p "a\\"} SERVICE <x:y> {" .',
    "?s ?p 'a\\'b' .",
    "?s ?p '''x ' '' \"SERVICE\" } ''' .",
    '?s ?p """x " "" { """ .',
    "?s ?p <http://example.org/#SERVICE> .",
    "?s ?p <http://example.org/a\\u0062c> .",
    "?s ?p 1.5e3 .",
    "?s ?p -1 .",
    '?s ?p "x"@en-GB .',
    '?s ?p "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    "?s d:p [ d:q 'x' ] .",
    "?s d:p ( 1 2 ) .",
    "?s d:p/d:q|^d:r ?o .",
    'BIND("}" AS ?b1)',
    "BIND('#' AS ?b2)",
    "FILTER(?s != <http://example.org/x>)",
    "# a comment with SERVICE <x:y> { and ' and \"\n",
]


@dataclass(frozen=True)
class Case:
    """One generated query (a template over ``{TRAP}``) and how it was made."""

    template: str
    spec_only: bool
    how: str

    def text(self, trap: str) -> str:
        return self.template.replace("{TRAP}", trap)


def _endpoint(rng: random.Random) -> tuple[str, str, str, str]:
    """(prologue, term, binding pattern, name) of one way to name the trap's endpoint."""
    forms = [
        ("", "<{TRAP}/sparql>", "", "iri"),
        ("", "<{TRAP}/sp\\u0061rql>", "", "iri-u-escape"),
        ("", "<{TRAP}/sparql\\u003Fa=1>", "", "iri-u-escape-query"),
        ("PREFIX t: <{TRAP}/>", "t:sparql", "", "pname"),
        ("PREFIX : <{TRAP}/>", ":sparql", "", "pname-empty-prefix"),
        ("PREFIX t: <{TRAP}/>", "t:sp%61rql", "", "pname-percent"),
        ("PREFIX t: <{TRAP}/>", "t:a\\.b", "", "pname-local-escape"),
        ("PREFIX t: <{TRAP}/>", "t:a\\-b\\~c\\!", "", "pname-local-escapes"),
        ("PREFIX t.x-y: <{TRAP}/>", "t.x-y:sparql", "", "pname-dotted-prefix"),
        ("PREFIX t: <{TRAP}/>", "t:", "", "pname-empty-local"),
        ("BASE <{TRAP}/>", "<sparql>", "", "relative-iri"),
        ("BASE <{TRAP}/x/y>", "<../sparql>", "", "relative-iri-dotdot"),
        ("BASE <http://example.org/> BASE <{TRAP}/>", "<sparql>", "", "relative-iri-two-bases"),
        ("", "?e", "VALUES ?e { <{TRAP}/sparql> }", "variable-values"),
        ("", "$e", "BIND(<{TRAP}/sparql> AS $e)", "variable-bind"),
    ]
    return rng.choice(forms)


def _wrap(rng: random.Random, clause: str) -> tuple[str, str]:
    forms = [
        ("{0}", "plain"),
        ("{{ {0} }}", "group"),
        ("{{ {{ {{ {0} }} }} }}", "nested-groups"),
        ("OPTIONAL {{ {0} }}", "optional"),
        ("{{ {0} }} UNION {{ ?u ?v ?w }}", "union-left"),
        ("{{ ?u ?v ?w }} UNION {{ {0} }}", "union-right"),
        ("FILTER EXISTS {{ {0} }}", "exists"),
        ("FILTER NOT EXISTS {{ {0} }}", "not-exists"),
        ("MINUS {{ {0} }}", "minus"),
        ("{{ SELECT * WHERE {{ {0} }} }}", "subquery"),
        ("GRAPH ?g {{ {0} }}", "graph"),
    ]
    fmt, name = rng.choice(forms)
    return fmt.format(clause), name


def _query(rng: random.Random, body: str) -> tuple[str, str]:
    forms = [
        ("SELECT * WHERE {{ {0} }}", "select"),
        ("SELECT ?s WHERE {{ {0} }} LIMIT 1", "select-limit"),
        ("ASK {{ {0} }}", "ask"),
        ("ask{{{0}}}", "ask-tight"),
        ("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {0} }}", "construct"),
        ("DESCRIBE ?s WHERE {{ {0} }}", "describe"),
        ("SELECT (COUNT(*) AS ?n) WHERE {{ {0} }}", "aggregate"),
    ]
    fmt, name = rng.choice(forms)
    return fmt.format(body), name


def cases(n: int = 300, seed: int = 15) -> list[Case]:
    """``n`` generated cases (deterministic for a seed); the first ones cover every form once."""
    rng = random.Random(seed)
    out: list[Case] = []
    for i in range(n):
        spec_only = i % 5 == 4
        keyword = rng.choice(SPEC_KEYWORDS if spec_only else KEYWORDS)
        prologue, term, binding, ep_name = _endpoint(rng)
        silent = rng.choice(SILENT)

        def sp() -> str:
            return rng.choice(SPACES)

        tight = rng.random() < 0.2 and term.startswith("<") and not silent
        clause = (
            f"{keyword}{term}{{?s ?p ?o}}"
            if tight
            else f"{keyword}{sp()}{silent}{sp() if silent else ''}{term}{sp()}{{{sp()}?s ?p ?o{sp()}}}"
        )
        if binding:
            clause = f"{binding}{sp()}{clause}"
        wrapped, wrap_name = _wrap(rng, clause)
        decoys = rng.sample(DECOYS, rng.randint(0, 5))
        split = rng.randint(0, len(decoys))
        before, after = " ".join(decoys[:split]), " ".join(decoys[split:])
        body = f"{before}{sp()}{wrapped}{sp()}{after}"
        query, form_name = _query(rng, body)
        head = f"PREFIX d: <http://example.org/d/>{sp()}{prologue}{sp()}"
        out.append(
            Case(
                head + query,
                spec_only,
                f"{form_name}/{wrap_name}/{ep_name}/{keyword}/{silent or 'no-silent'}",
            )
        )
    return out


def covering(sample_of: list[Case]) -> list[Case]:
    """The fewest cases (greedily) in which every value of every part of ``how`` occurs.

    The guard itself is tried on every case; the ways into it (the API, the
    command line, the server) need each form, wrapper, endpoint spelling,
    keyword and SILENT spelling once, not the whole cross product.
    """
    parts = [(i, frozenset(enumerate(c.how.split("/")))) for i, c in enumerate(sample_of)]
    todo = set().union(*(p for _, p in parts))
    chosen: list[int] = []
    while todo:
        i, p = max(parts, key=lambda ip: (len(ip[1] & todo), -ip[0]))
        chosen.append(i)
        todo -= p
    return [sample_of[i] for i in sorted(chosen)]
