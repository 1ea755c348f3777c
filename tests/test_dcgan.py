import pytest
import torch
from torch import nn

from gancourse.models.dcgan import DCGANDiscriminator, DCGANGenerator, conv_layers, dcgan_init
from gancourse.trainers import Checkpoint, TrainingDiverged
from gancourse.trainers.dcgan import dcgan_trainer


@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_shapes_and_ranges(size):
    G = DCGANGenerator(size, nz=10, ngf=4, channels=3)
    D = DCGANDiscriminator(size, ndf=4, channels=3)
    x = G(torch.randn(5, 10))
    assert x.shape == (5, 3, size, size) and x.abs().max() <= 1
    assert G(torch.randn(5, 10, 1, 1)).shape == x.shape
    assert D(x).shape == (5,)


def test_paper_architecture_at_64():
    G, D = DCGANGenerator(64), DCGANDiscriminator(64)
    g_convs = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in g_convs] == [(100, 512), (512, 256), (256, 128), (128, 64),
                                                                 (64, 3)]
    d_convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels) for m in d_convs] == [(3, 64), (64, 128), (128, 256), (256, 512),
                                                                 (512, 1)]
    # BatchNorm everywhere except G's output layer and D's input layer
    g_seq, d_seq = list(G.net), list(D.net)
    assert isinstance(g_seq[-1], nn.Tanh) and isinstance(g_seq[-2], nn.ConvTranspose2d)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in g_seq) == 4
    assert isinstance(d_seq[1], nn.LeakyReLU) and d_seq[1].negative_slope == 0.2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d_seq) == 3
    assert not any(isinstance(m, (nn.Linear, nn.MaxPool2d, nn.Sigmoid)) for m in list(g_seq) + d_seq)
    # parameter counts by hand: G = sum of cin*cout*16 + BN (2 per channel) + output bias
    g_params = 16 * (100 * 512 + 512 * 256 + 256 * 128 + 128 * 64 + 64 * 3) + 2 * (512 + 256 + 128 + 64) + 3
    assert sum(p.numel() for p in G.parameters()) == g_params
    d_params = 16 * (3 * 64 + 64 * 128 + 128 * 256 + 256 * 512 + 512) + 64 + 2 * (128 + 256 + 512) + 1
    assert sum(p.numel() for p in D.parameters()) == d_params


def test_ablation_switches():
    D = DCGANDiscriminator(16, ndf=8, batchnorm=False, leak=0.0)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.LeakyReLU)) for m in D.modules())
    assert all(m.bias is not None for m in D.modules() if isinstance(m, nn.Conv2d))
    G = DCGANGenerator(16, nz=8, ngf=8, batchnorm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in G.modules())


@pytest.mark.parametrize("size", [0, 4, 12, 48, 100, 2.5, True])
def test_bad_image_sizes_raise(size):
    with pytest.raises(ValueError, match="power of two >= 8"):
        DCGANGenerator(size)
    with pytest.raises(ValueError, match="power of two >= 8"):
        DCGANDiscriminator(size)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="nz"):
        DCGANGenerator(16, nz=0)
    with pytest.raises(ValueError, match="leak"):
        DCGANDiscriminator(16, leak=1.5)
    with pytest.raises(ValueError, match="z must be"):
        DCGANGenerator(16, nz=8)(torch.zeros(2, 7))
    with pytest.raises(ValueError, match="D expects"):
        DCGANDiscriminator(16)(torch.zeros(2, 3, 32, 32))


