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
17    a query passed its time or memory limit (--timeout, --max-memory, --no-limit)
130   interrupted
====  ==========================================================
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .commands import analytics, graph, ingest, link, ontology, publish, query, reconcile, serve
from .commands.common import UI, graph_options
from .errors import CitykgError
from .resources import installed_version

EXIT_DOC = __doc__ or ""

#: The command modules, in the order of ``citykg --help``; each has ``register(sub, common)``.
COMMAND_MODULES = (graph, query, ingest, link, reconcile, analytics, ontology, publish, serve)


def build_parser() -> argparse.ArgumentParser:
    """The ``citykg`` argument parser with every command."""
    common = graph_options()
    p = argparse.ArgumentParser(
        prog="citykg",
        description="citykg: a knowledge graph of city diplomacy (paradiplomacy).",
        epilog=EXIT_DOC.split("\n\n", 1)[1] if "\n\n" in EXIT_DOC else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"citykg {installed_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub, common)
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
