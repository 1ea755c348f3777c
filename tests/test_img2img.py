import numpy as np
import pytest
import torch

from gancourse import img2img


def test_l1_error_by_hand():
    fake = torch.zeros(2, 1, 2, 2)
    real = torch.tensor([1.0, -1.0, 0.0, 2.0]).view(1, 1, 2, 2).expand(2, 1, 2, 2)
    assert img2img.l1_error(fake, real).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="same shape"):
        img2img.l1_error(fake, torch.zeros(2, 1, 3, 3))


def test_hf_energy_matches_a_loop():
    x = torch.randn(2, 3, 6, 5, generator=torch.Generator().manual_seed(0))
    a = x.numpy()
    n, c, h, w = a.shape
    expected = np.zeros(n)
    for i in range(n):
        total = 0.0
        for k in range(c):
            for r in range(h):
                for q in range(w):
                    rows = [min(max(r + d, 0), h - 1) for d in (-1, 0, 1)]
                    cols = [min(max(q + d, 0), w - 1) for d in (-1, 0, 1)]
                    blur = np.mean([a[i, k, rr, cc] for rr in rows for cc in cols])
                    total += (a[i, k, r, q] - blur) ** 2
        expected[i] = total / (c * h * w)
    assert np.allclose(img2img.hf_energy(x).numpy(), expected, atol=1e-6)
    assert img2img.hf_energy(torch.full((1, 1, 4, 4), 0.3)).item() == pytest.approx(0.0, abs=1e-12)


def test_sharpness_ratio_of_a_blur_is_below_one():
    x = torch.randn(4, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    blurred = torch.nn.functional.avg_pool2d(x, 3, 1, 1)
    assert img2img.sharpness_ratio(x, x) == pytest.approx(1.0)
    assert img2img.sharpness_ratio(blurred, x) < 0.3


def test_patch_swd_one_pixel_patches_is_the_1d_wasserstein_distance():
    zeros, shifted = torch.zeros(4, 1, 8, 8), torch.full((4, 1, 8, 8), 0.3)
    assert img2img.patch_swd(zeros, shifted, patch=1) == pytest.approx(0.3, abs=1e-6)
    half = torch.zeros(4, 1, 8, 8)
    half[:, :, :, :4] = 1.0  # half the pixels 0, half 1; every pixel of y is 0.5: W1 = 0.5
    assert img2img.patch_swd(half, torch.full((4, 1, 8, 8), 0.5), patch=1) == pytest.approx(0.5, abs=1e-6)
    x = torch.randn(8, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    blurred = torch.nn.functional.avg_pool2d(x, 3, 1, 1)
    assert img2img.patch_swd(x, x.clone(), seed=2) < 0.05 < img2img.patch_swd(x, blurred)
    with pytest.raises(ValueError, match="patch"):
        img2img.patch_swd(x, x, patch=20)


def test_optimal_constant_predictors():
    samples = torch.tensor([0.0, 0.0, 1.0]).view(3, 1, 1, 1)
    median, mean = img2img.optimal_constant_predictors(samples)
    assert median.item() == 0.0 and mean.item() == pytest.approx(1 / 3)
    # by brute force: the median minimises the mean absolute error, the mean the mean squared error
    s = torch.randn(101, generator=torch.Generator().manual_seed(0)) ** 3
    grid = torch.linspace(-3, 3, 6001)
    best_l1 = grid[(s[None] - grid[:, None]).abs().mean(1).argmin()]
    best_l2 = grid[((s[None] - grid[:, None]) ** 2).mean(1).argmin()]
    median, mean = img2img.optimal_constant_predictors(s.view(101, 1, 1, 1))
    assert abs(median.item() - best_l1) < 2e-3 and abs(mean.item() - best_l2) < 2e-3


def test_domain_classifier_separates_two_domains():
    g = torch.Generator().manual_seed(0)
    A = torch.rand(64, 3, 16, 16, generator=g) * 0.5 - 0.8  # dark
    B = torch.rand(64, 3, 16, 16, generator=g) * 0.5 + 0.3  # bright
    clf = img2img.train_domain_classifier(A, B, steps=60, seed=0)
    assert (clf.prob_b(A) < 0.5).all() and (clf.prob_b(B) > 0.5).all()
    with pytest.raises(ValueError, match="steps"):
        img2img.train_domain_classifier(A, B, steps=0)
