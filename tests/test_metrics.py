import math

import numpy as np
import pytest
import torch

import gancourse as gc
from gancourse.metrics import blurred_histogram, js_kl_binned, mode_coverage, nearest_mode_fractions

SQUARE = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # 4 modes


def test_samples_on_every_centre_cover_all_modes_evenly():
    r = mode_coverage(SQUARE.repeat(5, 1), SQUARE, std=0.1)
    assert r["modes"] == 4 and r["n_modes"] == 4
    assert r["hq"] == 1.0 and r["counts"] == [5, 5, 5, 5]
    assert r["kl"] == pytest.approx(0.0, abs=1e-12)


def test_collapse_onto_one_mode_gives_kl_log_k():
    samples = SQUARE[2] + 0.01 * torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    r = mode_coverage(samples, SQUARE, std=0.1)  # all within 0.05 < 0.3 of mode 2
    assert r["modes"] == 1 and r["hq"] == 1.0 and r["counts"] == [0, 0, 100, 0]
    assert r["kl"] == pytest.approx(math.log(4))


def test_hand_counted_mixture_of_good_and_bad_samples():
    samples = torch.tensor([
        [1.0, 0.0], [1.02, 0.0], [0.99, 0.01],  # 3 HQ on mode 0
        [0.0, 1.0],                             # 1 HQ on mode 1
        [0.5, 0.5], [0.0, 0.0], [3.0, 3.0], [-0.5, 0.0],  # 4 far from every centre (> 0.3)
    ])
    r = mode_coverage(samples, SQUARE, std=0.1, threshold=3.0)
    assert r["modes"] == 2 and r["hq"] == 0.5 and r["counts"] == [3, 1, 0, 0]
    entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert r["kl"] == pytest.approx(math.log(4) - entropy)


def test_threshold_is_in_units_of_std():
    inside, outside = torch.tensor([[1.0 + 0.029, 0.0]]), torch.tensor([[1.0 + 0.031, 0.0]])
    assert mode_coverage(inside, SQUARE, std=0.01)["modes"] == 1
    assert mode_coverage(outside, SQUARE, std=0.01)["modes"] == 0
    assert mode_coverage(outside, SQUARE, std=0.01, threshold=3.2)["modes"] == 1


def test_no_high_quality_sample_gives_zero_modes_and_infinite_kl():
    r = mode_coverage(torch.full((10, 2), 5.0), SQUARE, std=0.1)
    assert r["modes"] == 0 and r["hq"] == 0.0 and r["kl"] == math.inf


def test_real_data_of_the_protocol_scores_perfectly():
    for data in (gc.data.ring(), gc.data.grid()):
        real = data.sample(2500, generator=torch.Generator().manual_seed(0))
        r = mode_coverage(real, data.centers, data.std)
        k = len(data.centers)
        assert r["modes"] == k
        assert r["hq"] > 0.98  # 3 std in 2-D holds 1 - exp(-4.5) = 98.9 % of a Gaussian
        assert r["kl"] < 0.02


def test_accepts_numpy_arrays():
    r = mode_coverage(SQUARE.numpy().astype(np.float32), SQUARE.numpy(), std=0.1)
    assert r["modes"] == 4


@pytest.mark.parametrize("samples, centers, std, threshold, match", [
    (torch.zeros(0, 2), SQUARE, 0.1, 3.0, "samples must not be empty"),
    (torch.zeros(5), SQUARE, 0.1, 3.0, "samples must be a 2-D array"),
    (torch.zeros(5, 2), torch.zeros(0, 2), 0.1, 3.0, "centers must not be empty"),
    (torch.zeros(5, 3), SQUARE, 0.1, 3.0, "dimension 3 but centers have dimension 2"),
    (torch.zeros(5, 2), SQUARE, 0.0, 3.0, "std must be a finite number > 0"),
    (torch.zeros(5, 2), SQUARE, 0.1, -1.0, "threshold must be a finite number > 0"),
    (torch.tensor([[float("nan"), 0.0]]), SQUARE, 0.1, 3.0, "NaN"),
])
def test_bad_input_raises(samples, centers, std, threshold, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, centers, std, threshold)


