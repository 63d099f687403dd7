"""The ``citykg`` command line: a thin layer over :mod:`citykg.api`.

Data goes to standard output; progress, summaries and errors go to standard
error. Every error is one line, and each kind has its own exit code:

====  ==========================================================
code  meaning
====  ==========================================================
0     success
1     any other citykg error
2     bad usage or configuration
3     a file or folder does not exist
4     an RDF file is not well formed (file:line:column given)
5     validation failed (violations; warnings too with --strict)
6     no stored query of that name
7     a query parameter is missing, unknown or ill-typed
8     a SPARQL query is malformed or failed
9     a query was refused (SERVICE, an update...)
10    the operation needs the network (--online)
11    a remote SPARQL endpoint failed
12    the reasoner could not run, or found an inconsistency
13    ingest found bad rows (each reported)
14    the ontology lint found problems
15    linking to Wikidata failed
16    publishing failed
130   interrupted
====  ==========================================================
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import EXIT_CODES, CitykgError, QueryParameterError

EXIT_DOC = __doc__ or ""


class UI:
    """Messages to standard error, at the chosen verbosity, with progress bars."""

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._bars: dict[str, Any] = {}

    def say(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr)

    def detail(self, msg: str) -> None:
        if self.verbose and not self.quiet:
            print(msg, file=sys.stderr)

    def progress(self, label: str, done: int, total: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        key = label.split(" ")[0]
        bar = self._bars.get(key)
        if bar is None:
            desc = {"load": "loading files", "reason": "reasoning (rounds)"}.get(key, key)
            bar = tqdm(
                total=total or None,
                desc=desc,
                unit="",
                file=sys.stderr,
                leave=False,
                disable=not sys.stderr.isatty() and not self.verbose,
            )
            self._bars[key] = bar
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


def _params(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise QueryParameterError(f"--param takes NAME=VALUE, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v
    return out


def _emit(text: str | bytes, out: Path | None) -> None:
    if out is not None:
        from .api import write_atomic

        write_atomic(out, text.encode("utf-8") if isinstance(text, str) else text)
        return
    if isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
    sys.stdout.flush()


def _kg(args: argparse.Namespace, ui: UI, *, build: bool = True) -> Any:
    from .api import KnowledgeGraph
    from .config import load_settings

    settings = load_settings(
        args.config,
        extra_data=args.data or [],
        extra_queries=args.queries or [],
        store_path=args.store,
        endpoint=getattr(args, "endpoint", None),
        reasoning=False if getattr(args, "no_reasoning", False) else None,
    )
    kg = KnowledgeGraph(settings)
    if build and kg.embedded:
        t0 = time.perf_counter()
        report = kg.build(progress=ui.progress)
        ui.close()
        ui.detail(f"built the graph in {time.perf_counter() - t0:.1f} s from {report.files} files")
    return kg


def _print_sizes(kg: Any, ui: UI, report: Any | None = None) -> None:
    sizes = report.sizes if report is not None else kg.store.graph_sizes()
    ui.say("Triples per named graph:")
    for name, n in sizes.items():
        ui.say(f"  {name:<12} {n:>9,}")


def cmd_build(args: argparse.Namespace, ui: UI) -> int:
    kg = _kg(args, ui)
    report = kg.build_report
    _print_sizes(kg, ui, report)
    if report.reasoning is not None:
        r = report.reasoning
        ui.say(
            f"Reasoning: {r.inferred:,} triples inferred in {r.rounds} rounds "
            f"({r.rules} OWL RL rules, {r.custom_rules} SPARQL rules)"
        )
    ui.say("Instances per class:")
    for cls, n in list(kg.class_counts().items())[: None if args.verbose else 25]:
        ui.say(f"  ckg:{cls:<32} {n:>7,}")
    code = 0
    if report.reasoning is not None and report.reasoning.inconsistencies:
        for line in report.reasoning.inconsistencies:
            ui.say(f"inconsistent: {line}")
        code = EXIT_CODES["ReasonerError"]
    vreport = kg.validate(engine=args.engine)
    if not vreport.conforms(args.strict):
        sys.stderr.write(vreport.to_text(max_per_shape=None if args.verbose else 20))
        return EXIT_CODES["ValidationFailed"]
    ui.say(f"Validation: {vreport.summary()}")
    if args.out:
        kg.export("nquads", out=args.out)
        ui.say(f"wrote {args.out}")
    return code


def cmd_validate(args: argparse.Namespace, ui: UI) -> int:
    kg = _kg(args, ui)
    report = kg.validate(engine=args.engine)
    text = {
        "text": lambda: report.to_text(max_per_shape=args.max_per_shape),
        "json": report.to_json,
        "turtle": report.to_turtle,
    }[args.format]()
    _emit(text, args.output)
    return 0 if report.conforms(args.strict) else EXIT_CODES["ValidationFailed"]


def _render(result: Any, fmt: str) -> str:
    from .results import GraphResult

    if isinstance(result, GraphResult):
        fmt = {"table": "turtle", "json": "jsonld"}.get(fmt, fmt)
    return str(result.serialize(fmt))


def cmd_query(args: argparse.Namespace, ui: UI) -> int:
    if args.list or not args.name:
        if args.format == "markdown":
            from .querydocs import query_docs

            _emit(query_docs(_kg(args, ui)), args.output)
            return 0
        kg = _kg(args, ui, build=False)
        _emit(render_query_list(kg.library, args.format), args.output)
        return 0
    params = _params(args.param)
    kg = _kg(args, ui, build=False)
    stored = kg.stored_query(args.name)
    if stored.needs_network and not args.online and not args.explain:
        from .errors import NetworkRequiredError

        raise NetworkRequiredError(
            f"query '{stored.name}' is tagged 'network': it calls a remote SPARQL service "
            "(Wikidata) and is refused offline; pass --online to run it"
        )
    stored.bind(params)  # fail on a bad parameter before building the graph
    if not args.explain and kg.embedded:
        kg.build(progress=ui.progress)
        ui.close()
    if args.explain:
        _emit(kg.explain(args.name, **params), args.output)
        return 0
    result = kg.query(args.name, allow_network=args.online, **params)
    _emit(_render(result, args.format), args.output)
    return 0


def cmd_sparql(args: argparse.Namespace, ui: UI) -> int:
    text = args.query
    p = Path(text)
    if len(text) < 4096 and "\n" not in text and p.suffix in (".rq", ".sparql"):
        if not p.is_file():
            from .errors import SourceNotFoundError

            raise SourceNotFoundError(f"{p}: no such query file")
        text = p.read_text(encoding="utf-8")
    elif text == "-":
        text = sys.stdin.read()
    kg = _kg(args, ui)
    result = kg.sparql(text, allow_network=args.online)
    _emit(_render(result, args.format), args.output)
    return 0


def cmd_export(args: argparse.Namespace, ui: UI) -> int:
    if args.format in ("graphml", "gexf"):
        from .commands.analytics import export_network

        return export_network(args, ui)
    kg = _kg(args, ui)
    data = kg.export(args.format, args.graph or None, args.output)
    if data is not None:
        _emit(data, None)
    else:
        ui.say(f"wrote {args.output}")
    return 0


def cmd_info(args: argparse.Namespace, ui: UI) -> int:
    import json

    kg = _kg(args, ui)
    info = kg.info()
    if args.format == "json":
        _emit(json.dumps(info, indent=1) + "\n", None)
        return 0
    lines = ["Triples per named graph:"]
    lines += [f"  {k:<12} {v:>9,}" for k, v in info["graphs"].items()]
    lines.append("Instances per class:")
    lines += [f"  ckg:{k:<32} {v:>7,}" for k, v in info["classes"].items()]
    _emit("\n".join(lines) + "\n", None)
    return 0


def cmd_reason(args: argparse.Namespace, ui: UI) -> int:
    from .loader import rdf_files
    from .reasoning import check_dl
    from .resources import resource_dir

    kg = _kg(args, ui)
    r = kg.build_report.reasoning
    if r is not None:
        ui.say(f"OWL 2 RL: {r.inferred:,} triples inferred in {r.rounds} rounds")
        for line in r.inconsistencies:
            ui.say(f"inconsistent (RL): {line}")
    code = EXIT_CODES["ReasonerError"] if r is not None and r.inconsistencies else 0
    if args.dl:
        files = args.file or rdf_files(resource_dir("ontology"))
        dl = check_dl(list(files))
        if not dl.consistent:
            ui.say(f"OWL 2 DL (HermiT): INCONSISTENT: {dl.explanation}")
            return EXIT_CODES["ReasonerError"]
        ui.say(
            f"OWL 2 DL (HermiT): consistent; {len(dl.unsatisfiable)} unsatisfiable class(es)"
            f" ({dl.mapped_literals} date literals mapped to strings for HermiT)"
        )
        for c in dl.unsatisfiable:
            ui.say(f"  unsatisfiable: <{c}>")
        if dl.unsatisfiable:
            code = EXIT_CODES["ReasonerError"]
    return code


def render_query_list(library: Any, fmt: str) -> str:
    """The stored queries as a table, JSON or Markdown documentation."""
    if fmt == "json":
        import json

        return (
            json.dumps(
                [
                    {
                        "name": q.name,
                        "summary": q.summary,
                        "tags": q.tags,
                        "parameters": [
                            {
                                "name": p.name,
                                "type": p.type,
                                "optional": p.optional,
                                "default": p.default,
                            }
                            for p in q.parameters
                        ],
                    }
                    for q in library
                ],
                indent=1,
            )
            + "\n"
        )
    if fmt == "markdown":
        lines = ["| query | summary | parameters | tags |", "|---|---|---|---|"]
        for q in library:
            params = ", ".join(f"`{p.name}` ({p.type})" for p in q.parameters) or "—"
            lines.append(f"| `{q.name}` | {q.summary} | {params} | {', '.join(q.tags)} |")
        return "\n".join(lines) + "\n"
    rows = [
        (q.name, q.summary, ", ".join(f"{p.name}:{p.type}" for p in q.parameters)) for q in library
    ]
    w0 = max([len("name")] + [len(r[0]) for r in rows])
    w1 = min(70, max([len("summary")] + [len(r[1]) for r in rows]))
    out = [f"{'name':<{w0}}  {'summary':<{w1}}  parameters"]
    for n, s, p in rows:
        s = s if len(s) <= w1 else s[: w1 - 1] + "…"
        out.append(f"{n:<{w0}}  {s:<{w1}}  {p}".rstrip())
    out.append(f"({len(rows)} stored queries)")
    return "\n".join(out) + "\n"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("graph")
    g.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="DIR",
        help="an extra folder of Turtle data (repeatable)",
    )
    g.add_argument(
        "--queries",
        type=Path,
        action="append",
        metavar="DIR",
        help="an extra folder of stored queries (repeatable)",
    )
    g.add_argument(
        "--store",
        type=Path,
        metavar="PATH",
        help="keep the graph in an on-disk Oxigraph store at PATH (default: memory)",
    )
    g.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: ./citykg.toml if present)",
    )
    g.add_argument("--no-reasoning", action="store_true", help="skip OWL RL materialisation")
    g.add_argument("-q", "--quiet", action="store_true", help="only data and errors")
    g.add_argument("-v", "--verbose", action="store_true", help="more detail on standard error")

    p = argparse.ArgumentParser(
        prog="citykg",
        description="citykg: a knowledge graph of city diplomacy (paradiplomacy).",
        epilog=EXIT_DOC.split("\n\n", 1)[1] if "\n\n" in EXIT_DOC else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"citykg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("build", parents=[common], help="load, reason, validate; print a summary")
    s.add_argument("--strict", action="store_true", help="fail on warnings too")
    s.add_argument("--out", type=Path, metavar="FILE", help="also write the graph as N-Quads")
    s.add_argument(
        "--engine",
        choices=["sparql", "pyshacl"],
        default="sparql",
        help="SHACL engine: shapes compiled to SPARQL on Oxigraph (fast), or pySHACL",
    )
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("validate", parents=[common], help="validate the graph against the shapes")
    s.add_argument("--format", choices=["text", "turtle", "json"], default="text")
    s.add_argument("--strict", action="store_true", help="fail on warnings too")
    s.add_argument("--max-per-shape", type=int, default=None, metavar="N")
    s.add_argument(
        "--engine",
        choices=["sparql", "pyshacl"],
        default="sparql",
        help="SHACL engine: shapes compiled to SPARQL on Oxigraph (fast), or pySHACL",
    )
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    s.set_defaults(func=cmd_validate)

    fmts = ["table", "csv", "tsv", "json", "xml", "markdown", "turtle", "ntriples", "jsonld"]
    s = sub.add_parser("query", parents=[common], help="run a stored query, or list them")
    s.add_argument("name", nargs="?", help="the stored query (see --list)")
    s.add_argument("--list", action="store_true", help="list the stored queries")
    s.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    s.add_argument("--format", "-f", choices=fmts, default="table")
    s.add_argument("--explain", action="store_true", help="print the final query text, do not run")
    s.add_argument("--endpoint", metavar="URL", help="run on a remote SPARQL 1.1 endpoint")
    s.add_argument("--online", action="store_true", help="allow queries tagged 'network'")
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    s.set_defaults(func=cmd_query)

    s = sub.add_parser(
        "sparql", parents=[common], help="run an ad hoc SPARQL query (text, FILE.rq or -)"
    )
    s.add_argument("query")
    s.add_argument("--format", "-f", choices=fmts, default="table")
    s.add_argument("--endpoint", metavar="URL", help="run on a remote SPARQL 1.1 endpoint")
    s.add_argument("--online", action="store_true", help="allow SERVICE calls to Wikidata")
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    s.set_defaults(func=cmd_sparql)

    s = sub.add_parser("export", parents=[common], help="serialise the graph")
    s.add_argument(
        "--format",
        "-f",
        choices=["nquads", "trig", "ntriples", "turtle", "rdfxml", "graphml", "gexf"],
        default="nquads",
        help="an RDF format, or graphml/gexf for a network of the graph (see --kind)",
    )
    s.add_argument(
        "--graph", action="append", choices=["ontology", "data", "links", "enrichment", "inferred"]
    )
    s.add_argument("-o", "--output", type=Path, metavar="FILE")
    from .commands.analytics import add_network_export_options

    add_network_export_options(s)
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("info", parents=[common], help="triples per graph, instances per class")
    s.add_argument("--format", choices=["text", "json"], default="text")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser(
        "reason", parents=[common], help="OWL 2 RL materialisation; --dl runs HermiT"
    )
    s.add_argument("--dl", action="store_true", help="also check OWL 2 DL consistency with HermiT")
    s.add_argument("--file", type=Path, action="append", help="RDF files for the DL check")
    s.set_defaults(func=cmd_reason)

    from .cli_extra import register

    register(sub, common)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    ui = UI(quiet=args.quiet, verbose=args.verbose)
    try:
        code: int = args.func(args, ui)
        return code
    except CitykgError as e:
        ui.close()
        print(f"citykg: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("citykg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
