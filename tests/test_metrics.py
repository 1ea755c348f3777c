import math

import numpy as np
import pytest
import torch

import gancourse as gc
from gancourse.metrics import mode_coverage, nearest_mode_fractions

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
    (torch.zeros(5, 2), SQUARE, 0.0, 3.0, "std must be a positive"),
    (torch.zeros(5, 2), SQUARE, 0.1, -1.0, "threshold must be a positive"),
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
