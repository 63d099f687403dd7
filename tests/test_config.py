"""Settings: a citykg.toml adds the user's folders; --store keeps the graph on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from citykg.api import KnowledgeGraph
from citykg.config import load_settings
from citykg.errors import ConfigError, SourceNotFoundError
from citykg.results import SelectResult

EXTRA = """\
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/citykg/id/region/test-region> a ckg:Region ; rdfs:label "Test region"@en .
"""
QUERY = """\
#+ summary: the test region
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE { <https://w3id.org/citykg/id/region/test-region> rdfs:label ?label } ORDER BY ?label
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "my-data").mkdir()
    (tmp_path / "my-data" / "extra.ttl").write_text(EXTRA, encoding="utf-8")
    (tmp_path / "my-queries").mkdir()
    (tmp_path / "my-queries" / "test-region.rq").write_text(QUERY, encoding="utf-8")
    (tmp_path / "citykg.toml").write_text(
        '[citykg]\ndata = ["my-data"]\nqueries = ["my-queries"]\nstore = "kg-store"\n'
        "reasoning = false\nquery_timeout = 5\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.slow  # the slow set: make test-slow, and CI
def test_citykg_toml_adds_folders_and_an_on_disk_store(project: Path) -> None:
    settings = load_settings(cwd=project)
    assert settings.data_dirs[-1] == (project / "my-data").resolve()
    assert settings.query_dirs[-1] == (project / "my-queries").resolve()
    assert settings.store_path == (project / "kg-store").resolve()
    assert settings.reasoning is False and settings.query_timeout == 5
    kg = KnowledgeGraph(settings)
    kg.build()
    res = kg.query("test-region")
    assert isinstance(res, SelectResult) and [str(r[0]) for r in res.rows] == ["Test region"]
    assert any((project / "kg-store").iterdir()), "the Oxigraph store is on disk"


def test_unknown_setting_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "citykg.toml").write_text("[citykg]\ndatta = []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="datta"):
        load_settings(cwd=tmp_path)


def test_missing_folder_in_config_is_reported(tmp_path: Path) -> None:
    (tmp_path / "citykg.toml").write_text('[citykg]\ndata = ["nowhere"]\n', encoding="utf-8")
    with pytest.raises(SourceNotFoundError, match="nowhere"):
        load_settings(cwd=tmp_path)


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "citykg.toml").write_text("[citykg\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"citykg\.toml"):
        load_settings(cwd=tmp_path)
