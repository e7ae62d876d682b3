"""Generated-sample grids reported by the adversarial recipe (plain Python, no torch)."""

from __future__ import annotations

from typing import Any

SAMPLES_KEY = "gan/samples"  # epoch-metric key holding the samples, as C×H×W nested lists


def sample_grid(samples: list[Any], columns: int = 4) -> list[list[float]]:
    """Tile C×H×W samples (first channel) into one 2-D list, rows of ``columns``."""
    if not samples:
        return []
    images = [s[0] for s in samples]
    h, w = len(images[0]), len(images[0][0])
    rows = -(-len(images) // columns)
    grid = [[0.0] * (w * columns) for _ in range(h * rows)]
    for k, img in enumerate(images):
        top, left = (k // columns) * h, (k % columns) * w
        for y in range(h):
            grid[top + y][left:left + w] = img[y]
    return grid
