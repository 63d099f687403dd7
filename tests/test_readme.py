"""Every example of the README runs: each command of the tour, and the Python section.

They run in a fresh working folder holding the example files they name; the
two remote services they call are replaced by loopback servers: Wikidata by
the stand-in (a real Oxigraph server over a Wikidata extract), and
``http://localhost:7878/query`` by a fresh ``oxigraph serve``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FIXTURES, ROOT, free_port, oxigraph_server

README = ROOT / "README.md"
WIKIDATA = "https://query.wikidata.org/sparql"
LOCAL_SERVER = "http://localhost:7878/query"

MY_QUERY = "SELECT ?city WHERE { ?city a ckg:City ; rdfs:label ?l } ORDER BY ?city LIMIT 5\n"
SOURCES = """\
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def example_files(work: Path) -> None:
    """The files the README's examples name, in ``work``.

    ``my-data/sources.ttl`` describes the web pages the rows of the example
    table cite (test fixtures: made-up titles, the day of writing the test).
    """
    (work / "my-query.rq").write_text(MY_QUERY, encoding="utf-8")
    (work / "my-queries").mkdir()
    (work / "my-queries" / "my-governments.rq").write_text(MY_STORED, encoding="utf-8")
    (work / "my-data").mkdir()
    table = FIXTURES / "ingest" / "memberships.csv"
    shutil.copy(table, work / "my-members.csv")
    urls = sorted(line.rsplit(",", 1)[1] for line in
                  table.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
    described = "".join(
        f'<{u}> a ckg:Source ; rdfs:label "page {i}"@en ; dcterms:title "page {i}"@en ;'
        f' ckg:accessDate "2026-11-29"^^xsd:date .\n' for i, u in enumerate(urls))
    (work / "my-data" / "sources.ttl").write_text(SOURCES + described, encoding="utf-8")
    (work / "members.csv").write_text(block("## Reconciling a table", "csv"), encoding="utf-8")


MY_STORED = """#+ summary: Cities that have a member city government in a network, from my own data
#+ tags: [networks]
PREFIX org: <http://www.w3.org/ns/org#>
SELECT DISTINCT ?government WHERE { ?m org:member ?government } ORDER BY ?government
"""


def block(after: str, lang: str) -> str:
    """The first fenced block of ``lang`` after the heading ``after``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(after)
    m = re.search(rf"```{lang}\n(.*?)```", text[start:], re.S)
    assert m, f"no {lang} block after {after!r}"
    return m.group(1)


def cli_examples() -> list[str]:
    lines = [ln for ln in block("## A tour of the command line", "sh").splitlines()
             if ln.startswith("citykg ")]
    return [re.sub(r"\s+#\s.*$", "", ln) for ln in lines]


def test_every_command_has_a_readme_example() -> None:
    from citykg.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)  # type: ignore[arg-type]
    shown = {shlex.split(ln)[1] for ln in cli_examples()}
    assert commands == shown


def test_every_command_is_an_api_call_in_the_python_section() -> None:
    python = block("## In Python", "python")
    for ln in cli_examples():
        command = shlex.split(ln)[1]
        assert f"# citykg {command}" in python, f"no API call shown for `citykg {command}`"


# session-scoped: pytest-xdist may set a module fixture up again on a worker when tests of
# other modules run in between, which would part an example from the one it needs
@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with the example files the README names."""
    work = tmp_path_factory.mktemp("readme")
    example_files(work)
    return work


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The SPARQL server the README pushes to and queries (``localhost:7878``)."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph") / "db") as url:
        yield f"{url}/query"


def localise(text: str, standin: str, server: str) -> str:
    return (text.replace(WIKIDATA, standin).replace(LOCAL_SERVER, server)
            .replace("data/mappings/", f"{ROOT}/data/mappings/"))


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    return e


def serve_once(args: list[str], cwd: Path) -> None:
    """Start ``citykg serve`` on a free port, see it answer a query, stop it."""
    port = free_port()
    args = [a if a != "8000" else str(port) for a in args]
    proc = subprocess.Popen([sys.executable, "-m", "citykg", *args], cwd=cwd, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"
                with urllib.request.urlopen(url, timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise AssertionError(f"citykg serve did not start: {err[-2000:]}") from None
                time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


#: Examples that need an earlier one, by a word of theirs: each chain runs in order on one
#: worker (pytest-xdist ``--dist loadgroup``); the other examples are independent.
CHAINS = {"ingest": "readme-my-data", "--data my-data/": "readme-my-data",
          "publish": "readme-release", "push": "readme-release", "--endpoint http://localhost":
          "readme-release"}

#: What an example must leave behind in the working folder.
WRITES = {"ingest": "my-data/my-members.ttl", "link": "data/links/wikidata-links.ttl",
          "enrich": "data/enrichment/wikidata.nt", "docs": "dist/docs/index.html",
          "export": "dist/citykg.trig"}


def _example_params() -> list[object]:
    out = []
    for i, line in enumerate(cli_examples()):
        group = next((g for word, g in CHAINS.items() if word in line), None)
        marks = [pytest.mark.xdist_group(group)] if group else []
        out.append(pytest.param(line, marks=marks, id=f"{i:02d}-{shlex.split(line)[1]}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("line", _example_params())
def test_a_command_line_example_runs(line: str, workdir: Path, standin_url: str,
                                     local_server: str) -> None:
    args = shlex.split(localise(line, standin_url, local_server))[1:]
    if args[0] == "reconcile" and "--endpoint" not in args:
        args += ["--endpoint", standin_url]  # Wikidata is the stand-in here, as for link
    if args[0] == "serve":
        serve_once(args, workdir)
        return
    if args[0] == "push" and not any((workdir / "dist").glob("*/SHA256SUMS")):
        # push loads the release that the publish example writes; make it here if this
        # worker's folder has none (the chain's order across workers is not guaranteed)
        pub = subprocess.run([sys.executable, "-m", "citykg", "publish", "--out", "dist"],
                             cwd=workdir, env=env(), capture_output=True, text=True, timeout=900)
        assert pub.returncode == 0, pub.stderr[-3000:]
    r = subprocess.run([sys.executable, "-m", "citykg", *args], cwd=workdir, env=env(),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{line}\n  exit {r.returncode}: {r.stderr[-3000:]}"
    if args[0] in WRITES:
        assert (workdir / WRITES[args[0]]).is_file()


@pytest.mark.slow
def test_the_python_section_runs(tmp_path: Path, standin_url: str, local_server: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    example_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    code = localise(block("## In Python", "python"), standin_url, local_server)
    scope: dict[str, object] = {}
    exec(compile(code, "README.md (Python section)", "exec"), scope)
    from citykg.api import KnowledgeGraph
    from citykg.server.asgi import ClosingApp

    kg, remote = scope["kg"], scope["remote"]
    assert isinstance(kg, KnowledgeGraph) and isinstance(remote, KnowledgeGraph)
    assert remote.store.graph_sizes() == kg.store.graph_sizes()  # pushed whole
    assert (tmp_path / "my-data" / "my-members.ttl").is_file()
    assert (tmp_path / "data" / "enrichment" / "wikidata.nt").is_file()
    app = scope["app"]
    assert isinstance(app, ClosingApp)
    app.state.site.close()
