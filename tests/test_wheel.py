"""The wheel carries the ontology, shapes, data and queries: installed in a fresh
virtual environment and run from another folder, it builds the same graph; and
the base install pulls none of the optional stacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from citykg.extras import EXTRAS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_installed_wheel_builds_the_same_graph(tmp_path: Path, kg: object) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(wheels), str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("citykg-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   capture_output=True, timeout=900)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    p = subprocess.run([str(env_dir / "bin" / "citykg"), "info", "--format", "json"],
                       cwd=outside, capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    installed = json.loads(p.stdout)
    assert installed["graphs"] == kg.info()["graphs"]  # type: ignore[attr-defined]
    p = subprocess.run([str(env_dir / "bin" / "citykg"), "build", "-q"], cwd=outside,
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    where = subprocess.run([str(py), "-c", "import citykg.resources as r; print(r.resource_root())"],
                           cwd=outside, capture_output=True, text=True, env=env, check=True)
    assert "site-packages" in where.stdout
    # the base install pulls none of the optional stacks (they come with extras)
    optional = sorted({m for mods in EXTRAS.values() for m in mods})
    found = subprocess.run([str(py), "-c", "import importlib.util as u, sys; "
                            "print(' '.join(m for m in sys.argv[1:] if u.find_spec(m)))", *optional],
                           cwd=outside, capture_output=True, text=True, env=env, check=True)
    assert found.stdout.strip() == ""
    p = subprocess.run([str(env_dir / "bin" / "citykg"), "serve", "-q"], cwd=outside,
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 2 and "pip install 'citykg[server]'" in p.stderr
