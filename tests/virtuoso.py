"""A private OpenLink Virtuoso server for tests, on loopback ports, in a temporary folder.

Debian's ``virtuoso-opensource`` package installs ``virtuoso-t`` and
``isql-vt``. Its shipped configuration listens on every interface and keeps
the default ``dba``/``dba`` account (the package cannot set a password during
a non-interactive install), so the tests never use it: :func:`virtuoso_server`
writes a fresh ``virtuoso.ini`` with both the SQL and the HTTP port bound to
127.0.0.1, a new database in the temporary folder (also in ``DirsAllowed``,
for the bulk loader), changes the ``dba`` password through ``isql`` as soon
as the server is up, and stops the server afterwards.

SPARQL endpoints of such a server: ``/sparql`` (anonymous, read-only),
``/sparql-auth`` (digest authentication; updates need the ``SPARQL_UPDATE``
role, which ``dba`` has) and ``/sparql-graph-crud-auth`` (the Graph Store
HTTP Protocol, digest authentication).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

VSP_ROOT = Path("/var/lib/virtuoso-opensource-7/vsp")
PLUGINS = Path("/usr/lib/x86_64-linux-gnu/virtuoso-opensource-7/hosting")
DEFAULT_PASSWORD = "dba"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def virtuoso_binaries() -> tuple[str, str]:
    """``virtuoso-t`` and ``isql-vt``; skips the test when Virtuoso is not installed."""
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if not server or not isql:
        pytest.skip(
            "OpenLink Virtuoso is not installed (Debian package `virtuoso-opensource`; "
            ".ci/run installs it)"
        )
    return server, isql


@dataclass(frozen=True)
class VirtuosoServer:
    """A running test server: its URLs, SQL port and dba credentials."""

    http: str
    sql_port: int
    user: str
    password: str
    folder: Path
    isql_bin: str

    @property
    def sparql(self) -> str:
        """The anonymous, read-only SPARQL endpoint."""
        return f"{self.http}/sparql"

    @property
    def sparql_auth(self) -> str:
        """The SPARQL endpoint with digest authentication (updates allowed for dba)."""
        return f"{self.http}/sparql-auth"

    @property
    def graph_store(self) -> str:
        """The Graph Store HTTP Protocol endpoint (digest authentication)."""
        return f"{self.http}/sparql-graph-crud-auth"

    def isql(self, sql: str, *, password: str | None = None) -> str:
        """Run SQL through ``isql-vt``; returns its output, raises on failure."""
        proc = subprocess.run(
            [
                self.isql_bin,
                f"127.0.0.1:{self.sql_port}",
                self.user,
                password or self.password,
                f"exec={sql}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0 or "*** Error" in proc.stdout + proc.stderr:
            raise RuntimeError(f"isql failed: {proc.stdout}{proc.stderr}")
        return proc.stdout


INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 0
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
AllowOSCalls             = 0
DirsAllowed              = ., {folder}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
MaxQueryMem              = 2G
VectorSize               = 1000
MaxVectorSize            = 1000000
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
NumberOfBuffers          = 170000
MaxDirtyBuffers          = 130000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {vsp}
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
Charset                     = UTF-8
EnabledGzipContent          = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 300
DeferInferenceRulesInit    = 0
"""


@contextlib.contextmanager
def virtuoso_server(folder: Path, *, password: str = "citykg-test-pw") -> Iterator[VirtuosoServer]:
    """Start a private Virtuoso (fresh database in ``folder``); yield it; stop it."""
    server_bin, isql_bin = virtuoso_binaries()
    folder = folder.resolve()
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = _free_port(), _free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        INI.format(db=db, folder=folder, sql_port=sql_port, http_port=http_port, vsp=VSP_ROOT),
        encoding="utf-8",
    )
    log = (folder / "server.out").open("wb")
    proc = subprocess.Popen(
        [server_bin, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    http = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{http}/sparql?query=ASK%7B%7D", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    text = (folder / "server.out").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"virtuoso did not start: {text}") from None
                time.sleep(0.2)
        server = VirtuosoServer(http, sql_port, "dba", password, folder, isql_bin)
        server.isql(f"USER_SET_PASSWORD('dba', '{password}');", password=DEFAULT_PASSWORD)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
