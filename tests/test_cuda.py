"""GPU checks: run where CUDA is present (the project's device machine, Colab); skipped on CPU-only CI."""
import pytest
import torch

from gancourse.data import toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.trainers import GANTrainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def make():
    return GANTrainer(MLPGenerator(z_dim=2, width=64), MLPDiscriminator(width=64), device="cuda", seed=0)


def test_training_step_does_not_synchronise_the_gpu():
    t = make()
    real = toy.ring().sample(256).cuda()
    t._run_step(real)  # warm-up: lazy initialisation may sync once
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            t._run_step(real)
    finally:
        torch.cuda.set_sync_debug_mode(0)


def test_fit_on_cuda_uses_amp_and_fused_adam(tmp_path):
    t = make()
    assert t.amp and t.sync_every > 1
    assert t.opt_D.defaults.get("fused") is True
    t.fit(toy.ring(), steps=120, batch_size=256, progress=False)
    assert len(t.history["loss_D"]) == 120
    t.save_checkpoint(tmp_path / "gpu.pt")
    u = make().load_checkpoint(tmp_path / "gpu.pt")
    assert u.global_step == 120
    for a, b in zip(u.G.parameters(), t.G.parameters()):
        assert torch.equal(a, b) and a.device.type == "cuda"


def test_ema_samples_from_noise_given_on_the_cpu():
    # the averaged G lives on the GPU with the trainer's G; a CPU z (lesson 10's fixed noise) must be moved there
    from gancourse.trainers import EMA
    t = GANTrainer(MLPGenerator(z_dim=2, width=64), MLPDiscriminator(width=64), device="cuda", seed=0, sync_every=1)
    ema = EMA(decay=0.9)
    t.fit(toy.ring(), steps=3, batch_size=64, progress=False, callbacks=[ema])
    z = torch.randn(5, 2)
    out = ema.sample(t, 5, z)
    assert out.device.type == "cpu" and out.shape == (5, 2)
