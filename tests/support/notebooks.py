"""What a committed notebook must not carry."""

from __future__ import annotations


def leftovers(nb) -> list[str]:
    """What a committed notebook must not carry: outputs, execution counts, widget state."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {i}: outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i}: execution count")
    if "widgets" in nb.metadata:
        found.append("widget state")
    return found
