"""The Dirac-GAN: autodiff Jacobians against the closed forms, and the discrete dynamics worked out by hand."""
import math

import pytest
import torch

from gancourse.dynamics import DiracGAN, closed_form_eigenvalues, closed_form_jacobian


@pytest.mark.parametrize("kw", [{}, {"gamma": 0.3}, {"gamma": 2.0}, {"noise": 0.7}, {"f": "wgan"},
                                {"f": "wgan", "gamma": 1.5}, {"gamma": 0.2, "noise": 0.5}])
def test_jacobian_and_eigenvalues_match_the_closed_form(kw):
    game = DiracGAN(**kw)
    assert torch.allclose(game.jacobian(), closed_form_jacobian(**kw), atol=1e-10)
    ours = sorted(game.eigenvalues().tolist(), key=lambda z: (-z.imag, -z.real))
    assert torch.allclose(torch.tensor(ours, dtype=torch.complex128), closed_form_eigenvalues(**kw), atol=1e-8)


def test_field_by_hand():
    # standard GAN: v = (-psi f'(psi theta), theta f'(psi theta)), f'(t) = sigmoid(-t)
    theta, psi = 0.8, -1.3
    s = 1 / (1 + math.exp(psi * theta))
    v = DiracGAN().field(torch.tensor([theta, psi]))
    assert v.tolist() == pytest.approx([-psi * s, theta * s])
    # R1 subtracts gamma psi from D's component; vmap over a batch of points
    both = DiracGAN(gamma=0.5).field(torch.tensor([[theta, psi], [0.0, 0.0]]))
    assert both[0].tolist() == pytest.approx([-psi * s, theta * s - 0.5 * psi])
    assert both[1].tolist() == [0.0, 0.0]


def test_simultaneous_steps_grow_the_radius_exactly_and_alternating_steps_preserve_volume():
    game, lr = DiracGAN(), 0.1
    traj = game.trajectory([1.0, 1.0], lr=lr, steps=50)
    r2 = (traj**2).sum(1)
    # v is orthogonal to (theta, psi) with |v| = f'(psi theta) r, so r^2 <- r^2 (1 + lr^2 f'(psi theta)^2)
    fp = torch.sigmoid(-traj[:-1, 0] * traj[:-1, 1])
    assert torch.allclose(r2[1:], r2[:-1] * (1 + lr**2 * fp**2), rtol=1e-12)
    assert game.spectral_radius(lr, "simultaneous") == pytest.approx(math.sqrt(1 + (lr * 0.5) ** 2))
    m = game.update_matrix(lr, "alternating")
    assert torch.linalg.det(m).item() == pytest.approx(1.0)
    assert game.spectral_radius(lr, "alternating") == pytest.approx(1.0)


def test_r1_and_instance_noise_make_the_steps_contract():
    for game in (DiracGAN(gamma=0.3), DiracGAN(noise=0.7)):
        for mode in ("simultaneous", "alternating"):
            assert game.spectral_radius(0.1, mode) < 1
        assert game.trajectory([1.0, 1.0], 0.1, 3000)[-1].norm() < 1e-6


def test_wgan_gp_penalty_leaves_g_away_from_the_data():
    # on the smooth side psi > 0 the point (-2 lambda / f'(0), 0) is a stable node of the GP dynamics
    for f, fp0 in (("gan", 0.5), ("wgan", 1.0)):
        end = DiracGAN(f=f, gp=1.0).trajectory([1.0, 1.0], 0.1, 3000, "alternating")[-1]
        assert end[0].item() == pytest.approx(-2.0 / fp0, abs=1e-3) and abs(end[1].item()) < 1e-3


def test_bad_arguments():
    with pytest.raises(ValueError, match="gamma"):
        DiracGAN(gamma=-1)
    with pytest.raises(ValueError, match="f must be"):
        DiracGAN(f="lsgan")
    with pytest.raises(ValueError, match="mode"):
        DiracGAN().trajectory([1, 1], 0.1, 3, mode="both")


def test_the_autograd_field_and_the_torch_func_field_agree():
    pts = torch.randn(20, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for game in (DiracGAN(gamma=0.4, noise=0.3), DiracGAN(f="wgan", gp=0.5)):
        batch = game.field(pts)
        one_by_one = torch.stack([game._field_func(p) for p in pts])
        assert torch.allclose(batch, one_by_one, atol=1e-12)
