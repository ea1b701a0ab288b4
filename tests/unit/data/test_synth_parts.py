"""Building blocks of the simulator: distributions, arena, body model, set-ups, tracker noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mabe.data.catalog import load_catalog
from mabe.data.synth.arena import Arena
from mabe.data.synth.body import LAYOUT, part_position, render
from mabe.data.synth.distributions import ou_noise, smooth_window, split_lognormal
from mabe.data.synth.nuisance import corrupt, draw_noise, identity_swaps, tracking_gaps
from mabe.data.synth.posture import Posture
from mabe.data.synth.recording import all_triples, draw_setup, draw_whitelist
from mabe.data.synth.signatures import SIGNATURES


def test_split_lognormal_hits_skewed_percentiles() -> None:
    draws = split_lognormal(np.random.default_rng(0), 2.4, 23.0, 141.0, size=50_000)
    assert np.percentile(draws, [10, 50, 90]) == pytest.approx([2.4, 23.0, 141.0], rel=0.05)
    assert np.all(split_lognormal(np.random.default_rng(0), 9.0, 9.0, 9.0, size=10) == 9.0)


def test_ou_noise_is_stationary_and_correlated() -> None:
    noise = ou_noise(np.random.default_rng(1), 20_000, sigma=0.5, tau=1.0, dt=0.05, shape=(3,))
    assert noise.shape == (20_000, 3)
    assert noise.std() == pytest.approx(0.5, rel=0.1)
    lag = np.corrcoef(noise[:-20, 0], noise[20:, 0])[0, 1]  # one correlation time
    assert lag == pytest.approx(math.exp(-1.0), abs=0.1)


@pytest.mark.parametrize("n", [1, 7, 4096])
def test_ou_noise_loop_equals_lfilter(n: int) -> None:
    # short series are filtered in a loop (no scipy import at start-up); the
    # numbers must be the very ones lfilter gives, or synthetic data would change
    from scipy.signal import lfilter

    noise = ou_noise(np.random.default_rng(5), n, sigma=0.3, tau=0.4, dt=1 / 30, shape=(2,))
    white = np.random.default_rng(5).standard_normal((n, 2))
    a = math.exp(-1 / 30 / 0.4)
    b = 0.3 * math.sqrt(1.0 - a * a)
    white[0] *= 0.3 / b
    assert np.array_equal(noise, lfilter([b], [1.0, -a], white, axis=0))


def test_smooth_window_ramps() -> None:
    w = smooth_window(20, 4)
    assert w[0] < 0.2 and w[-1] < 0.2 and np.all(w[4:16] == 1.0)
    assert np.all(smooth_window(3, 10) > 0)


@pytest.mark.parametrize("shape", ["rect", "circle"])
def test_arena_clamp_and_avoidance(shape: str) -> None:
    arena = Arena(shape, 40.0, 30.0)
    x, y = arena.clamp(-5.0, 50.0, margin=2.0)
    assert arena.wall_distance(x, y) >= 2.0 - 1e-9
    nx, ny, strength = arena.avoidance(1.0, 15.0, reach=7.0)
    assert strength > 0.5 and nx > 0.9
    assert arena.avoidance(20.0, 15.0, reach=3.0)[2] == 0.0
    wx, wy, wnx, wny = arena.nearest_wall(35.0, 15.0)
    assert arena.wall_distance(wx, wy) == pytest.approx(0.0, abs=1e-9) and wnx < 0
    with pytest.raises(ValueError):
        Arena("hexagon", 1.0, 1.0)


def _posture(n: int, **channels: float) -> Posture:
    values = {"x": 10.0, "y": 10.0, "th": 0.0, "length": 1.0, "height": 0.0, "bend": 0.0,
              "head": 0.0, "pitch": 0.0, "tail": 0.0} | channels
    return Posture(**{k: np.full((n, 1), v) for k, v in values.items()})


def test_body_model_places_every_catalog_part() -> None:
    names = {p for lab in load_catalog().values() for s in lab.body_part_sets for p in s}
    assert names <= set(LAYOUT) and len(LAYOUT) == 25
    parts = tuple(sorted(names))
    kp = render(_posture(1), parts, np.array([9.0]))[0, 0]
    pos = dict(zip(parts, kp, strict=True))
    assert np.linalg.norm(pos["nose"] - pos["tail_base"]) == pytest.approx(9.0)
    along = [pos[p][0] for p in ("nose", "neck", "body_center", "tail_base", "tail_tip")]
    assert along == sorted(along, reverse=True)
    assert pos["ear_left"][1] == pytest.approx(20.0 - pos["ear_right"][1])  # mirror images
    assert pos["hip_left"][1] != pos["hip_right"][1]


def test_posture_channels_move_the_keypoints() -> None:
    parts = ("nose", "neck", "tail_base", "tail_tip")
    lengths = np.array([9.0])

    def length_of(**kw: float) -> float:
        kp = render(_posture(1, **kw), parts, lengths)[0, 0]
        return float(np.linalg.norm(kp[0] - kp[2]))

    assert length_of(height=0.9) < 0.75 * length_of()
    assert length_of(bend=1.5) < length_of()
    assert length_of(pitch=0.5) < length_of()
    turned = render(_posture(1, head=0.5), parts, lengths)[0, 0]
    straight = render(_posture(1), parts, lengths)[0, 0]
    assert turned[0][1] != pytest.approx(straight[0][1]) and turned[2] == pytest.approx(straight[2])


def test_unknown_body_parts_get_a_stable_place() -> None:
    u, w, segment = part_position("left_forepaw")
    assert part_position("left_forepaw") == (u, w, segment)
    assert -0.5 < u < 0.5 and -0.2 < w < 0.2 and segment == "body"
    assert part_position("right_forepaw") != (u, w, segment)


def test_every_action_has_a_signature_with_known_controllers() -> None:
    families = {"nose_to", "over", "behind", "toward", "away", "face", "between", "spin", "side",
                "stay", "run", "wall", "corner", "object"}
    partners = {"free", "slow", "still", "walk", "flee", "approach", "pursue", "face", "erratic",
                "pushed", "spin"}
    assert len(SIGNATURES) == 37
    for sig in SIGNATURES.values():
        assert sig.family in families and sig.partner in partners
        assert sig.pre in {"rendezvous", "partner_approach", "contact", "slow", "none"}
        assert sig.then == "" or sig.then in SIGNATURES


def test_whitelists_respect_the_catalog_sizes() -> None:
    rng = np.random.default_rng(0)
    for lab in load_catalog().values():
        low, high = lab.whitelist_min_max
        for n_mice in lab.mice_per_video:
            possible = len(all_triples(lab, n_mice))
            sizes = [len(draw_whitelist(lab, n_mice, rng)) for _ in range(20)]
            assert min(sizes) >= min(low, possible) and max(sizes) <= min(high, possible)


def test_video_lengths_come_from_the_lab_durations() -> None:
    for lab in load_catalog().values():
        rng = np.random.default_rng(2)
        p10, _, p90 = lab.duration_sec
        for _ in range(5):
            setup = draw_setup(lab, 0, "train", 1, None, rng)
            seconds = setup.n_frames / setup.fps
            assert max(0.5 * p10, 10.0) - 1 <= seconds <= 1.2 * p90 + 1
            arena_px = setup.arena.width * setup.pix_per_cm
            assert arena_px <= setup.frame_size[0]


def test_tracker_noise() -> None:
    rng = np.random.default_rng(3)
    tracked = tracking_gaps(30_000, 2, 30.0, rng)
    assert 0.9 < tracked.mean() < 1.0 and not tracked.all()
    x = np.cumsum(rng.normal(size=(30_000, 3)), axis=0)
    shown = identity_swaps(x, x.copy(), 30.0, rng)
    assert (np.sort(shown, axis=1) == np.arange(3)).all(), "every frame shows each mouse once"
    assert (shown != np.arange(3)).any(), "a 16-minute video has identity swaps"
    noise = draw_noise(("nose", "tail_tip"), rng)
    keypoints = np.zeros((2000, 2, 2, 2))
    contact = np.zeros((2000, 2), dtype=bool)
    noisy, present = corrupt(keypoints, np.ones((2000, 2), dtype=bool), contact, noise, rng)
    assert 0.3 < noisy[..., 0, :].std() / noise.jitter_px < 2.0
    assert noisy[..., 1, :].std() > noisy[..., 0, :].std(), "the tail tip jitters more"
    assert 0.8 < present.mean() < 1.0
