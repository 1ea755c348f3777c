import math

import pytest
import torch

from gancourse.data import scenes
from gancourse.models.pix2pix import PatchGAN, UNetGenerator, patchgan_receptive_field, receptive_field
from gancourse.trainers import LinearDecay, Pix2PixTrainer


@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_unet_depth_follows_size_and_keeps_shape(size):
    G = UNetGenerator(in_ch=3, out_ch=1, size=size, ngf=4)
    assert G.depth == int(math.log2(size)) and len(G.down) == len(G.up) == G.depth
    x = torch.randn(2, 3, size, size)
    out = G(x)
    assert out.shape == (2, 1, size, size)
    assert out.abs().max() <= 1  # tanh


def test_unet_bottleneck_is_1x1_and_skips_concatenate():
    G = UNetGenerator(size=32, ngf=4)
    x = torch.randn(1, 3, 32, 32)
    shapes = []
    h = x
    for down in G.down:
        h = down(h)
        shapes.append(tuple(h.shape[-2:]))
    assert shapes[-1] == (1, 1)
    # each decoder level after the innermost takes twice the channels its encoder level produced
    first_convs = [next(m for m in up.modules() if isinstance(m, torch.nn.ConvTranspose2d)) for up in G.up]
    assert first_convs[0].in_channels == G.down[-1][-1].out_channels
    assert all(c.in_channels % 2 == 0 for c in first_convs[1:])


def test_unet_dropout_is_the_noise():
    torch.manual_seed(0)
    G = UNetGenerator(size=16, ngf=4, norm="instance")
    x = torch.randn(2, 3, 16, 16)
    G.train()
    assert not torch.equal(G(x), G(x))  # dropout on: two different outputs
    G.eval()
    assert torch.equal(G(x), G(x))
    assert sum(isinstance(m, torch.nn.Dropout) for m in G.modules()) == 3


def test_patchgan_output_grid():
    # the paper's 70x70 PatchGAN maps a 256x256 pair to a 30x30 grid of logits
    D = PatchGAN(in_ch=6, ndf=2, n_layers=3)
    assert D(torch.randn(1, 6, 256, 256)).shape == (1, 1, 30, 30)
    assert PatchGAN(in_ch=3, ndf=4, n_layers=2)(torch.randn(2, 3, 32, 32)).shape == (2, 1, 6, 6)


@pytest.mark.parametrize("n_layers, expected", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field(n_layers, expected):
    D = PatchGAN(in_ch=3, ndf=4, n_layers=n_layers, norm="batch")
    assert receptive_field(D) == patchgan_receptive_field(n_layers) == expected
    # independent measurement: backprop one central logit to the input and measure the nonzero extent
    torch.manual_seed(0)
    D.eval()  # batch norm with running statistics is per-pixel, so it does not spread gradients
    x = torch.randn(1, 3, 192, 192, requires_grad=True)
    out = D(x)
    i, j = out.shape[-2] // 2, out.shape[-1] // 2
    out[0, 0, i, j].backward()
    g = x.grad.abs().sum(dim=(0, 1))
    rows, cols = g.sum(1).nonzero().flatten(), g.sum(0).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == expected
    assert cols.max() - cols.min() + 1 == expected


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="power of two >= 4"):
        UNetGenerator(size=24)
    with pytest.raises(ValueError, match="depth"):
        UNetGenerator(size=16, depth=5)
    with pytest.raises(ValueError, match="unknown norm"):
        UNetGenerator(size=16, norm="group")
    with pytest.raises(ValueError, match="dropout"):
        UNetGenerator(size=16, dropout=1.0)
    with pytest.raises(ValueError, match="n_layers"):
        PatchGAN(n_layers=0)
    with pytest.raises(ValueError, match="divisible"):
        UNetGenerator(size=16, ngf=2)(torch.randn(1, 3, 24, 24))


def make(D=True, seed=0, **kwargs):
    torch.manual_seed(seed)
    G = UNetGenerator(size=16, ngf=4)
    return Pix2PixTrainer(G, PatchGAN(6, 4, n_layers=1) if D else None, device="cpu", seed=seed, **kwargs)


