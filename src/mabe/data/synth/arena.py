"""Arena geometry in cm: walls, wall avoidance, clamping, landmarks.

Scalar methods (plain floats) are used inside the per-step motion loop, where
they are much faster than numpy on one point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Arena:
    """A rectangular or circular arena, origin at its top-left corner.

    Attributes
    ----------
    shape
        ``"rect"`` or ``"circle"`` (a circle of diameter ``min(width, height)``
        centred in the ``width`` x ``height`` box).
    width, height
        Size of the bounding box in cm.
    """

    shape: str
    width: float
    height: float
    centre: tuple[float, float] = field(init=False, repr=False, compare=False)
    """Centre of the bounding box (and of a circular arena)."""
    radius: float = field(init=False, repr=False, compare=False)
    """Radius of a circular arena (half the smaller side for rectangles)."""
    circular: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.shape not in ("rect", "circle"):
            raise ValueError(f"arena shape must be 'rect' or 'circle', got {self.shape!r}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"arena size must be positive, got {self.width} x {self.height}")
        # cached for the per-step loop
        object.__setattr__(self, "centre", (self.width / 2.0, self.height / 2.0))
        object.__setattr__(self, "radius", min(self.width, self.height) / 2.0)
        object.__setattr__(self, "circular", self.shape == "circle")

    def wall_distance(self, x: float, y: float) -> float:
        """Distance from ``(x, y)`` to the nearest wall (negative outside)."""
        if self.circular:
            cx, cy = self.centre
            return self.radius - math.hypot(x - cx, y - cy)
        return min(x, self.width - x, y, self.height - y)

    def avoidance(self, x: float, y: float, reach: float) -> tuple[float, float, float]:
        """Direction away from walls closer than ``reach`` and its strength.

        Returns
        -------
        tuple of float
            ``(nx, ny, strength)``: a unit vector pointing into the arena and
            ``strength`` in [0, 1] (0 when every wall is farther than ``reach``).
        """
        cx, cy = self.centre
        if self.circular:
            dx, dy = cx - x, cy - y
            dist = math.hypot(dx, dy)
            strength = max(0.0, 1.0 - (self.radius - dist) / reach)
            if strength <= 0.0 or dist < 1e-9:
                return 0.0, 0.0, 0.0
            return dx / dist, dy / dist, min(1.0, strength)
        left = max(0.0, 1.0 - x / reach)
        right = max(0.0, 1.0 - (self.width - x) / reach)
        top = max(0.0, 1.0 - y / reach)
        bottom = max(0.0, 1.0 - (self.height - y) / reach)
        nx, ny = left - right, top - bottom
        norm = math.hypot(nx, ny)
        if norm < 1e-9:
            return 0.0, 0.0, 0.0
        return nx / norm, ny / norm, min(1.0, max(left, right, top, bottom))

    def clamp(self, x: float, y: float, margin: float) -> tuple[float, float]:
        """Move ``(x, y)`` inside the arena shrunk by ``margin`` cm."""
        if self.circular:
            cx, cy = self.centre
            limit = max(0.0, self.radius - margin)
            dx, dy = x - cx, y - cy
            dist = math.hypot(dx, dy)
            if dist > limit:
                scale = limit / dist
                return cx + dx * scale, cy + dy * scale
            return x, y
        m_x = min(margin, self.width / 2.0)
        m_y = min(margin, self.height / 2.0)
        return min(max(x, m_x), self.width - m_x), min(max(y, m_y), self.height - m_y)

    def wall_point(self, fraction: float) -> tuple[float, float, float, float]:
        """Return a point on the wall and the inward normal there.

        Parameters
        ----------
        fraction
            Position along the perimeter in [0, 1).

        Returns
        -------
        tuple of float
            ``(x, y, nx, ny)``.
        """
        fraction = fraction % 1.0
        if self.shape == "circle":
            cx, cy = self.centre
            angle = 2.0 * math.pi * fraction
            ux, uy = math.cos(angle), math.sin(angle)
            return cx + self.radius * ux, cy + self.radius * uy, -ux, -uy
        w, h = self.width, self.height
        s = fraction * 2.0 * (w + h)
        if s < w:
            return s, 0.0, 0.0, 1.0
        if s < w + h:
            return w, s - w, -1.0, 0.0
        if s < 2.0 * w + h:
            return 2.0 * w + h - s, h, 0.0, -1.0
        return 0.0, 2.0 * (w + h) - s, 1.0, 0.0

    def nearest_wall(self, x: float, y: float) -> tuple[float, float, float, float]:
        """Return the wall point closest to ``(x, y)`` and the inward normal there."""
        if self.shape == "circle":
            cx, cy = self.centre
            angle = math.atan2(y - cy, x - cx)
            return self.wall_point(angle / (2.0 * math.pi))
        gaps = (x, self.width - x, y, self.height - y)
        side = min(range(4), key=gaps.__getitem__)
        return (
            (0.0, y, 1.0, 0.0),
            (self.width, y, -1.0, 0.0),
            (x, 0.0, 0.0, 1.0),
            (x, self.height, 0.0, -1.0),
        )[side]

    def nearest_corner(self, x: float, y: float) -> tuple[float, float, float, float]:
        """Return the corner closest to ``(x, y)`` (a wall point for circles), inward diagonal."""
        if self.shape == "circle":
            return self.nearest_wall(x, y)
        corners = [self.corner(i) for i in range(4)]
        return min(corners, key=lambda c: (c[0] - x) ** 2 + (c[1] - y) ** 2)

    def corner(self, index: int) -> tuple[float, float, float, float]:
        """Return a corner (a wall point for circles) and the inward diagonal there."""
        if self.shape == "circle":
            return self.wall_point(index / 4.0 + 0.125)
        xs = (0.0, self.width, self.width, 0.0)
        ys = (0.0, 0.0, self.height, self.height)
        i = index % 4
        cx, cy = self.centre
        nx, ny = cx - xs[i], cy - ys[i]
        norm = math.hypot(nx, ny)
        return xs[i], ys[i], nx / norm, ny / norm

    def random_point(self, rng: np.random.Generator, margin: float) -> tuple[float, float]:
        """Draw a uniform point at least ``margin`` cm from the walls (where possible)."""
        cx, cy = self.centre
        if self.shape == "circle":
            r = max(0.0, self.radius - margin) * math.sqrt(rng.random())
            angle = 2.0 * math.pi * rng.random()
            return cx + r * math.cos(angle), cy + r * math.sin(angle)
        m_x = min(margin, self.width / 2.0)
        m_y = min(margin, self.height / 2.0)
        return float(rng.uniform(m_x, self.width - m_x)), float(rng.uniform(m_y, self.height - m_y))
