"""Tests that notebooks/simulate-a-month.ipynb is committed clean and runs top to bottom.

The notebook runs in a real Jupyter kernel (`python3`, this virtual environment's Python),
with its working directory, IPython's and Jupyter's state and matplotlib's cache all in a
temporary directory, so a run leaves nothing behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # executes the notebook in a kernel

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "simulate-a-month.ipynb"
CELL_TIMEOUT_SECONDS = 600
FIGURES = 3


def read() -> nbformat.NotebookNode:
    """The committed notebook."""
    notebook: nbformat.NotebookNode = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    return notebook


def text_output(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed."""
    return "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.output_type == "stream"
    )


def images(notebook: nbformat.NotebookNode) -> list[Any]:
    """Every PNG the notebook displayed."""
    return [
        output.data["image/png"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "display_data" and "image/png" in output.get("data", {})
    ]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """The notebook after a run in a fresh kernel, with every write kept in a temporary dir."""
    scratch = tmp_path_factory.mktemp("notebook")
    environment = {
        "IPYTHONDIR": scratch / "ipython",
        "JUPYTER_RUNTIME_DIR": scratch / "runtime",
        "JUPYTER_DATA_DIR": scratch / "data",
        "MPLCONFIGDIR": scratch / "matplotlib",
        "TMPDIR": scratch / "tmp",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, path in environment.items():
            path.mkdir()
            patch.setenv(name, str(path))
        patch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's chosen future, no warning
        patch.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        )
        notebook = read()
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            timeout=CELL_TIMEOUT_SECONDS,
            resources={"metadata": {"path": str(scratch)}},
        )
        client.execute()
    leftovers = list((scratch / "tmp").iterdir())
    assert not leftovers, f"the notebook left files behind: {leftovers}"
    return notebook


class TestCommittedNotebook:
    """The committed file carries no outputs."""

    def test_outputs_are_stripped(self) -> None:
        """No code cell has outputs or an execution count."""
        dirty = [
            cell.id
            for cell in read().cells
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
        ]
        assert not dirty, f"strip the outputs of cells {dirty}"

    def test_kernel_is_python3(self) -> None:
        """The notebook asks for the `python3` kernel."""
        assert read().metadata.kernelspec.name == "python3"


class TestExecution:
    """The notebook runs top to bottom and draws its figures."""

    def test_runs_in_this_environment(self, executed: nbformat.NotebookNode) -> None:
        """The kernel runs this virtual environment's Python."""
        printed = text_output(executed.cells[1])
        assert f"prefix: {sys.prefix}\n" in printed

    def test_every_code_cell_ran(self, executed: nbformat.NotebookNode) -> None:
        """Each code cell ran, in order, without an error output."""
        code = [cell for cell in executed.cells if cell.cell_type == "code"]
        assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
        errors = [o for c in code for o in c.outputs if o.output_type == "error"]
        assert not errors

    def test_draws_the_figures(self, executed: nbformat.NotebookNode) -> None:
        """Statuses over time, the milestone histograms and the batch instants are shown."""
        assert len(images(executed)) == FIGURES

    def test_batch_moves_to_eight_utc_after_daylight_saving(
        self, executed: nbformat.NotebookNode
    ) -> None:
        """The batch table shows 07:00 UTC before 1 November 2026 and 08:00 UTC after."""
        printed = "".join(text_output(cell) for cell in executed.cells)
        assert "2026-11-01 07:00 UTC = Sun 1 Nov 00:00 PDT" in printed
        assert "2026-11-02 08:00 UTC = Mon 2 Nov 00:00 PST" in printed
