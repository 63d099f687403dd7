"""Typed errors raised by citykg's library code.

Library functions raise these and never print or exit; the command line maps
each class to a documented exit code (:data:`EXIT_CODES`).
"""

from __future__ import annotations

from pathlib import Path


class CitykgError(Exception):
    """Base class of every error citykg raises on purpose."""

    exit_code = 1


class ConfigError(CitykgError):
    """A configuration file or option is wrong."""

    exit_code = 2


class MissingExtraError(ConfigError):
    """An optional part of citykg is not installed; says which extra installs it (exit code 2)."""


class SourceNotFoundError(CitykgError):
    """A file or folder named by the user does not exist."""

    exit_code = 3


class ParseError(CitykgError):
    """An RDF file is not well formed; names the file, line and column."""

    exit_code = 4

    def __init__(
        self,
        path: str | Path,
        message: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.problem = message
        where = self.path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class ValidationFailed(CitykgError):
    """The graph does not conform to the shapes; carries the report."""

    exit_code = 5

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class UnknownQueryError(CitykgError):
    """No stored query has the given name."""

    exit_code = 6


class QueryParameterError(CitykgError):
    """A stored query parameter is missing, unknown or of the wrong type."""

    exit_code = 7


class QueryError(CitykgError):
    """A SPARQL query is malformed or failed while running."""

    exit_code = 8


class QueryLimitError(QueryError):
    """A query passed its time or memory limit and was stopped; says how to lift the limit."""

    exit_code = 17


class ForbiddenQueryError(QueryError):
    """A query asks for something citykg refuses (SERVICE, LOAD, an update...)."""

    exit_code = 9


class NetworkRequiredError(CitykgError):
    """The operation needs the network (a remote endpoint) and runs offline."""

    exit_code = 10


class EndpointError(CitykgError):
    """A remote SPARQL endpoint failed; says whether endpoint, network or query."""

    exit_code = 11

    def __init__(self, message: str, kind: str = "endpoint") -> None:
        super().__init__(message)
        self.kind = kind


class ReasonerError(CitykgError):
    """The reasoner could not run (no Java, a crash) or found an inconsistency."""

    exit_code = 12


class IngestError(CitykgError):
    """Input rows could not be mapped; carries every bad row with its reason."""

    exit_code = 13

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class LintError(CitykgError):
    """The ontology lint found problems."""

    exit_code = 14


class LinkError(CitykgError):
    """Linking to Wikidata failed."""

    exit_code = 15


class PublishError(CitykgError):
    """A release could not be written or verified."""

    exit_code = 16


#: Exit code of every error class, for the documentation and the CLI.
EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        CitykgError,
        ConfigError,
        SourceNotFoundError,
        ParseError,
        ValidationFailed,
        UnknownQueryError,
        QueryParameterError,
        QueryError,
        QueryLimitError,
        ForbiddenQueryError,
        NetworkRequiredError,
        EndpointError,
        ReasonerError,
        IngestError,
        LintError,
        LinkError,
        PublishError,
    )
}
