import math

import pytest
import torch

from gancourse.data import scenes
from gancourse.models.cyclegan import ResNetGenerator, ResidualBlock
from gancourse.models.pix2pix import PatchGAN
from gancourse.trainers import CycleGANTrainer, ImagePool


@pytest.mark.parametrize("size", [8, 32, 48])
def test_resnet_generator_keeps_the_shape(size):
    G = ResNetGenerator(in_ch=3, out_ch=1, ngf=4, n_blocks=2)
    out = G(torch.randn(2, 3, size, size))
    assert out.shape == (2, 1, size, size) and out.abs().max() <= 1
    assert sum(isinstance(m, ResidualBlock) for m in G.modules()) == 2


def test_residual_block_with_zero_body_is_the_identity():
    block = ResidualBlock(4)
    for m in block.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.zeros_(m.weight)
            torch.nn.init.zeros_(m.bias)
    x = torch.randn(2, 4, 8, 8)
    assert torch.allclose(block(x), x)


def test_bad_generator_arguments():
    with pytest.raises(ValueError, match="divisible by 4"):
        ResNetGenerator(ngf=4, n_blocks=1)(torch.randn(1, 3, 30, 30))
    with pytest.raises(ValueError, match="n_blocks"):
        ResNetGenerator(n_blocks=-1)
    with pytest.raises(ValueError, match="unknown norm"):
        ResNetGenerator(norm="layer")


def numbered(start, n):
    """n images (1, 2, 2) whose pixels all equal their number, so outputs can be traced to inputs."""
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()


def ids(batch):
    return batch[:, 0, 0, 0].long().tolist()


def test_pool_fills_to_capacity_returning_its_inputs():
    pool = ImagePool(5, seed=0)
    out = pool.query(numbered(0, 3))
    assert ids(out) == [0, 1, 2] and len(pool) == 3
    out = pool.query(numbered(3, 2))
    assert ids(out) == [3, 4] and len(pool) == 5
    assert sorted(ids(torch.stack(pool.images))) == [0, 1, 2, 3, 4]


def test_full_pool_swaps_half_the_time():
    pool = ImagePool(10, seed=1)
    pool.query(numbered(0, 10))
    swapped = total = 0
    for k in range(200):
        batch = numbered(1000 + 10 * k, 10)
        out = ids(pool.query(batch))
        stored = set(ids(torch.stack(pool.images)))
        for i, (new, got) in enumerate(zip(ids(batch), out)):
            total += 1
            if got != new:
                swapped += 1
                assert got < new  # an older fake
                assert new in stored or new in out[i + 1:]  # stored in its place (unless swapped out again)
        assert len(pool) == 10
    # binomial(2000, 1/2): 5 standard deviations is about +-0.056
    assert abs(swapped / total - 0.5) < 0.056


def test_pool_follows_its_documented_draws_exactly():
    pool = ImagePool(4, generator=torch.Generator().manual_seed(7))
    pool.query(numbered(0, 4))
    # replay the documented protocol by hand: per call u = rand(n) then j = randint(size, (n,))
    g = torch.Generator().manual_seed(7)
    torch.rand(4, generator=g), torch.randint(4, (4,), generator=g)  # the first (filling) call
    u, j = torch.rand(3, generator=g).tolist(), torch.randint(4, (3,), generator=g).tolist()
    slots = [0, 1, 2, 3]
    expected = []
    for i, new in enumerate([10, 11, 12]):
        if u[i] < 0.5:
            expected.append(slots[j[i]])
            slots[j[i]] = new
        else:
            expected.append(new)
    assert ids(pool.query(numbered(10, 3))) == expected
    assert ids(torch.stack(pool.images)) == slots


def test_pool_state_round_trip_and_off_switch():
    pool = ImagePool(3, seed=0)
    pool.query(numbered(0, 3))
    other = ImagePool(3, seed=99)
    other.load_state_dict(pool.state_dict())
    batch = numbered(50, 6)
    assert torch.equal(pool.query(batch), other.query(batch))
    off = ImagePool(0)
    assert off.query(batch) is batch
    with pytest.raises(ValueError, match="pool size"):
        ImagePool(-1)


