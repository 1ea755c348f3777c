import math

import pytest
import torch

from gancourse import losses


def sig(x):
    return 1 / (1 + math.exp(-x))


LOGITS = [-3.0, -0.5, 0.0, 2.0]


def test_minimax_d_loss_by_hand():
    d_real, d_fake = torch.tensor(LOGITS), torch.tensor([1.0, -1.0, 0.5, 4.0])
    expected = -sum(math.log(sig(l)) for l in LOGITS) / 4 - sum(math.log(1 - sig(l)) for l in [1.0, -1.0, 0.5, 4.0]) / 4
    assert losses.minimax_d_loss(d_real, d_fake).item() == pytest.approx(expected, rel=1e-6)


def test_minimax_g_loss_by_hand():
    expected = sum(math.log(1 - sig(l)) for l in LOGITS) / 4
    assert losses.minimax_g_loss(torch.tensor(LOGITS)).item() == pytest.approx(expected, rel=1e-6)


def test_nonsaturating_g_loss_by_hand():
    expected = -sum(math.log(sig(l)) for l in LOGITS) / 4
    assert losses.nonsaturating_g_loss(torch.tensor(LOGITS)).item() == pytest.approx(expected, rel=1e-6)


def test_saturation_gradients_match_the_formulas():
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l);  d/dl -log sigmoid(l) = sigmoid(l) - 1
    logit = torch.tensor([-8.0], requires_grad=True)
    losses.minimax_g_loss(logit).backward()
    assert logit.grad.item() == pytest.approx(-sig(-8.0), rel=1e-5)
    logit.grad = None
    losses.nonsaturating_g_loss(logit).backward()
    assert logit.grad.item() == pytest.approx(sig(-8.0) - 1, rel=1e-5)


def test_losses_are_stable_for_extreme_logits():
    big = torch.tensor([-200.0, 200.0])
    for value in (losses.minimax_d_loss(big, big), losses.minimax_g_loss(big), losses.nonsaturating_g_loss(big)):
        assert torch.isfinite(value)


def test_wgan_losses():
    d_real, d_fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert losses.wgan_d_loss(d_real, d_fake).item() == pytest.approx(-0.5 - 2.0)
    assert losses.wgan_g_loss(d_fake).item() == pytest.approx(0.5)


def test_lsgan_losses():
    d_real, d_fake = torch.tensor([1.0, 0.0]), torch.tensor([0.5, -1.0])
    assert losses.lsgan_d_loss(d_real, d_fake).item() == pytest.approx(0.5 * 0.5 + 0.5 * (0.25 + 1) / 2)
    assert losses.lsgan_g_loss(d_fake).item() == pytest.approx(0.5 * (0.25 + 4) / 2)


def test_gradient_penalty_of_a_linear_critic():
    # f(x) = w.x has gradient w everywhere: penalty = (||w|| - 1)^2 whatever the interpolates
    D = torch.nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[3.0, 0.0, 4.0]]))
    real, fake = torch.randn(16, 3), torch.randn(16, 3)
    gp = losses.gradient_penalty(D, real, fake, generator=torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx((5.0 - 1.0) ** 2, rel=1e-6)
    gp.backward()  # differentiable with respect to D's weights: d/dw (||w||-1)^2 = 2(||w||-1) w/||w||
    assert torch.allclose(D.weight.grad, 2 * 4 * torch.tensor([[3.0, 0.0, 4.0]]) / 5, atol=1e-5)


def test_gradient_penalty_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(torch.nn.Linear(2, 1), torch.zeros(4, 2), torch.zeros(3, 2))


def test_registries():
    assert losses.get_g_loss("minimax") is losses.minimax_g_loss
    assert losses.get_g_loss("nonsaturating") is losses.nonsaturating_g_loss
    assert losses.get_d_loss("wasserstein") is losses.wgan_d_loss
    with pytest.raises(ValueError, match="unknown generator loss 'non-saturating'; choose from"):
        losses.get_g_loss("non-saturating")
    with pytest.raises(ValueError, match="unknown discriminator loss"):
        losses.get_d_loss("hinge")
    assert losses.get_recon_loss("l2") is losses.l2_loss
    with pytest.raises(ValueError, match="unknown reconstruction loss 'l3'; choose from l1, l2"):
        losses.get_recon_loss("l3")


def test_cyclegan_reference_g_loss_is_twice_the_lsgan_one_exactly():
    d_fake = torch.tensor([0.5, -1.0, 3.0])
    assert losses.lsgan_g_loss_ref(d_fake).item() == pytest.approx((0.25 + 4 + 4) / 3)
    torch.manual_seed(0)
    d = torch.randn(1000) * 3
    assert torch.equal(losses.lsgan_g_loss_ref(d), 2 * losses.lsgan_g_loss(d))  # bit for bit: scaling by 2 is exact
    assert losses.get_g_loss("lsgan_ref") is losses.lsgan_g_loss_ref


def test_reconstruction_losses_by_hand():
    fake, target = torch.tensor([[0.0, 1.0], [2.0, -1.0]]), torch.zeros(2, 2)
    assert losses.l1_loss(fake, target).item() == pytest.approx((0 + 1 + 2 + 1) / 4)
    assert losses.l2_loss(fake, target).item() == pytest.approx((0 + 1 + 4 + 1) / 4)


def test_info_loss_is_cross_entropy_plus_half_the_squared_error():
    logits, target = torch.tensor([[2.0, 0.0, 0.0]]), torch.tensor([0])
    ce = -torch.log_softmax(logits, 1)[0, 0].item()
    pred, code = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 2.0]])
    assert losses.info_loss(logits, target, pred, code).item() == pytest.approx(ce + 0.5 * (1 + 4))
    assert losses.info_loss(logits, target, pred, code, cont_weight=0.0).item() == pytest.approx(ce)


def test_r1_penalty_of_a_linear_critic():
    # D(x) = w.x + b: grad_x D = w everywhere, so the penalty is ||w||^2, and it trains w: d/dw ||w||^2 = 2 w
    D = torch.nn.Linear(2, 1)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[3.0, 4.0]]))
    r1 = losses.r1_penalty(D, torch.randn(8, 2))
    assert r1.item() == pytest.approx(25.0)
    r1.backward()
    assert torch.allclose(D.weight.grad, torch.tensor([[6.0, 8.0]]))
