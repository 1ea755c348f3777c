"""GPU checks for Pix2Pix and CycleGAN: run where CUDA is present; skipped on CPU-only CI."""
import pytest
import torch

from gancourse.data import scenes
from gancourse.models.cyclegan import ResNetGenerator
from gancourse.models.pix2pix import PatchGAN, UNetGenerator
from gancourse.trainers import CycleGANTrainer, Pix2PixTrainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def pix2pix():
    torch.manual_seed(0)
    return Pix2PixTrainer(UNetGenerator(size=32, ngf=16), PatchGAN(6, 16, n_layers=2), device="cuda",
                          decay_steps=100)


def cyclegan():
    torch.manual_seed(0)
    return CycleGANTrainer(ResNetGenerator(ngf=8, n_blocks=2), ResNetGenerator(ngf=8, n_blocks=2),
                           PatchGAN(3, 8, 2, "instance"), PatchGAN(3, 8, 2, "instance"), device="cuda",
                           pool_size=6, decay_steps=100)


@pytest.mark.parametrize("make, paired", [(pix2pix, True), (cyclegan, False)])
def test_fast_path_and_no_sync_per_step(make, paired):
    t = make()
    assert t.amp and t.channels_last and t.sync_every > 1
    assert all(o.defaults.get("fused") is True for o in t.optimizers.values())
    A, B = (scenes.paired_scenes if paired else scenes.unpaired_scenes)(16, size=32, seed=0)
    batch = (A[:4].cuda(), B[:4].cuda())
    t._run_step(batch)  # warm-up: lazy initialisation may sync once
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):  # fills the image pool past capacity too
            t._run_step(batch)
    finally:
        torch.cuda.set_sync_debug_mode(0)


@pytest.mark.parametrize("make, paired", [(pix2pix, True), (cyclegan, False)])
def test_fit_finite_and_checkpoint_round_trip(make, paired, tmp_path):
    A, B = (scenes.paired_scenes if paired else scenes.unpaired_scenes)(64, size=32, seed=0)
    data = (A, B) if paired else scenes.Unpaired(A, B)
    t = make()
    t.fit(data, steps=60, batch_size=4, progress=False)
    assert len(t.history["loss_G"]) == 60
    t.save_checkpoint(tmp_path / "gpu.pt")
    u = make().load_checkpoint(tmp_path / "gpu.pt")
    assert u.global_step == 60
    for name in t.models:
        for a, b in zip(t.models[name].parameters(), u.models[name].parameters()):
            assert torch.equal(a, b) and a.device.type == "cuda"
    out = u.translate(A[:3]) if paired else u.translate(A[:3], "AB")
    assert out.shape == A[:3].shape and torch.isfinite(out).all()
