"""``pip install citykg`` pulls none of the optional stacks; a command whose extra is missing
says which extra to install (one line, exit code 2)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import requires

import pytest
from helpers import ROOT

from citykg.extras import EXTRAS

OPTIONAL = sorted({m for mods in EXTRAS.values() for m in mods})

# Runs the command line with the optional stacks made unimportable, as in a base install.
BLOCKED = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Block())
{body}
"""


def run_blocked(body: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = BLOCKED.format(blocked=set(OPTIONAL), body=body)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def cli_blocked(*args: str) -> subprocess.CompletedProcess[str]:
    return run_blocked("from citykg.cli import main\nsys.exit(main(sys.argv[1:]))", *args)


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def test_base_requirements_hold_no_optional_stack() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = {_name(r) for r in declared["dependencies"]}
    optional_dists = {"starlette", "uvicorn", "jinja2", "pylode", "owlready2", "pandas",
                      "matplotlib"}
    assert not base & optional_dists
    assert "oxrdflib" not in base  # the package never imports it (bench/ does: dev extra)
    # the installed distribution's metadata says the same: optional ones only under an extra
    for req in requires("citykg") or []:
        if _name(req) in optional_dists:
            assert "extra ==" in req, req


def test_extras_declare_what_the_code_imports() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    dist_of = {"starlette": "starlette", "uvicorn": "uvicorn", "jinja2": "jinja2",
               "pylode": "pylode", "owlready2": "owlready2", "pandas": "pandas",
               "matplotlib": "matplotlib", "networkx": "networkx", "scipy": "scipy"}
    for extra, modules in EXTRAS.items():
        names = {_name(r) for r in extras[extra]}
        assert {dist_of[m] for m in modules} <= names, extra
    assert set(EXTRAS) <= set(extras) and "all" in extras


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_without_the_optional_stacks_the_core_commands_work() -> None:
    r = cli_blocked("query", "--list", "-q")
    assert r.returncode == 0, r.stderr
    assert "members-of-network" in r.stdout
    r = cli_blocked("lint", "-q")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(("args", "extra"), [
    (["serve", "-q"], "server"),
    (["docs", "-q", "-o", "/nonexistent-citykg-docs"], "docs"),
    (["reason", "--dl", "-q"], "dl"),
])
def test_a_missing_extra_is_named(args: list[str], extra: str) -> None:
    r = cli_blocked(*args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"pip install 'citykg[{extra}]'" in lines[0]


def test_to_dataframe_names_the_notebook_extra() -> None:
    body = ("from citykg.results import SelectResult\n"
            "from citykg.errors import MissingExtraError\n"
            "try:\n    SelectResult(['x'], []).to_dataframe()\n"
            "except MissingExtraError as e:\n    print(e)\n")
    r = run_blocked(body)
    assert r.returncode == 0, r.stderr
    assert "pip install 'citykg[notebook]'" in r.stdout
