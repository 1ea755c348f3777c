"""The R1 trainer (only D's loss changes) and the EMA callback (an AveragedModel of G, updated every step)."""
import pytest
import torch

import gancourse as gc
from gancourse import losses
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.trainers import EMA, GANTrainer, R1GANTrainer


def _players(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(z_dim=4, width=16), MLPDiscriminator(width=16)


def test_r1_trainer_adds_the_penalty_to_d_loss_and_nothing_else():
    real = gc.data.ring().sample(32, generator=torch.Generator().manual_seed(0))
    fake = torch.randn(32, 2)
    plain, r1 = GANTrainer(*_players(), device="cpu"), R1GANTrainer(*_players(), gamma=2.0, device="cpu")
    (loss_plain, _), (loss_r1, logs_r1) = plain.d_loss_terms(real, fake), r1.d_loss_terms(real, fake)
    expected = 2.0 / 2 * losses.r1_penalty(r1.D, real)
    assert torch.allclose(logs_r1["R1"], expected.detach())
    assert torch.allclose(loss_r1, loss_plain + expected, atol=1e-6)
    assert torch.allclose(logs_r1["loss_D"], loss_r1.detach())
    assert "R1" in r1.step(real)


def test_r1_with_gamma_zero_trains_exactly_like_the_plain_gan():
    ring = gc.data.ring()
    plain, r1 = GANTrainer(*_players(), device="cpu", seed=3), R1GANTrainer(*_players(), gamma=0.0, device="cpu", seed=3)
    plain.fit(ring, steps=5, batch_size=16, progress=False)
    r1.fit(ring, steps=5, batch_size=16, progress=False)
    for a, b in zip(plain.G.parameters(), r1.G.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_r1_trainer_refuses_negative_gamma():
    with pytest.raises(ValueError, match="gamma"):
        R1GANTrainer(*_players(), gamma=-1.0, device="cpu")


def test_ema_is_the_exponential_average_of_g_after_each_step():
    decay = 0.5
    trainer = GANTrainer(*_players(), device="cpu", seed=1)
    ema = EMA(decay=decay)
    weights = []
    trainer.fit(gc.data.ring(), steps=4, batch_size=16, progress=False,
                callbacks=[ema, lambda tr, logs: weights.append(tr.G.net[0].weight.detach().clone())])
    # w_ema = w_1, then w_ema <- decay w_ema + (1 - decay) w_t
    expected = weights[0]
    for w in weights[1:]:
        expected = decay * expected + (1 - decay) * w
    assert torch.allclose(ema.model.module.net[0].weight, expected, atol=1e-6)
    assert not torch.allclose(ema.model.module.net[0].weight, trainer.G.net[0].weight)


def test_ema_start_and_sample():
    trainer = GANTrainer(*_players(), device="cpu", seed=1)
    ema = EMA(decay=0.9, start=3)
    trainer.fit(gc.data.ring(), steps=3, batch_size=16, progress=False, callbacks=[ema])
    assert ema.model is None
    with pytest.raises(ValueError, match="fit the trainer"):
        ema.sample(trainer, 5)
    trainer.fit(gc.data.ring(), steps=1, batch_size=16, progress=False, callbacks=[ema])
    z = torch.randn(5, 4)
    assert torch.allclose(ema.sample(trainer, 5, z=z), trainer.sample(5, z=z))  # one step in: a copy of G
    assert ema.sample(trainer, 7).shape == (7, 2)


def test_ema_needs_one_report_per_step_and_a_valid_decay():
    with pytest.raises(ValueError, match="decay"):
        EMA(decay=1.0)
    trainer = GANTrainer(*_players(), device="cpu", sync_every=2)
    with pytest.raises(ValueError, match="sync_every=1"):
        trainer.fit(gc.data.ring(), steps=2, batch_size=16, progress=False, callbacks=[EMA()])


@pytest.mark.parametrize("start", [0, 2, 5])
def test_ema_weights_give_the_average_as_a_weighted_sum_of_the_iterates(start):
    trainer = GANTrainer(*_players(), device="cpu", seed=2)
    ema = EMA(decay=0.7, start=start)
    iterates = []
    trainer.fit(gc.data.ring(), steps=6, batch_size=16, progress=False,
                callbacks=[ema, lambda tr, logs: iterates.append(tr.G.net[0].weight.detach().double().clone())])
    w = ema.weights(6)
    assert w.shape == (6,) and w.dtype == torch.float64
    assert bool((w[:start] == 0).all()) and abs(float(w.sum()) - 1) < 1e-12
    expected = (w[:, None, None] * torch.stack(iterates)).sum(0)
    assert torch.allclose(ema.model.module.net[0].weight.double(), expected, atol=1e-6)
    assert float(EMA(decay=0.7, start=6).weights(6).sum()) == 0  # nothing averaged yet