def test_init_statistics():
    torch.manual_seed(0)
    G, D = DCGANGenerator(64), DCGANDiscriminator(64)
    conv_w = torch.cat([m.weight.flatten() for m in list(G.modules()) + list(D.modules())
                        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
    bn_w = torch.cat([m.weight for m in list(G.modules()) + list(D.modules()) if isinstance(m, nn.BatchNorm2d)])
    bn_b = torch.cat([m.bias for m in list(G.modules()) + list(D.modules()) if isinstance(m, nn.BatchNorm2d)])
    # about 3.6 million weights: mean within 5e-5 of 0, std within 1% of 0.02
    assert abs(conv_w.mean().item()) < 5e-5 and abs(conv_w.std().item() - 0.02) < 2e-4
    assert abs(bn_w.mean().item() - 1) < 0.003 and abs(bn_w.std().item() - 0.02) < 0.003
    assert torch.all(bn_b == 0)
    lin = nn.Linear(3, 3)
    dcgan_init(lin)
    assert torch.all(lin.bias == 0)


def test_conv_layers_counts_macs_by_hand():
    G = DCGANGenerator(16, nz=8, ngf=4, channels=1)  # 8 -> 8x4x4 -> 4x8x8 -> 1x16x16
    rows = conv_layers(G, (2, 8))
    assert [r["macs"] for r in rows] == [2 * 8 * 8 * 16 * 1, 2 * 8 * 4 * 16 * 16, 2 * 4 * 1 * 16 * 64]
    D = DCGANDiscriminator(16, ndf=4, channels=1)  # 1x16 -> 4x8 -> 8x4 -> 1x1
    rows = conv_layers(D, (2, 1, 16, 16))
    assert [r["macs"] for r in rows] == [2 * 64 * 4 * 16, 2 * 16 * 8 * 4 * 16, 2 * 1 * 8 * 16]


# ---------------------------------------------------------------------------------------- training, resume
def _data(n=64, size=8):
    gen = torch.Generator().manual_seed(5)
    return torch.rand(n, 1, size, size, generator=gen) * 2 - 1


def _trainer(seed=0, **kwargs):
    return dcgan_trainer(8, nz=4, ngf=4, ndf=4, channels=1, seed=seed, device="cpu", **kwargs)


def test_trainer_uses_the_paper_settings_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    t = _trainer()
    assert torch.equal(torch.get_rng_state(), before)
    assert not t.channels_last and not t.amp
    group = t.opt_G.param_groups[0]
    assert group["lr"] == 2e-4 and group["betas"] == (0.5, 0.999)
    assert any(isinstance(m, nn.BatchNorm2d) for m in t.G.modules())
    a, b = _trainer(seed=1), _trainer(seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.G.parameters(), b.G.parameters()))


def test_resume_is_bit_identical_with_batchnorm(tmp_path):
    data = _data()
    full = _trainer(seed=2)
    full.fit(data, steps=9, batch_size=16, progress=False)

    first = _trainer(seed=2)
    first.fit(data, steps=4, batch_size=16, callbacks=[Checkpoint(tmp_path / "dcgan.pt", every=2)], progress=False)
    torch.manual_seed(999)  # the checkpoint must restore every RNG, not rely on this one
    resumed = _trainer(seed=41).load_checkpoint(tmp_path / "dcgan.pt")
    assert resumed.global_step == 4
    resumed.fit(data, steps=5, batch_size=16, progress=False)
    for key in ("loss_D", "loss_G", "D_real", "D_fake", "grad_G"):
        assert resumed.history[key] == full.history[key], key  # ==, not allclose
    for a, b in zip(resumed.G.state_dict().values(), full.G.state_dict().values()):
        assert torch.equal(a, b)  # weights and BatchNorm running statistics
    for a, b in zip(resumed.D.state_dict().values(), full.D.state_dict().values()):
        assert torch.equal(a, b)


def test_huge_learning_rate_diverges_and_names_the_step():
    t = _trainer(lr_d=1e10, lr_g=1e10)
    with pytest.raises(TrainingDiverged, match=r"training diverged at step (\d+)") as info:
        t.fit(_data(), steps=200, batch_size=16, progress=False)
    step = int(str(info.value).split("step ")[1].split(":")[0])
    assert t.history["step"] == list(range(1, step))  # every step before it was logged, none after


def test_injected_inf_names_the_step():
    t = _trainer()
    t.fit(_data(), steps=3, batch_size=16, progress=False)
    with torch.no_grad():
        t.G.net[0].weight.fill_(float("inf"))
    with pytest.raises(TrainingDiverged, match="at step 4"):
        t.fit(_data(), steps=3, batch_size=16, progress=False)
