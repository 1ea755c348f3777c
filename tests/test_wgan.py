import pytest
import torch

from gancourse import losses
from gancourse.data import toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.trainers.wgan import WGANGPTrainer, WGANTrainer


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


class LinearCritic(torch.nn.Module):
    """f(x) = w.x + b: its gradient is w everywhere, so every Lipschitz quantity is known by hand."""

    def __init__(self, w, b=0.5):
        super().__init__()
        self.lin = torch.nn.Linear(len(w), 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([w]))
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x).squeeze(-1)


def test_gp_critic_loss_by_hand():
    w = [3.0, 4.0]  # ||w|| = 5
    t = WGANGPTrainer(MLPGenerator(z_dim=2, width=8), LinearCritic(w), lam=2.0, device="cpu")
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    loss, terms = t.d_loss_terms(real, fake)
    wt = torch.tensor(w)
    expected_w = (real @ wt).mean() - (fake @ wt).mean()  # the bias cancels
    assert terms["W"].item() == pytest.approx(expected_w.item(), rel=1e-5)
    assert terms["GP"].item() == pytest.approx(16.0, rel=1e-5)  # (5 - 1)^2
    assert terms["loss_D"].item() == pytest.approx(-expected_w.item() + 2.0 * 16.0, rel=1e-5)
    assert loss.item() == terms["loss_D"].item() and loss.requires_grad  # what the critic minimises, and logs
    t0 = WGANGPTrainer(MLPGenerator(z_dim=2, width=8), LinearCritic(w), lam=0.0, device="cpu")
    assert t0.d_loss_terms(real, fake)[0].item() == pytest.approx(-expected_w.item(), rel=1e-5)


def test_clipping_keeps_every_critic_weight_in_the_box():
    torch.manual_seed(0)
    t = WGANTrainer(MLPGenerator(z_dim=2, width=16), MLPDiscriminator(width=16), clip=0.05, n_critic=3,
                    lr_d=0.01, device="cpu")
    assert all(p.abs().max() <= 0.05 for p in t.D.parameters())  # clipped from the start
    t.fit(toy.ring(), steps=4, batch_size=32, progress=False)
    assert all(p.abs().max() <= 0.05 for p in t.D.parameters())
    assert max(p.abs().max().item() for p in t.D.parameters()) == pytest.approx(0.05)  # lr 0.01 does hit the box
    assert isinstance(t.opt_D, torch.optim.RMSprop) and isinstance(t.opt_G, torch.optim.RMSprop)
    assert int(t.opt_D.state[next(iter(t.D.parameters()))]["step"]) == 12  # n_critic per G step
    assert int(t.opt_G.state[next(iter(t.G.parameters()))]["step"]) == 4


def test_losses_are_the_wasserstein_ones():
    t = WGANGPTrainer(MLPGenerator(), MLPDiscriminator(), device="cpu")
    assert t.g_loss is losses.wgan_g_loss and t.d_loss is losses.wgan_d_loss and t.k == 5
    assert t.opt_D.param_groups[0]["betas"] == (0.5, 0.9)


@pytest.mark.parametrize("seed", [0, 1])
def test_wgan_gp_moves_g_onto_a_shifted_gaussian(seed):
    torch.manual_seed(seed)
    data = toy.Mixture1D([3.0], std=0.5)
    t = WGANGPTrainer(MLPGenerator(z_dim=1, out_dim=1, width=32), MLPDiscriminator(in_dim=1, width=32),
                      lam=0.1, lr_d=1e-3, lr_g=1e-3, device="cpu", seed=seed)  # the reference toy lambda
    start = t.sample(2000).mean().item()
    t.fit(data, steps=300, batch_size=128, progress=False)
    x = t.sample(2000)
    assert abs(start) < 1.0  # G starts near 0, 3 away from the data
    assert abs(x.mean().item() - 3.0) < 0.35, x.mean().item()


@pytest.mark.parametrize("cls, kwargs, match", [
    (WGANGPTrainer, {"n_critic": 0}, "n_critic"),
    (WGANTrainer, {"n_critic": 2.5}, "n_critic"),
    (WGANTrainer, {"clip": -0.01}, "clip must be a finite number > 0, got -0.01"),
    (WGANGPTrainer, {"lam": -1.0}, "lam \\(the penalty weight\\)"),
    (WGANGPTrainer, {"g_loss": "nonsaturating"}, "fixed by the Wasserstein GAN"),
    (WGANTrainer, {"k": 3}, "use n_critic"),
])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(MLPGenerator(), MLPDiscriminator(), device="cpu", **kwargs)
