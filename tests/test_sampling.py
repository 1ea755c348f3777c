"""DRS and the MH-GAN with the exact log density ratio, where the answer is known in closed form."""
import math

import pytest
import torch

from gancourse.sampling import acceptance_probability, metropolis_hastings, refine_discriminator, rejection_sample

# p_data = N(0, 1), p_g = N(0, 2^2): log p_data/p_g = log 2 - x^2/2 + x^2/8 = log 2 - 3 x^2 / 8, max log 2 at 0
EXACT_LOGIT = lambda x: math.log(2) - 3 * x.squeeze(-1) ** 2 / 8  # noqa: E731


def _g(seed):
    gen = torch.Generator().manual_seed(seed)
    return lambda m: 2 * torch.randn(m, 1, generator=gen)


def test_acceptance_probability_by_hand_and_without_overflow():
    p = acceptance_probability(torch.tensor([0.0, -1.0, 2.0, 1000.0]), log_m=2.0)
    assert p.tolist() == pytest.approx([math.exp(-2), math.exp(-3), 1.0, 1.0])


def test_rejection_with_the_exact_ratio_samples_p_data_at_cost_m():
    n = 20_000
    x, stats = rejection_sample(_g(0), EXACT_LOGIT, n, batch_size=5_000, burn_in=5_000,
                                generator=torch.Generator().manual_seed(1))
    assert x.shape == (n, 1) and stats.kept == n
    # N(0, 1): mean 0 +- 1/sqrt(n), variance 1 +- sqrt(2/n); 5 standard errors
    assert abs(x.mean().item()) < 5 / math.sqrt(n)
    assert abs(x.var().item() - 1) < 5 * math.sqrt(2 / n)
    # M = 2 draws per kept sample on average (plus the burn-in and the last round's surplus)
    rounds_drawn = stats.drawn - 5_000
    assert 2 * n * 0.97 < rounds_drawn < 2 * n * 1.03 + 5_000
    assert math.log(2) - 1e-3 < stats.log_m <= math.log(2) + 1e-6  # float32 logits


def test_rejection_gives_up_when_d_rejects_everything():
    calls = []

    def logit(x):  # the burn-in sees one huge logit, every later sample is far below it
        calls.append(len(x))
        out = torch.full((len(x),), -100.0)
        if len(calls) == 1:
            out[0] = 100.0
        return out

    with pytest.raises(RuntimeError, match="rejects"):
        rejection_sample(_g(0), logit, 10, batch_size=100, burn_in=100, max_draws=1_000)
    assert sum(calls) == 1_000


def test_metropolis_hastings_moves_towards_p_data():
    n = 20_000
    x, stats = metropolis_hastings(_g(2), EXACT_LOGIT, n, chain_length=30, generator=torch.Generator().manual_seed(3))
    assert stats.drawn == n * 31 and 0 < stats.move_rate < 1
    # the chains start at p_g (variance 4) and mix towards p_data (variance 1); the acceptance of the independence
    # sampler is at least 1 / M = 1/2, so after 30 proposals the start is forgotten up to 2^-30
    assert abs(x.var().item() - 1) < 5 * math.sqrt(2 / n)


def test_refine_discriminator_learns_the_log_ratio():
    torch.manual_seed(0)
    D = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1), torch.nn.Flatten(0))
    real = lambda m, gen=torch.Generator().manual_seed(4): torch.randn(m, 1, generator=gen)  # noqa: E731
    refine_discriminator(D, real, _g(5), steps=1500, batch_size=512, lr=3e-3)
    x = torch.linspace(-2, 2, 41)[:, None]
    with torch.no_grad():
        err = (D(x) - EXACT_LOGIT(x)).abs().max().item()
    assert err < 0.3, err  # the log-ratio spans log 2 - 1.5 .. log 2 on [-2, 2]


def test_rejection_with_a_quantile_bound_keeps_everything_above_it():
    """log M at the median of the burn-in's logits, fixed: a sample is kept with probability min(1, exp(l - log M)),
    so the kept samples follow p_g(x) min(1, exp(l(x) - log M)), normalised, which is computed here on a grid."""
    n, burn_in, q = 20_000, 5_000, 0.5
    x, stats = rejection_sample(_g(6), EXACT_LOGIT, n, batch_size=5_000, burn_in=burn_in, log_m_quantile=q,
                                generator=torch.Generator().manual_seed(7))
    burn = EXACT_LOGIT(_g(6)(burn_in))  # the same generator's first draw is the burn-in
    assert stats.log_m == pytest.approx(float(burn.kthvalue(math.ceil(q * burn_in)).values), abs=1e-6)
    assert stats.log_m < math.log(2) - 0.1  # well below the largest ratio: a real quantile, not the max
    grid = torch.linspace(-12, 12, 24_001, dtype=torch.float64)
    target = torch.exp(-grid ** 2 / 8) * (EXACT_LOGIT(grid[:, None]) - stats.log_m).clamp(max=0).exp()
    target = target / target.sum()
    var = float((target * grid ** 2).sum())
    fourth = float((target * grid ** 4).sum())
    assert abs(x.var().item() - var) < 5 * math.sqrt((fourth - var ** 2) / n), (x.var().item(), var)
    assert abs(x.var().item() - 1) > 0.1  # and not p_data's variance (1): the quantile changes what is sampled


@pytest.mark.parametrize("q", [0, -0.5, 1.5, float("nan"), True, "0.9"])
def test_rejection_refuses_a_bad_quantile(q):
    with pytest.raises(ValueError, match="log_m_quantile"):
        rejection_sample(_g(0), EXACT_LOGIT, 10, burn_in=100, log_m_quantile=q)
