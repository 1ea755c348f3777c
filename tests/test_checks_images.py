"""The checkers of the image lessons (06-10) pass right solutions and fail each usual wrong one, saying what is wrong."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gancourse import checks
from gancourse.models.dcgan import dcgan_init
from gancourse.models.style import modulated_conv2d
from gancourse.trainers import ImagePool

pytestmark = pytest.mark.usefixtures("one_thread")


def _fails(checker, fn, match, capsys=None):
    with pytest.raises(checks.ExerciseFailed, match=match):
        checker(fn)


def _unwritten(*args, **kwargs):
    raise NotImplementedError("Exercise: complete it; the checker below tests it")


ALL = [checks.check_generator_block, checks.check_dcgan_init, checks.check_unet_skip, checks.check_receptive_field,
       checks.check_cycle_loss, checks.check_pool_query, checks.check_projection_logit, checks.check_modulate]


@pytest.mark.parametrize("checker", ALL, ids=lambda c: c.__name__)
def test_an_unwritten_exercise_gets_the_friendly_message(checker, capsys):
    _fails(checker, _unwritten, "not written yet")
    assert "❌" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------- 06: generator block
def g_block(c_in, c_out):
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True))


class BlockModule(nn.Module):  # a hand-written module is as good as a Sequential
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class BlockWrongForward(BlockModule):  # layers registered in order, run in another
    def forward(self, x):
        return self.bn(self.act(self.conv(x)))


def test_generator_block_accepts_right_solutions(capsys):
    checks.check_generator_block(g_block)
    checks.check_generator_block(BlockModule)
    assert "✅" in capsys.readouterr().out


def test_generator_block_agrees_with_the_course_generator():
    from gancourse.models.dcgan import DCGANGenerator

    G = DCGANGenerator(16, nz=8, ngf=4, channels=1)
    assert [type(m) for m in G.net[3:6]] == [type(m) for m in g_block(8, 4)]


@pytest.mark.parametrize("wrong, match", [
    (lambda i, o: nn.Sequential(nn.Conv2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()), "not nn.Conv2d"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.ReLU(), nn.BatchNorm2d(o)),
     "BatchNorm must come before the ReLU"),
    (lambda i, o: nn.Sequential(nn.BatchNorm2d(i), nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.ReLU()),
     "comes after it"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o),
                                nn.LeakyReLU(0.2)), "LeakyReLU"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.Tanh()), "tanh"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.ReLU()), "BatchNorm2d"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.InstanceNorm2d(o), nn.ReLU()),
     "not InstanceNorm2d"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o)), "ReLU"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                                nn.Dropout(0.5)), "exactly three layers"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1), nn.BatchNorm2d(o), nn.ReLU()), "bias=False"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 1, 0, bias=False), nn.BatchNorm2d(o), nn.ReLU()),
     "7x7"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 3, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()),
     "kernel_size=4, stride=2, padding=1"),
    (lambda i, o: nn.Sequential(nn.ConvTranspose2d(o, i, 4, 2, 1, bias=False), nn.BatchNorm2d(i), nn.ReLU()),
     "maps 2 to 3 channels"),
    (lambda i, o: g_block(3, 2), "not fixed numbers"),
    (lambda i, o: [nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()], "nn.Module"),
    (BlockWrongForward, "in that order"),
])
def test_generator_block_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_generator_block, wrong, match)


# ---------------------------------------------------------------------------------------------- 06: initialisation
def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def init_tutorial_style(m):  # the PyTorch DCGAN tutorial's form: by class name, through .data
    name = type(m).__name__
    if name.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
        if m.bias is not None:
            m.bias.data.fill_(0)
    elif name.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


def test_dcgan_init_accepts_right_solutions():
    checks.check_dcgan_init(init_weights)
    checks.check_dcgan_init(init_tutorial_style)
    checks.check_dcgan_init(dcgan_init)


def _init(conv=lambda w: nn.init.normal_(w, 0.0, 0.02), bias=nn.init.zeros_, gamma=lambda w: nn.init.normal_(w, 1.0, 0.02),
          beta=nn.init.zeros_, kinds=(nn.Conv2d, nn.ConvTranspose2d), check_type=True):
    def init(m):
        if not check_type or isinstance(m, kinds):
            conv(m.weight)
            if m.bias is not None:
                bias(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            gamma(m.weight)
            beta(m.bias)
    return init


@pytest.mark.parametrize("wrong, match", [
    (_init(conv=lambda w: nn.init.normal_(w)), "default"),
    (_init(conv=lambda w: nn.init.normal_(w, 0.02)), "mean first"),
    (_init(conv=lambda w: nn.init.normal_(w, 0.0, 0.02 ** 2)), "not the variance"),
    (_init(conv=lambda w: nn.init.normal_(w, 1.0, 0.02)), "centred at 0"),
    (_init(conv=lambda w: nn.init.uniform_(w, -0.02 * 3 ** 0.5, 0.02 * 3 ** 0.5)), "not Gaussian"),
    (_init(conv=lambda w: nn.init.normal_(w, 0.0, 0.03)), r"expected N\(0, 0.02\)"),
    (_init(kinds=(nn.Conv2d,)), "must include nn.ConvTranspose2d"),
    (_init(kinds=(nn.ConvTranspose2d,)), "must include nn.Conv2d"),
    (_init(bias=lambda b: None), "bias was left untouched"),
    (_init(bias=lambda b: nn.init.normal_(b, 0.0, 0.02)), "exactly 0"),
    (_init(gamma=lambda w: nn.init.normal_(w, 0.0, 0.02)), "centred at 1"),
    (_init(gamma=nn.init.ones_), "exactly 1"),
    (_init(gamma=lambda w: None, beta=lambda b: None), "BatchNorm2d layer was left untouched"),
    (_init(beta=lambda b: None), "shift beta"),
    (_init(check_type=False), "isinstance"),
])
def test_dcgan_init_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_dcgan_init, wrong, match)


# ---------------------------------------------------------------------------------------------- 07: U-Net skip
def test_unet_skip_accepts_the_right_solution():
    checks.check_unet_skip(lambda up, skip: torch.cat([up, skip], dim=1))
    checks.check_unet_skip(lambda up, skip: torch.cat((up, skip), 1))


@pytest.mark.parametrize("wrong, match", [
    (lambda up, skip: up + skip, "concatenates along channels \\(dim=1\\), you added"),
    (lambda up, skip: torch.cat([up, skip], dim=0), "dim=0, the batch"),
    (lambda up, skip: torch.cat([up, skip], dim=2), "spatial dimension"),
    (lambda up, skip: torch.stack([up, skip], dim=1), "torch.stack"),
    (lambda up, skip: torch.cat([skip, up], dim=1), "decoder's features come first"),
    (lambda up, skip: torch.cat([up, skip.detach()], dim=1), "do not detach"),
    (lambda up, skip: torch.cat([up, skip], dim=1).tolist(), "return a tensor"),
    (lambda up, skip: torch.cat([up, F.relu(skip)], dim=1), "unchanged"),
])
def test_unet_skip_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_unet_skip, wrong, match)


# ---------------------------------------------------------------------------------------------- 07: receptive field
def receptive_field(layers):
    r = 1
    for k, s in reversed(layers):
        r = (r - 1) * s + k
    return r


def receptive_field_forward(layers):  # the other right way: grow by (k - 1) times the jump so far
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


def test_receptive_field_accepts_right_solutions():
    checks.check_receptive_field(receptive_field)
    checks.check_receptive_field(receptive_field_forward)
    checks.check_receptive_field(lambda layers: torch.tensor(receptive_field(layers)))


def _rf(step, r0=1, order=reversed):
    def fn(layers):
        r = r0
        for k, s in order(layers):
            r = step(r, k, s)
        return r
    return fn


@pytest.mark.parametrize("wrong, match", [
    (_rf(lambda r, k, s: (r - 1) * s + k, order=list), "reversed"),
    (_rf(lambda r, k, s: r * s + k), "left out the - 1"),
    (_rf(lambda r, k, s: r + k - 1), "strides multiply"),
    (_rf(lambda r, k, s: (r - 1) * s + k, r0=0), "r = 1"),
    (lambda layers: 9 * 2 ** sum(s == 2 for _, s in layers) - 2, "receptive field is 1"),
    (lambda layers: None, "got None"),
])
def test_receptive_field_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_receptive_field, wrong, match)


# ---------------------------------------------------------------------------------------------- 08: cycle loss
def cycle_loss(G_AB, G_BA, a, b, lam=10.0):
    return lam * ((G_BA(G_AB(a)) - a).abs().mean() + (G_AB(G_BA(b)) - b).abs().mean())


def test_cycle_loss_accepts_right_solutions():
    checks.check_cycle_loss(cycle_loss)
    checks.check_cycle_loss(lambda G, F_, a, b, lam: lam * (F.l1_loss(F_(G(a)), a) + F.l1_loss(G(F_(b)), b)))


@pytest.mark.parametrize("wrong, match", [
    (lambda G, F_, a, b, lam: lam * ((G(a) - a).abs().mean() + (F_(b) - b).abs().mean()),
     r"compared G_AB\(a\) with a"),
    (lambda G, F_, a, b, lam: lam * ((G(F_(a)) - a).abs().mean() + (F_(G(b)) - b).abs().mean()), "wrong way"),
    (lambda G, F_, a, b, lam: lam * ((F_(G(a)) - b).abs().mean() + (G(F_(b)) - a).abs().mean()), "its own input"),
    (lambda G, F_, a, b, lam: lam * (F_(G(a)) - a).abs().mean(), "add the B -> A -> B cycle"),
    (lambda G, F_, a, b, lam: lam * (G(F_(b)) - b).abs().mean(), "add the A -> B -> A cycle"),
    (lambda G, F_, a, b, lam: lam * ((F_(G(a)) - a).pow(2).mean() + (G(F_(b)) - b).pow(2).mean()), "L1 loss"),
    (lambda G, F_, a, b, lam: (F_(G(a)) - a).abs().mean() + (G(F_(b)) - b).abs().mean(), "not weighted"),
    (lambda G, F_, a, b, lam: 10.0 * ((F_(G(a)) - a).abs().mean() + (G(F_(b)) - b).abs().mean()), "fixed at 10"),
    (lambda G, F_, a, b, lam: lam * (F_(G(a)) - a).abs().mean() + (G(F_(b)) - b).abs().mean(), "only the first cycle term"),
    (lambda G, F_, a, b, lam: lam * ((F_(G(a)) - a).abs().mean() + (G(F_(b)) - b).abs().mean()) / 2, "you average"),
    (lambda G, F_, a, b, lam: lam * ((F_(G(a)) - a).abs().sum() + (G(F_(b)) - b).abs().sum()), "take their mean"),
    (lambda G, F_, a, b, lam: cycle_loss(G, F_, a, b, lam).detach(), "no gradient"),
    (lambda G, F_, a, b, lam: lam * ((F_(G(a).detach()) - a).abs().mean() + (G(F_(b)) - b).abs().mean()),
     "gradient with respect to G_AB's weight"),
    (lambda G, F_, a, b, lam: lam * ((F_(G(a)) - a).abs().mean((1, 2, 3)) + (G(F_(b)) - b).abs().mean((1, 2, 3))),
     "scalar"),
])
def test_cycle_loss_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_cycle_loss, wrong, match)


# ---------------------------------------------------------------------------------------------- 08: image pool
def pool_query(pool, fakes, size, generator):
    if size == 0:
        return fakes
    n = len(fakes)
    u = torch.rand(n, generator=generator)
    j = torch.randint(size, (n,), generator=generator)
    out = []
    for i in range(n):
        img = fakes[i].detach().clone()
        if len(pool) < size:
            pool.append(img)
            out.append(img)
        elif u[i] < 0.5:
            out.append(pool[j[i]])
            pool[j[i]] = img
        else:
            out.append(img)
    return torch.stack(out)


def pool_query_package(pool, fakes, size, generator):  # the package's ImagePool, driven through the same interface
    p = ImagePool(size, generator=generator)
    p.images = pool
    return p.query(fakes)


def test_pool_query_accepts_right_solutions():
    checks.check_pool_query(pool_query)
    checks.check_pool_query(pool_query_package)
    for seed in range(5):
        checks.check_pool_query(pool_query, seed=seed)


def _pool(variant):
    def query(pool, fakes, size, generator):
        if size == 0 and variant != "size0":  # "size0" forgets the special case: randint(0, ...) raises
            return fakes
        n = len(fakes)
        if variant == "lazy" and len(pool) < size:
            u, j = torch.zeros(n), torch.zeros(n, dtype=torch.long)
        else:
            u = torch.rand(n, generator=generator)
            j = torch.randint(size, (n,), generator=generator)
        out = []
        for i in range(n):
            img = fakes[i].clone()
            if len(pool) < size and variant != "no_fill":
                pool.append(img)
                out.append(img)
                continue
            if variant == "no_fill" and len(pool) < size:
                pool.append(img)
                out.append(pool[0])
                continue
            swap = {"new": False, "stored": True, "inverted": u[i] >= 0.5}.get(variant, bool(u[i] < 0.5))
            if swap:
                out.append(img if variant == "return_new" else pool[j[i]])
                if variant != "no_replace":
                    pool[j[i]] = img
            else:
                out.append(img)
        return torch.stack(out)
    return query


@pytest.mark.parametrize("wrong, match", [
    (_pool("new"), "you always returned the new one"),
    (_pool("stored"), "you always returned a stored one"),
    (_pool("inverted"), "other way round"),
    (_pool("no_replace"), "takes its slot"),
    (_pool("return_new"), "you returned the new fake"),
    (_pool("lazy"), "once per call before the loop"),
    (_pool("no_fill"), "store each fake and return it as is"),
    (_pool("size0"), "size 0 turns the pool off"),
    (lambda pool, fakes, size, generator: list(fakes), "shaped like the fakes"),
])
def test_pool_query_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_pool_query, wrong, match)


# ---------------------------------------------------------------------------------------------- 09: projection D
def projection_logit(h, psi, embed, y):
    return psi(h).flatten() + (embed(y) * h).sum(dim=1)


def test_projection_logit_accepts_right_solutions():
    checks.check_projection_logit(projection_logit)
    checks.check_projection_logit(lambda h, psi, embed, y: psi(h).squeeze(1) + torch.einsum("bf,bf->b", embed(y), h))


def test_projection_logit_matches_the_course_discriminator():
    from gancourse.models import ProjectionDiscriminator

    torch.manual_seed(0)
    D = ProjectionDiscriminator(image_size=16, n_classes=10, ndf=4).eval()
    x, y = torch.randn(5, 1, 16, 16), torch.tensor([0, 3, 9, 3, 1])
    h = D.features(x).flatten(1)
    psi = lambda f: D.psi(f.view(len(f), -1, 4, 4)).flatten(1)  # noqa: E731  the last conv as a layer F -> 1
    assert torch.allclose(projection_logit(h, psi, D.embed, y), D(x, y), atol=1e-5)


@pytest.mark.parametrize("wrong, match", [
    (lambda h, psi, e, y: psi(h) + (e(y) * h).sum(1), r"broadcasts to \(B, B\)"),
    (lambda h, psi, e, y: psi(h) + (e(y) * h).sum(1, keepdim=True), "one logit per sample"),
    (lambda h, psi, e, y: psi(h).flatten().sum() + (e(y) * h).sum(), "not over the whole batch"),
    (lambda h, psi, e, y: psi(h) * 0 + e(y) * h, "over the features"),
    (lambda h, psi, e, y: psi(h) + e(y) * h, "over the features"),
    (lambda h, psi, e, y: psi(h).flatten(), "projection term e_y . h is missing"),
    (lambda h, psi, e, y: (e(y) * h).sum(1), "unconditional term psi"),
    (lambda h, psi, e, y: psi(h).flatten() - (e(y) * h).sum(1), "don't subtract"),
    (lambda h, psi, e, y: psi(h).flatten() + (e.weight.sum(0) * h).sum(1), "own class"),
    (lambda h, psi, e, y: projection_logit(h, psi, e, y).detach(), "no gradient"),
    (lambda h, psi, e, y: psi(h.detach()).flatten() + (e(y) * h).sum(1), "gradient with respect to h"),
])
def test_projection_logit_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_projection_logit, wrong, match)


# ---------------------------------------------------------------------------------------------- 10: modulation
def modulate(weight, style, demodulate=True, eps=1e-8):
    w = weight[None] * style[:, None, :, None, None]
    if demodulate:
        w = w * torch.rsqrt(w.pow(2).sum(dim=(2, 3, 4), keepdim=True) + eps)
    return w


def test_modulate_accepts_right_solutions():
    checks.check_modulate(modulate)


def test_modulate_agrees_with_the_package_convolution():
    x, weight, style = torch.randn(3, 4, 6, 6), torch.randn(5, 4, 3, 3), torch.randn(3, 4)
    w = modulate(weight, style)
    y = F.conv2d(x.reshape(1, 12, 6, 6), w.reshape(15, 4, 3, 3), groups=3, padding=1).reshape(3, 5, 6, 6)
    assert torch.allclose(y, modulated_conv2d(x, weight, style, padding=1), atol=1e-5)


def _mod(axis=(2, 3, 4), style_dim=2, demod_plain=False, power=0.5, ignore_flag=False, skip_demod=False):
    def fn(weight, style, demodulate=True, eps=1e-8):
        s = style[:, None, :, None, None] if style_dim == 2 else style[:, :, None, None, None]
        w = weight[None] * s
        if (demodulate or ignore_flag) and not skip_demod:
            base = weight[None].expand_as(w) if demod_plain else w
            w = w / (base.pow(2).sum(dim=axis, keepdim=True) + eps) ** power
        return w
    return fn


@pytest.mark.parametrize("wrong, match", [
    (_mod(style_dim=1), "input channels i"),
    (_mod(skip_demod=True), "demodulate: divide"),
    (_mod(axis=(1, 2, 3, 4)), "on its own"),
    (_mod(axis=(3, 4)), "input channels too"),
    (_mod(demod_plain=True), "modulated"),
    (_mod(power=1.0), "square root"),
    (_mod(ignore_flag=True), "demodulate=False"),
    (lambda w, s, demodulate=True, eps=1e-8: modulate(w, s, demodulate)[0], r"\(B, O, I, k, k\)"),
])
def test_modulate_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_modulate, wrong, match)


@pytest.mark.parametrize("checker, solution", [
    (checks.check_generator_block, g_block), (checks.check_dcgan_init, init_weights),
    (checks.check_projection_logit, projection_logit), (checks.check_cycle_loss, cycle_loss),
    (checks.check_pool_query, pool_query), (checks.check_modulate, modulate),
], ids=lambda v: getattr(v, "__name__", ""))
def test_checkers_leave_the_global_random_state_alone(checker, solution):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checker(solution)
    assert torch.equal(torch.rand(3), expected)
