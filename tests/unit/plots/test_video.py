"""Drawing of `mabe render` frames: the skeleton rule, the lanes' boxes, the canvas."""

from __future__ import annotations

import numpy as np

from mabe.plots.common import action_color
from mabe.plots.video import PANEL, Canvas, Lane, LanePanel, bgr, draw_pose, skeleton_edges

MABE_PARTS = ["body_center", "ear_left", "ear_right", "lateral_left", "lateral_right", "neck", "nose",
              "tail_base", "tail_midpoint", "tail_tip"]


def _named(parts, edges):
    return {frozenset((parts[a], parts[b])) for a, b in edges}


def test_spine_names_are_chained_head_to_tail_and_the_rest_join_their_nearest_part():
    pose = {  # a mouse lying along x, ears by the head, laterals by the body centre
        "nose": (0, 0), "neck": (10, 0), "body_center": (25, 0), "tail_base": (40, 0), "tail_midpoint": (55, 0),
        "tail_tip": (70, 0), "ear_left": (8, -4), "ear_right": (8, 4), "lateral_left": (26, -6), "lateral_right": (24, 6),
    }
    coords = np.array([[[pose[p] for p in MABE_PARTS]]], dtype=np.float32)
    edges = skeleton_edges(MABE_PARTS, coords)
    assert len(edges) == len(MABE_PARTS) - 1
    assert _named(MABE_PARTS, edges) == {frozenset(e) for e in [
        ("nose", "neck"), ("neck", "body_center"), ("body_center", "tail_base"), ("tail_base", "tail_midpoint"),
        ("tail_midpoint", "tail_tip"), ("neck", "ear_left"), ("neck", "ear_right"),
        ("body_center", "lateral_left"), ("body_center", "lateral_right"),
    ]}


def test_unknown_names_give_the_minimum_spanning_tree_and_no_pose_a_chain():
    parts = ["p", "q", "r", "s"]
    coords = np.array([[[[0, 0], [100, 0], [10, 0], [50, 0]]]], dtype=np.float32)  # order along x: p r s q
    assert _named(parts, skeleton_edges(parts, coords)) == {frozenset(e) for e in [("p", "r"), ("r", "s"), ("s", "q")]}
    assert skeleton_edges(parts) == [(0, 1), (1, 2), (2, 3)]
    assert skeleton_edges(["nose"]) == []


def _box_colour(image, panel, row):
    x0, y0, x1, y1 = panel.now_box(row)
    return image[y0 + 3:y1 - 2, x1 - 20:x1 - 3].reshape(-1, 3).mean(axis=0)


def test_a_lane_box_fills_with_the_action_colour_only_inside_a_bout():
    lanes = [Lane("a -> b", "true", np.array([10]), np.array([20]), ("attack",)),
             Lane("a -> b", "pred", np.array([15]), np.array([30]), ("sniff",))]
    panel = LanePanel(lanes, width=640, first_frame=0, n_frames=40, fps=30.0, title="video 1")
    inside, outside = panel.draw(12), panel.draw(5)
    np.testing.assert_allclose(_box_colour(inside, panel, 0), bgr(action_color("attack")), atol=1)
    np.testing.assert_allclose(_box_colour(outside, panel, 0), PANEL, atol=1)
    np.testing.assert_allclose(_box_colour(inside, panel, 1), PANEL, atol=1)   # prediction starts at 15
    np.testing.assert_allclose(_box_colour(panel.draw(25), panel, 1), bgr(action_color("sniff")), atol=1)
    assert panel.height % 2 == 0


def test_a_not_annotated_lane_never_fills():
    lane = Lane("a -> b", "true", np.array([], dtype=np.int64), np.array([], dtype=np.int64), (), annotated=False)
    panel = LanePanel([lane], width=640, first_frame=0, n_frames=10, fps=30.0, title="v")
    assert _box_colour(panel.draw(3), panel, 0).max() < 60


def test_draw_pose_puts_each_mouse_where_the_canvas_maps_it():
    canvas = Canvas.fit(200, 100, max_side=100)           # half size
    assert (canvas.width, canvas.height, canvas.scale) == (100, 50, 0.5)
    picture = np.zeros((50, 100, 3), dtype=np.uint8)
    pose = np.full((2, 2, 2), np.nan, dtype=np.float32)
    pose[0] = [[100, 60], [140, 60]]                      # mouse 1 -> picture (50..70, 30)
    draw_pose(picture, pose, canvas, [(0, 1)], ["m1", "m2"])
    assert picture[30, 60].any() and not picture[5:12, 5:12].any()