def test_nearest_mode_fractions_count_every_sample():
    samples = torch.tensor([[0.9, 0.1], [2.0, 0.0], [0.0, 0.4], [-5.0, 0.2]])  # nearest: 0, 0, 1, 2
    f = nearest_mode_fractions(samples, SQUARE)
    assert f.tolist() == [0.5, 0.25, 0.25, 0.0]
    with pytest.raises(ValueError, match="must match"):
        nearest_mode_fractions(torch.zeros(3, 3), SQUARE)
    with pytest.raises(ValueError, match="must not be empty"):
        nearest_mode_fractions(torch.zeros(0, 2), SQUARE)


# ------------------------------------------------------------------ binned JS and KL (the lab's curves)
def test_js_kl_of_identical_samples_is_zero():
    x = np.random.default_rng(0).normal(size=(500, 2))
    js, kl = js_kl_binned(x, x.copy(), -3, 3)
    assert abs(js) < 1e-9 and abs(kl) < 1e-9


def test_js_of_far_apart_clouds_is_log2():
    rng = np.random.default_rng(1)
    a = rng.normal(scale=0.05, size=(300, 2)) + [-2, 0]
    b = rng.normal(scale=0.05, size=(300, 2)) + [2, 0]
    js, kl = js_kl_binned(a, b, -3, 3)
    assert js == pytest.approx(math.log(2), abs=1e-6)
    assert kl > 10  # only the 1e-12 floor keeps it finite


def test_js_kl_match_a_hand_computation_in_1d():
    # 3 bins on [0, 3], blur so narrow that the kernel matrix is the identity (to 1e-12)
    real = np.array([[0.5], [0.5], [1.5], [2.5]])  # histogram 2, 1, 1 -> p = 1/2, 1/4, 1/4
    fake = np.array([[0.5], [1.5], [1.5], [1.5]])  # histogram 1, 3, 0 -> q = 1/4, 3/4, 0
    js, kl = js_kl_binned(real, fake, 0.0, 3.0, bins=3, sigma=0.05)
    p, q = np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.75, 0.0])
    m = (p + q) / 2

    def kl_np(a, b):
        return sum(ai * math.log(ai / bi) for ai, bi in zip(a, b) if ai > 0)

    assert js == pytest.approx(0.5 * kl_np(p, m) + 0.5 * kl_np(q, m), abs=1e-6)
    # KL(p || q) is infinite; the floor (1e-12) makes the third bin contribute 0.25 * log(0.25 / 1e-12)
    assert kl == pytest.approx(kl_np(p[:2], q[:2]) + 0.25 * math.log(0.25 / 1e-12), rel=1e-3)


def test_js_counts_samples_outside_the_window_at_its_edge():
    inside = np.zeros((100, 2))
    far = np.full((100, 2), 50.0)
    js_far, _ = js_kl_binned(inside, far, -1, 1)
    assert js_far > 0.6, "samples far outside the window must not vanish from the estimate"


@pytest.mark.parametrize("args, match", [
    ((np.zeros((5, 3)), np.zeros((5, 3)), -1, 1), "one dimension"),
    ((np.zeros((0, 2)), np.zeros((5, 2)), -1, 1), "at least one sample"),
    ((np.zeros((5, 2)), np.zeros((5, 2)), 1, -1), "lo < hi"),
])
def test_js_kl_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        js_kl_binned(*args)


def test_blurred_histogram_keeps_the_counts_away_from_the_edges():
    pts = np.zeros((10, 1))  # all in the middle of [-1, 1]: the blur spreads them but loses none
    h = blurred_histogram(pts, -1, 1, bins=16, sigma=0.1)
    assert h.shape == (16,) and h.argmax() in (7, 8)
    raw = blurred_histogram(pts, -1, 1, bins=16, sigma=1e-3)  # a blur far below one cell is no blur
    assert raw.sum() == pytest.approx(10.0)
    assert blurred_histogram(np.zeros((5, 2)), -1, 1, bins=8).shape == (8, 8)
