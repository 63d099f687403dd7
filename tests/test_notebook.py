"""The worked tutorial notebook (docs/tutorial-analytics.ipynb) runs top to bottom.

Executed with nbclient on a Python kernel; the notebook is stored without
outputs (checked here), so a diff shows only what a person wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install 'citykg[notebook]'")
nbclient = pytest.importorskip("nbclient", reason="pip install 'citykg[notebook]'")
pytest.importorskip("networkx", reason="pip install 'citykg[notebook]'")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial-analytics.ipynb"

pytestmark = pytest.mark.slow


def test_tutorial_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_tutorial_runs_top_to_bottom(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError with the failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) >= 3, "the timeline, the map and the network drawing are shown"
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(tables) >= 5, "DataFrames are shown as tables"
