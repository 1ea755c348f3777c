import math

import numpy as np
import pytest
import torch

from gancourse.data import toy


def test_ring_follows_the_pacgan_protocol():
    d = toy.ring()
    assert d.centers.shape == (8, 2) and d.std == 0.01
    for i, (cx, cy) in enumerate(d.centers.tolist()):
        assert cx == pytest.approx(math.cos(2 * math.pi * i / 8), abs=1e-6)
        assert cy == pytest.approx(math.sin(2 * math.pi * i / 8), abs=1e-6)
    # 8 distinct modes (np.linspace(0, 2 pi, 8) would repeat the first one)
    assert len({(round(x, 4), round(y, 4)) for x, y in d.centers.tolist()}) == 8


def test_grid_follows_the_pacgan_protocol():
    d = toy.grid()
    assert d.centers.shape == (25, 2) and d.std == 0.05
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in d.centers.tolist()} == expected


def test_samples_are_reproducible_with_a_generator():
    d = toy.ring()
    a = d.sample(100, generator=torch.Generator().manual_seed(5))
    b = d.sample(100, generator=torch.Generator().manual_seed(5))
    assert a.dtype == torch.float32 and a.shape == (100, 2)
    assert torch.equal(a, b)


def test_sample_statistics_match_the_mixture():
    d = toy.grid()
    x = d.sample(50_000, generator=torch.Generator().manual_seed(0))
    dist = torch.cdist(x, d.centers)
    nearest = dist.argmin(1)
    counts = torch.bincount(nearest, minlength=25).float() / len(x)
    assert (counts - 1 / 25).abs().max() < 0.006
    offsets = x - d.centers[nearest]
    assert offsets.std().item() == pytest.approx(0.05, rel=0.03)


def test_log_prob_matches_an_independent_formula():
    d = toy.Mixture1D([-2.0, 3.0], std=[0.5, 1.5], weights=[1, 3])
    x = np.linspace(-5, 7, 13)

    def pdf(x, m, s):
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))

    expected = np.log(0.25 * pdf(x, -2, 0.5) + 0.75 * pdf(x, 3, 1.5))
    assert np.allclose(d.log_prob(torch.tensor(x)).numpy(), expected, atol=1e-12)


def test_log_prob_integrates_to_one_in_2d():
    d = toy.ring(std=0.1)
    axis = torch.linspace(-2, 2, 401, dtype=torch.float64)
    xs, ys = torch.meshgrid(axis, axis, indexing="ij")
    pts = torch.stack([xs.flatten(), ys.flatten()], 1)
    mass = d.log_prob(pts).exp().sum() * (axis[1] - axis[0]) ** 2
    assert mass.item() == pytest.approx(1.0, abs=1e-6)


def test_log_prob_does_not_underflow_far_from_the_modes():
    d = toy.Mixture1D([0.0], std=0.01)
    assert torch.isfinite(d.log_prob(torch.tensor([10.0]))).all()


def test_shapes_without_density():
    for d in (toy.Spiral(), toy.TwoMoons()):
        x = d.sample(64, generator=torch.Generator().manual_seed(0))
        assert x.shape == (64, 2) and torch.isfinite(x).all()
        assert not d.has_density
        with pytest.raises(NotImplementedError):
            d.log_prob(x)
    assert toy.ring().has_density


def test_make_by_name():
    assert toy.make("grid").centers.shape == (25, 2)
    with pytest.raises(ValueError, match="unknown toy distribution 'rings'; choose from"):
        toy.make("rings")


@pytest.mark.parametrize("build, match", [
    (lambda: toy.ring(std=-0.1), "std must be a finite number > 0, got -0.1"),
    (lambda: toy.ring(n_modes=0), "n_modes must be an integer >= 1, got 0"),
    (lambda: toy.grid(n_per_side=0), "n_per_side"),
    (lambda: toy.Mixture1D([], std=1.0), "means must not be empty"),
    (lambda: toy.Mixture1D([0.0, 1.0], std=0.0), "std must be positive"),
    (lambda: toy.Mixture1D([0.0, 1.0], std=[1.0, 1.0, 1.0]), "one per mode"),
    (lambda: toy.Mixture1D([0.0, 1.0], weights=[1.0, -1.0]), "non-negative"),
    (lambda: toy.Spiral(noise=-1), "noise"),
])
def test_bad_arguments_raise_clear_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_bad_sample_count():
    with pytest.raises(ValueError, match="number of samples"):
        toy.ring().sample(0)
