# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""docs/walkthrough.ipynb: committed with its outputs (it reads on GitHub without running), and it runs offline."""

import re
from pathlib import Path

import nbformat

from testing_utils import slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "walkthrough.ipynb"


def stream_text(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream"
    )


def test_committed_walkthrough_has_every_output_and_no_error():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [output for cell in code_cells for output in cell.outputs]
    assert len(code_cells) >= 10 and all(cell.outputs for cell in code_cells[1:])  # the imports print nothing
    assert not [output for output in outputs if output.get("output_type") == "error"]
    pictures = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(pictures) >= 4  # the face, the stage maps, the BiLSTM's context, the trained maps
    assert "mean validation accuracy" in stream_text(notebook)


@slow
def test_walkthrough_runs_offline_and_training_makes_the_glasses_query_concentrate(monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # run from scratch, not on the committed outputs
    # Raises CellExecutionError, naming the cell, if any cell fails.
    NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    text = stream_text(notebook)
    accuracy = float(re.search(r"mean validation accuracy (\d\.\d+)", text).group(1))
    untrained, trained = (float(v) for v in re.findall(r"Eyeglasses query, \w+: weights from [\d.]+ to ([\d.]+)", text))
    assert accuracy > 0.9 and trained > 5 * untrained
