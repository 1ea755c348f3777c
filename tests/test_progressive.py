"""Progressive growing: the fade-in is exact at its ends, the schedule is the documented one, the trainer follows it."""
import pytest
import torch
import torch.nn.functional as F

import gancourse as gc
from gancourse.models.progressive import (GrowthSchedule, ProgressiveDiscriminator, ProgressiveGenerator, downsample,
                                          fade_in_reals)
from gancourse.validation import ArgumentError

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def models():
    torch.manual_seed(0)
    return ProgressiveGenerator(z_dim=8, channels=6, max_size=16), ProgressiveDiscriminator(channels=6, max_size=16)


def test_shapes_at_every_stage(models):
    G, D = models
    z = torch.randn(5, 8)
    for size in (4, 8, 16):
        for alpha in (0.0, 0.5, 1.0):
            if size == 4 and alpha < 1:
                continue
            G.set_stage(size, alpha)
            D.set_stage(size, alpha)
            x = G(z)
            assert x.shape == (5, 1, size, size)
            assert D(x).shape == (5,)


@pytest.mark.parametrize("size", [8, 16])
def test_at_alpha_0_the_grown_generator_is_the_smaller_one_upsampled_exactly(models, size):
    G, _ = models
    z = torch.randn(7, 8)
    smaller = G(z, size=size // 2, alpha=1.0)
    assert torch.equal(G(z, size=size, alpha=0.0), F.interpolate(smaller, scale_factor=2, mode="nearest"))


def test_at_alpha_1_only_the_new_layer_speaks(models):
    G, _ = models
    z = torch.randn(7, 8)
    new = G.to_rgb[2](G.blocks[1](G.features(z, 8)))
    assert torch.equal(G(z, size=16, alpha=1.0), new)
    with torch.no_grad():
        G.to_rgb[1].weight.add_(1.0)  # the old output layer no longer matters
    assert torch.equal(G(z, size=16, alpha=1.0), new)


def test_in_between_the_output_is_the_weighted_sum(models):
    G, _ = models
    z = torch.randn(3, 8)
    old, new = G(z, size=16, alpha=0.0), G(z, size=16, alpha=1.0)
    torch.testing.assert_close(G(z, size=16, alpha=0.25), 0.75 * old + 0.25 * new)


def test_the_discriminator_fades_the_same_way(models):
    _, D = models
    x = torch.randn(6, 1, 16, 16)
    assert torch.equal(D(x, alpha=0.0), D(F.avg_pool2d(x, 2), alpha=1.0))
    before = D(x, alpha=1.0)
    with torch.no_grad():
        D.from_rgb[1][0].weight.add_(1.0)
    assert torch.equal(D(x, alpha=1.0), before)


def test_real_images_fade_like_the_generator():
    x = torch.randn(4, 1, 16, 16)
    assert torch.equal(fade_in_reals(x, 0.0), F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest"))
    assert torch.equal(fade_in_reals(x, 1.0), x)
    assert torch.equal(downsample(x, 4), F.avg_pool2d(x, 4)) and downsample(x, 16) is x


def test_growth_schedule_by_hand():
    s = GrowthSchedule(sizes=(4, 8, 16), stable=3, fade=2)
    assert [s(t) for t in range(15)] == [
        (4, 1.0), (4, 1.0), (4, 1.0),
        (8, 0.0), (8, 0.5), (8, 1.0), (8, 1.0), (8, 1.0),
        (16, 0.0), (16, 0.5), (16, 1.0), (16, 1.0), (16, 1.0),
        (16, 1.0), (16, 1.0),  # after the schedule: stay at the last size
    ]
    assert s.total_steps == 13


def test_bad_stages_are_refused(models):
    G, D = models
    with pytest.raises(ArgumentError, match="one of"):
        G.set_stage(12)
    with pytest.raises(ArgumentError, match="alpha"):
        D.set_stage(8, 1.5)
    with pytest.raises(ArgumentError):
        D(torch.zeros(2, 1, 12, 12))
    with pytest.raises(ArgumentError, match="power of two"):
        ProgressiveGenerator(max_size=24)


def test_trainer_follows_the_schedule_and_resumes_exactly(tmp_path):
    images = torch.rand(64, 1, 16, 16) * 2 - 1
    schedule = GrowthSchedule(sizes=(8, 16), stable=2, fade=3)

    def make():
        torch.manual_seed(1)
        return gc.trainers.ProgressiveGANTrainer(ProgressiveGenerator(z_dim=8, channels=4, max_size=16),
                                                 ProgressiveDiscriminator(channels=4, max_size=16), schedule,
                                                 lr_g=1e-3, lr_d=1e-3, seed=3, device="cpu")

    seen = []

    class Spy(gc.Callback):
        def on_step(self, tr, logs):
            seen.append(tr.stage)

    trainer = make()
    trainer.fit(images, steps=3, batch_size=8, progress=False, callbacks=[Spy()])
    trainer.save_checkpoint(tmp_path / "p.pt")
    trainer.fit(images, steps=4, batch_size=8, progress=False, callbacks=[Spy()])
    expected = [schedule(t) for t in range(7)]
    assert trainer.history["size"] == [float(s) for s, _ in expected]
    assert trainer.history["alpha"] == pytest.approx([a for _, a in expected], abs=1e-7)  # logged in float32
    assert seen == expected
    assert trainer.sample(3).shape == (3, 1, 16, 16)
    resumed = make().load_checkpoint(tmp_path / "p.pt")
    resumed.fit(images, steps=4, batch_size=8, progress=False)
    assert resumed.history == trainer.history
    for p, q in zip(resumed.G.parameters(), trainer.G.parameters()):
        assert torch.equal(p, q)


def test_trainer_shows_D_real_images_at_the_stage():
    schedule = GrowthSchedule(sizes=(8, 16), stable=1, fade=4)
    trainer = gc.trainers.ProgressiveGANTrainer(ProgressiveGenerator(z_dim=8, channels=4),
                                                ProgressiveDiscriminator(channels=4), schedule, device="cpu")
    x = torch.rand(4, 1, 16, 16)
    trainer.global_step = 0
    assert torch.equal(trainer.forward(x), F.avg_pool2d(x, 2))
    trainer.global_step = 2  # a quarter into the fade to 16x16
    assert torch.allclose(trainer.forward(x), 0.75 * F.interpolate(F.avg_pool2d(x, 2), scale_factor=2)
                          + 0.25 * x)
    assert trainer.stage == (16, 0.25)
