import math

import pytest
import torch
import torch.nn.functional as F

from gancourse import checks
from gancourse.models.conditional import ConditionalGenerator, InfoDiscriminator, InfoGenerator, ProjectionDiscriminator
from gancourse.trainers.conditional import ConditionalGANTrainer
from gancourse.trainers.infogan import InfoGANTrainer, info_loss


def test_conditional_generator_shapes_and_uses_the_label():
    torch.manual_seed(0)
    G = ConditionalGenerator(16, nz=8, n_classes=10, ngf=8).eval()
    z = torch.randn(4, 8)
    a, b = G(z, torch.tensor([0, 1, 2, 3])), G(z, torch.tensor([5, 1, 2, 3]))
    assert a.shape == (4, 1, 16, 16) and a.abs().max() <= 1
    assert not torch.allclose(a[0], b[0]) and torch.allclose(a[1:], b[1:])
    with pytest.raises(ValueError, match="integer class indices"):
        G(z, torch.zeros(4))
    with pytest.raises(ValueError, match="labels must be"):
        G(z, torch.zeros(3, dtype=torch.long))


def test_projection_discriminator_is_base_logit_plus_inner_product():
    torch.manual_seed(1)
    D = ProjectionDiscriminator(16, n_classes=3, ndf=4).eval()
    x = torch.randn(2, 1, 16, 16)
    h = D.features(x).flatten(1)  # (2, 8 * 16)
    base = D.psi(D.features(x)).flatten()
    y = torch.tensor([0, 2])
    expected = base + torch.stack([h[i] @ D.embed.weight[y[i]] for i in range(2)])
    torch.testing.assert_close(D(x, y), expected)
    with torch.no_grad():
        D.embed.weight.zero_()
    torch.testing.assert_close(D(x, y), base)  # no class vectors: an unconditional DCGAN D


def test_info_generator_assembles_noise_one_hot_and_continuous_code():
    G = InfoGenerator(16, noise_dim=3, n_cat=4, n_cont=2, ngf=4)
    z = torch.arange(6.0).reshape(2, 3)
    v = G.assemble(z, torch.tensor([2, 0]), torch.tensor([[0.5, -0.5], [1.0, 0.0]]))
    assert v.tolist() == [[0, 1, 2, 0, 0, 1, 0, 0.5, -0.5], [3, 4, 5, 1, 0, 0, 0, 1.0, 0.0]]
    assert G.z_dim == 9 and G(v).shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match="c_cont"):
        G.assemble(z, torch.tensor([2, 0]), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="n_cont"):
        InfoGenerator(n_cont=-1)


def test_info_discriminator_heads():
    D = InfoDiscriminator(16, n_cat=5, n_cont=3, ndf=4).eval()
    x = torch.randn(2, 1, 16, 16)
    logit, cat, cont = D.heads(x)
    assert logit.shape == (2,) and cat.shape == (2, 5) and cont.shape == (2, 3)
    torch.testing.assert_close(D(x), logit)


def test_info_loss_by_hand_and_with_the_checker():
    logits, target = torch.tensor([[1.0, 0.0]]), torch.tensor([1])
    pred, code = torch.tensor([[0.5, 0.0]]), torch.tensor([[-0.5, 2.0]])
    ce = -(0.0 - math.log(math.exp(1.0) + 1.0))
    assert info_loss(logits, target, pred, code).item() == pytest.approx(ce + 0.5 * (1.0 + 4.0))
    assert info_loss(logits, target, pred, code, cont_weight=0.2).item() == pytest.approx(ce + 0.1 * 5.0)
    assert info_loss(logits, target, pred[:, :0], code[:, :0]).item() == pytest.approx(ce)
    checks.check_info_loss(info_loss)


def _digits(n=32):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 16, 16, generator=g) * 2 - 1, torch.randint(10, (n,), generator=g)


def test_conditional_trainer_steps_and_samples_requested_classes():
    torch.manual_seed(2)
    G, D = ConditionalGenerator(16, nz=8, ngf=8), ProjectionDiscriminator(16, ndf=8)
    tr = ConditionalGANTrainer(G, D, device="cpu", seed=0)
    before = [p.detach().clone() for p in D.parameters()]
    x, y = _digits()
    logs = tr.step((x[:8], y[:8]))
    assert {"loss_D", "loss_G", "D_real", "D_fake", "grad_G"} <= set(logs)
    assert all(isinstance(v, float) for k, v in logs.items() if k != "step")
    assert any(not torch.equal(a, b) for a, b in zip(before, D.parameters()))
    tr.fit((x, y), steps=2, batch_size=8, progress=False)
    assert tr.global_step == 3
    assert tr.sample(5, 3).shape == (5, 1, 16, 16)
    with pytest.raises(ValueError, match="label must be"):
        tr.sample(5, 10)
    with pytest.raises(ValueError, match="images, labels"):
        tr.step(x[:8])
    with pytest.raises(ValueError, match="n_classes"):
        ConditionalGANTrainer(G, D, device="cpu", n_classes=1)


def test_conditional_trainer_is_deterministic_under_a_seed():
    x, y = _digits()
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        tr = ConditionalGANTrainer(ConditionalGenerator(16, nz=8, ngf=8), ProjectionDiscriminator(16, ndf=8),
                                   device="cpu", seed=5)
        tr.fit((x, y), steps=3, batch_size=8, progress=False)
        runs.append(tr.history["loss_G"])
    assert runs[0] == runs[1]


def test_infogan_trainer_trains_q_in_the_d_step_and_g_on_the_info_term():
    torch.manual_seed(4)
    G, D = InfoGenerator(16, noise_dim=4, n_cat=10, n_cont=2, ngf=8), InfoDiscriminator(16, ndf=8)
    tr = InfoGANTrainer(G, D, device="cpu", seed=0, lambda_info=1.0)
    q_before = [p.detach().clone() for p in D.q.parameters()]
    x, y = _digits()
    logs = tr.step((x[:8], y[:8]))  # labels are ignored
    assert {"loss_D", "loss_info", "loss_G", "loss_info_G"} <= set(logs)
    assert all(not torch.equal(a, b) for a, b in zip(q_before, D.q.parameters()))
    assert tr.sample_z(3).shape == (3, G.z_dim)
    assert tr.sample_codes_grid(torch.arange(10)).shape == (10, 1, 16, 16)
    tr.fit(x, steps=2, batch_size=8, progress=False)
    with pytest.raises(ValueError, match="noise_dim"):
        InfoGANTrainer(ConditionalGenerator(16, nz=8, ngf=8), D, device="cpu", z_dim=18)
    with pytest.raises(ValueError, match="lambda_info"):
        InfoGANTrainer(G, D, device="cpu", lambda_info=-1)