def make(seed=0, **kwargs):
    torch.manual_seed(seed)
    return CycleGANTrainer(ResNetGenerator(ngf=4, n_blocks=1), ResNetGenerator(ngf=4, n_blocks=1),
                           PatchGAN(3, 4, 1, "instance"), PatchGAN(3, 4, 1, "instance"), device="cpu", seed=seed,
                           **kwargs)


def domains(n=16):
    return scenes.unpaired_scenes(n, size=16, seed=0)


def test_step_logs_finite_losses():
    X, Y = domains(4)
    logs = make().step((X, Y))
    keys = {"loss_G", "loss_G_AB", "loss_G_BA", "loss_cycle", "loss_idt", "loss_D_A", "loss_D_B"}
    assert keys <= set(logs)
    assert all(math.isfinite(v) for v in logs.values())
    total = logs["loss_G_AB"] + logs["loss_G_BA"] + logs["loss_cycle"] + logs["loss_idt"]
    assert math.isclose(logs["loss_G"], total, rel_tol=1e-5)
    assert "loss_idt" not in make(lambda_identity=0).step((X, Y))


def test_cycle_and_identity_terms_by_hand():
    X, Y = domains(2)
    t = make(pool_size=0)
    with torch.no_grad():
        rec_A, rec_B = t.G_BA(t.G_AB(X)), t.G_AB(t.G_BA(Y))
        cycle = 10 * ((rec_A - X).abs().mean() + (rec_B - Y).abs().mean())
        idt = 5 * ((t.G_AB(Y) - Y).abs().mean() + (t.G_BA(X) - X).abs().mean())
    logs = t.step((X, Y))
    assert logs["loss_cycle"] == pytest.approx(float(cycle), rel=1e-5)
    assert logs["loss_idt"] == pytest.approx(float(idt), rel=1e-5)


def test_generator_step_leaves_discriminators_alone():
    t = make()
    X, Y = domains(2)
    before = [p.clone() for D in (t.D_A, t.D_B) for p in D.parameters()]
    t.g_step(t.forward((X, Y)))
    after = [p for D in (t.D_A, t.D_B) for p in D.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(p.grad is None and p.requires_grad for p in after)


def test_linear_lr_decay_for_both_optimizers():
    t = make(lr=2e-4, constant_steps=1, decay_steps=3)
    X, Y = domains(4)
    lrs = []
    for _ in range(5):
        t.step((X, Y))
        lrs.append((t.opt_G.param_groups[0]["lr"], t.opt_D.param_groups[0]["lr"]))
    expected = [2e-4, 1.5e-4, 1e-4, 0.5e-4, 0.0]
    assert [g for g, _ in lrs] == pytest.approx(expected) and [d for _, d in lrs] == pytest.approx(expected)


def test_checkpoint_round_trip_is_exact_including_the_pools(tmp_path):
    X, Y = domains(16)
    data = scenes.Unpaired(X, Y)
    t = make(pool_size=3, decay_steps=6)
    t.fit(data, steps=2, batch_size=2, progress=False)
    t.save_checkpoint(tmp_path / "cyc.pt")
    t.fit(data, steps=3, batch_size=2, progress=False)
    u = make(seed=3, pool_size=3, decay_steps=6).load_checkpoint(tmp_path / "cyc.pt")
    assert len(u.pool_A) == 3
    u.fit(data, steps=3, batch_size=2, progress=False)
    assert u.history["loss_D_A"] == t.history["loss_D_A"] and u.history["loss_G"] == t.history["loss_G"]
    for a, b in zip(t.G_AB.parameters(), u.G_AB.parameters()):
        assert torch.equal(a, b)


def test_translate_and_bad_arguments():
    t = make()
    X, Y = domains(3)
    assert t.translate(X, "AB").shape == X.shape and t.translate(Y, "BA").shape == Y.shape
    with pytest.raises(ValueError, match="direction"):
        t.translate(X, "BB")
    with pytest.raises(ValueError, match="lambda_cycle"):
        make(lambda_cycle=-1.0)
    with pytest.raises(ValueError, match="two domains"):
        t.step(X)
