"""Figure-test helpers: decode a PNG and measure how much of it is drawn."""

from __future__ import annotations

import io

import numpy as np


def png_pixels(data: bytes) -> np.ndarray:
    """RGB floats in [0, 1] of a PNG; fails if the bytes are not a PNG."""
    from matplotlib import image

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return image.imread(io.BytesIO(data), format="png")[..., :3]


def drawn_share(data: bytes) -> float:
    """Share of pixels that are not (near) white background."""
    rgb = png_pixels(data)
    return float((rgb.min(axis=2) < 0.92).mean())


def colour_share(data: bytes, hex_colour: str, tol: float = 0.04) -> float:
    """Share of pixels of (about) one colour."""
    rgb = png_pixels(data)
    target = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return float((np.abs(rgb - target).max(axis=2) < tol).mean())
