import math

import numpy as np
import pytest
import torch

from gancourse import theory as th
from gancourse.data import toy

# V(G, D*) for p = N(0, 1), q = N(mu, 1), to six decimals (also in lesson 02); recomputed below by scipy's quadrature
REFERENCE = {0: -1.386294, 1: -1.163451, 2: -0.712633, 5: -0.034409, 10: -0.000002}


@pytest.mark.parametrize("mu, expected", REFERENCE.items())
def test_the_reference_table_is_what_independent_quadrature_gives(mu, expected):
    pytest.importorskip("scipy")
    from scipy.integrate import quad
    from scipy.stats import norm

    def integrand(t):  # p log D* + q log(1 - D*), in log space
        lp, lq = norm.logpdf(t), norm.logpdf(t, mu)
        lm = np.logaddexp(lp, lq)
        return np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm)

    value, _ = quad(integrand, -30, 40, points=[0, mu], limit=500, epsabs=1e-12)
    assert value == pytest.approx(expected, abs=5e-7)


@pytest.fixture(scope="module")
def x():
    return th.grid_1d(-20, 30, 20001)


@pytest.mark.parametrize("mu, expected", REFERENCE.items())
def test_value_at_optimum_matches_the_reference_table(x, mu, expected):
    lp, lq = th.gaussian_log_pdf(x), th.gaussian_log_pdf(x, mu)
    assert th.value_optimal(lp, lq, x) == pytest.approx(expected, abs=1e-6)
    assert -th.LOG4 + 2 * th.jsd(lp, lq, x) == pytest.approx(expected, abs=1e-6)


def test_kl_of_gaussians_matches_the_closed_form(x):
    # KL(N(0,1) || N(mu, s^2)) = log s + (1 + mu^2) / (2 s^2) - 1/2
    mu, s = 1.5, 2.0
    lp, lq = th.gaussian_log_pdf(x), th.gaussian_log_pdf(x, mu, s)
    assert th.kl(lp, lq, x) == pytest.approx(math.log(s) + (1 + mu**2) / (2 * s**2) - 0.5, abs=1e-8)


def test_jsd_is_symmetric_and_saturates_at_log2(x):
    lp, lq = th.gaussian_log_pdf(x), th.gaussian_log_pdf(x, 3.0)
    assert th.jsd(lp, lq, x) == pytest.approx(th.jsd(lq, lp, x), abs=1e-12)
    assert th.jsd(lp, th.gaussian_log_pdf(x, 25.0, 0.5), x) == pytest.approx(math.log(2), abs=1e-9)
    assert th.jsd(lp, lp, x) == pytest.approx(0.0, abs=1e-12)


def test_optimal_d_is_the_density_ratio(x):
    lp, lq = th.gaussian_log_pdf(x), th.gaussian_log_pdf(x, 1.0)
    d = th.optimal_d(lp, lq)
    p, q = lp.exp(), lq.exp()
    mask = (p + q) > 1e-3
    assert torch.allclose(d[mask], (p / (p + q))[mask], atol=1e-12)
    assert torch.allclose(th.optimal_d(lp, lp), torch.full_like(lp, 0.5))


def test_d_star_beats_any_other_discriminator(x):
    lp, lq = th.gaussian_log_pdf(x), th.gaussian_log_pdf(x, 1.0)
    best = th.value_optimal(lp, lq, x)
    for logit in (torch.zeros_like(x), 0.5 * th.optimal_d_logit(lp, lq), th.optimal_d_logit(lp, lq) + 0.3):
        assert th.value(logit, lp, lq, x) < best


def test_value_with_constant_half_is_minus_log4(x):
    lp, lq = th.gaussian_log_pdf(x), th.gaussian_log_pdf(x, 4.0)
    assert th.value(torch.zeros_like(x), lp, lq, x) == pytest.approx(-math.log(4), abs=1e-6)


def test_monte_carlo_estimate_agrees_with_the_grid(x):
    gen = torch.Generator().manual_seed(0)
    p, q = toy.Mixture1D([0.0]), toy.Mixture1D([1.0])
    logit = lambda t: 0.8 - 0.9 * t  # a fixed, non-optimal D
    exact = th.value(logit(x), p.log_prob(x), q.log_prob(x), x)
    real, fake = p.sample(200_000, gen)[:, 0], q.sample(200_000, gen)[:, 0]
    assert th.value_mc(logit(real), logit(fake)) == pytest.approx(exact, abs=0.01)


def test_2d_integration_with_cell_volume():
    pts, area = th.grid_2d(-6, 6, 241)
    p = toy.ring(std=0.3)
    q = toy.GaussianMixture([[0.0, 0.0]], std=0.5)
    lp, lq = p.log_prob(pts), q.log_prob(pts)
    assert th.integrate(lp.exp(), dx=area) == pytest.approx(1.0, abs=1e-4)
    assert 0 < th.jsd(lp, lq, dx=area) < math.log(2)


def test_d_logits_on_a_module():
    D = torch.nn.Linear(1, 1)
    with torch.no_grad():
        D.weight.fill_(2.0)
        D.bias.fill_(-1.0)
    assert torch.allclose(th.d_logits_on(D, torch.tensor([0.0, 1.0, 2.0])), torch.tensor([-1.0, 1.0, 3.0], dtype=torch.float64))


def test_bad_arguments():
    with pytest.raises(ValueError, match="lo < hi"):
        th.grid_1d(1, 0)
    with pytest.raises(ValueError, match="exactly one of x"):
        th.integrate(np.ones(3))
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        th.gaussian_log_pdf(0.0, sigma=0)


def test_wasserstein_of_a_shift_is_the_shift(x):
    # W_1 between a density and its translate by t is |t|: every unit of mass moves t
    lp = th.gaussian_log_pdf(x, 0.0, 0.5)
    for t in (0.3, 2.0, 7.0):
        assert th.wasserstein_1d(lp, th.gaussian_log_pdf(x, t, 0.5), x) == pytest.approx(t, rel=1e-4)
    assert th.wasserstein_1d(lp, lp, x) == pytest.approx(0.0, abs=1e-12)


def test_wasserstein_of_two_point_masses_split():
    # p uniform on [0, 1], q uniform on [2, 4]: F_p - F_q integrates to 0.5 (on [0,1]) + 1 (on [1,2]) + 1 (on [2,4])
    grid = th.grid_1d(-1, 5, 60001)
    lp = torch.where((grid >= 0) & (grid <= 1), 0.0, -math.inf).double()
    lq = torch.where((grid >= 2) & (grid <= 4), math.log(0.5), -math.inf).double()
    assert th.wasserstein_1d(lp, lq, grid) == pytest.approx(2.5, abs=1e-3)


def test_wasserstein_of_samples_by_hand():
    # sorted: (0, 1, 5) against (2, 2, 3): |0-2| + |1-2| + |5-3| = 5 over 3 samples
    assert th.wasserstein_1d_samples([5.0, 0.0, 1.0], [2.0, 3.0, 2.0]) == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="equal size"):
        th.wasserstein_1d_samples([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="1-D and of one shape"):
        th.wasserstein_1d(torch.zeros(3), torch.zeros(4), torch.zeros(3))