def pairs(n=32):
    return scenes.paired_scenes(n, size=16, seed=0)


def test_step_logs_finite_floats():
    A, B = pairs(4)
    logs = make().step((A, B))
    assert {"loss_D", "loss_G", "loss_G_GAN", "loss_L1", "D_real", "D_fake"} <= set(logs)
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in logs.values())
    assert math.isclose(logs["loss_G"], logs["loss_G_GAN"] + 100 * logs["loss_L1"], rel_tol=1e-5)
    logs = make(D=False, recon="l2").step((A, B))
    assert set(logs) == {"step", "loss_G", "loss_L2"}
    assert math.isclose(logs["loss_G"], 100 * logs["loss_L2"], rel_tol=1e-5)


def test_l1_loss_value_by_hand():
    t = make(D=False)
    fake, target = torch.tensor([[0.0, 1.0], [2.0, -1.0]]), torch.zeros(2, 2)
    assert float(t.recon_loss(fake, target)) == pytest.approx(1.0)
    assert float(make(D=False, recon="l2").recon_loss(fake, target)) == pytest.approx(1.5)


def test_g_step_leaves_d_alone():
    t = make()
    A, B = pairs(4)
    d_before = [p.clone() for p in t.D.parameters()]
    t.g_step(t.forward((A, B)))  # the batch as forward() prepares it: (A, B, G(A))
    assert all(torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))
    assert all(p.grad is None for p in t.D.parameters()) and all(p.requires_grad for p in t.D.parameters())


def test_linear_decay_values_by_hand():
    rule = LinearDecay(constant_steps=3, decay_steps=4)
    assert [rule(t) for t in range(10)] == pytest.approx([1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0])
    t = make(lr=1e-3, constant_steps=2, decay_steps=3)
    A, B = pairs(4)
    lrs = []
    for _ in range(6):
        t.step((A, B))
        lrs.append((t.opt_G.param_groups[0]["lr"], t.opt_D.param_groups[0]["lr"]))
    expected = [1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3, 0.0]
    assert [g for g, _ in lrs] == pytest.approx(expected) and [d for _, d in lrs] == pytest.approx(expected)


def test_checkpoint_round_trip_is_exact(tmp_path):
    A, B = pairs(32)
    t = make(decay_steps=10)
    t.fit((A, B), steps=2, batch_size=4, progress=False)
    t.save_checkpoint(tmp_path / "p2p.pt")
    t.fit((A, B), steps=3, batch_size=4, progress=False)
    u = make(seed=5, decay_steps=10).load_checkpoint(tmp_path / "p2p.pt")
    u.fit((A, B), steps=3, batch_size=4, progress=False)
    assert u.history["loss_G"] == t.history["loss_G"] and u.global_step == t.global_step == 5
    for p, q in zip(t.G.parameters(), u.G.parameters()):
        assert torch.equal(p, q)
    assert u.opt_G.param_groups[0]["lr"] == t.opt_G.param_groups[0]["lr"]


def test_fit_lowers_the_l1_error():
    A, B = pairs(64)
    t = make(D=False, lr=2e-3)
    before = (t.translate(A) - B).abs().mean()
    t.fit((A, B), steps=60, batch_size=16, progress=False)
    after = (t.translate(A) - B).abs().mean()
    assert after < 0.7 * before, (float(before), float(after))


def test_translate_and_bad_arguments():
    t = make()
    A, _ = pairs(3)
    out = t.translate(A)
    assert out.shape == A.shape and out.dtype == torch.float32
    assert torch.equal(out, t.translate(A))  # eval mode: deterministic
    assert not torch.equal(t.translate(A, dropout=True), t.translate(A, dropout=True))
    with pytest.raises(ValueError, match="reconstruction"):
        make(recon="l3")
    with pytest.raises(ValueError, match="gan_loss"):
        make(gan_loss="hinge")
    with pytest.raises(ValueError, match="lambda_l1"):
        make(lambda_l1=-1)
    with pytest.raises(ValueError, match="aligned pairs"):
        t.step(A)
    with pytest.raises(ValueError, match="decay_steps"):
        LinearDecay(1, -2)
