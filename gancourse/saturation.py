"""Lesson 03's experiment: how G's gradient depends on D's strength, for the two G losses.

Hold the generator fixed, train a discriminator of a chosen width/depth/learning rate against it for a
number of steps, and measure along the way the norm of G's gradient under

    minimax (saturating)  L_G = E_z[log(1 - D(G(z)))]  = -E[softplus(l)],   dL/dl = -sigmoid(l) = -D(G(z))
    non-saturating        L_G = -E_z[log D(G(z))]      =  E[softplus(-l)],  dL/dl = -(1 - D(G(z)))

with l = D's logit on a fake. When D learns to reject the fakes (D(G(z)) -> 0), the minimax gradient is
multiplied by D(G(z)) -> 0 and vanishes, while the non-saturating one is multiplied by 1 - D(G(z)) -> 1::

    import gancourse as gc
    data = gc.data.Mixture1D([0.0], std=0.5)
    G = gc.saturation.ShiftGenerator([4.0], scale=0.5)        # p_g = N(4, 0.5^2): (almost) disjoint from p_data
    res = gc.saturation.train_d_against(data, G, width=64, lr=1e-3, steps=300)
    res.steps, res.grad_minimax, res.grad_nonsaturating      # G's gradient norms after 0, 1, 3, 10, ... D steps
    res.ratio                                                # non-saturating / minimax, at the end

Everything is seeded by ``seed`` (D's initialisation, the data, the evaluation noise) and the global RNG
state is left untouched.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from . import losses, validation
from .models.mlp import MLPDiscriminator
from .trainers.base import adam

__all__ = ["ShiftGenerator", "SaturationResult", "g_grad_norms", "train_d_against", "sweep", "default_measure_steps"]


class ShiftGenerator(nn.Module):
    """A fixed, learnable-in-principle generator G(z) = shift + scale * z with z ~ N(0, I).

    Its samples follow N(shift, scale^2 I) exactly, so ``log_prob`` gives p_g on a grid. Its parameters
    (``shift`` and ``log_scale``) are what G's gradient is taken with respect to: the gradient on ``shift``
    says how hard the loss pushes p_g towards (or away from) p_data.
    """

    def __init__(self, shift, scale: float = 1.0):
        super().__init__()
        shift = validation.array("shift", shift, ndim=(0, 1), finite=True, dtype=torch.float32).flatten()
        scale = validation.positive("scale", scale)
        self.z_dim = self.dim = shift.numel()
        self.shift = nn.Parameter(shift)
        self.log_scale = nn.Parameter(torch.tensor(math.log(scale)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (B, dim) -> (B, dim)
        return self.shift + self.log_scale.exp() * z

    @torch.no_grad()
    def log_prob(self, x) -> torch.Tensor:
        """log N(x; shift, scale^2 I) in float64; x is (N, dim), or (N,) when dim is 1."""
        x = torch.as_tensor(x, dtype=torch.float64)
        if self.dim == 1 and x.ndim == 1:
            x = x[:, None]
        if x.shape[-1] != self.dim:
            raise ValueError(f"x must have last dimension {self.dim}, got shape {tuple(x.shape)}")
        mu, log_s = self.shift.double(), self.log_scale.double()
        sq = (((x - mu) / log_s.exp()) ** 2).sum(-1)
        return -0.5 * sq - self.dim * (log_s + 0.5 * math.log(2 * math.pi))


@dataclass
class SaturationResult:
    """What :func:`train_d_against` measured, one entry per measured D step."""

    steps: list[int]                  # D steps taken before each measurement (0 = D at initialisation)
    grad_minimax: list[float]         # ||dL_G/dtheta_G|| for the minimax (saturating) loss
    grad_nonsaturating: list[float]   # the same for the non-saturating loss, on the same z
    d_fake: list[float]               # mean D(G(z)) = mean sigmoid(logit) on the fakes
    d_real: list[float]               # mean D(x) on real samples
    grid: torch.Tensor | None = None  # the points D was evaluated on at the end, if any
    d_on_grid: torch.Tensor | None = None  # D(x) (probabilities, float64) at those points after training
    settings: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Non-saturating over minimax gradient norm after the last measured step (inf if minimax is 0)."""
        mm, ns = self.grad_minimax[-1], self.grad_nonsaturating[-1]
        return ns / mm if mm > 0 else math.inf

    @property
    def ratios(self) -> list[float]:
        """Non-saturating over minimax gradient norm at each measured step."""
        return [ns / mm if mm > 0 else math.inf for mm, ns in zip(self.grad_minimax, self.grad_nonsaturating)]


def g_grad_norms(G: nn.Module, D: nn.Module, z: torch.Tensor) -> tuple[float, float]:
    """Norms of G's gradient under the minimax and the non-saturating loss, on the same noise ``z``.

    Uses ``torch.autograd.grad``, so neither G's nor D's ``.grad`` fields are touched.
    """
    G, D = validation.module("G", G), validation.module("D", D)
    params = [p for p in G.parameters() if p.requires_grad]
    if not params:
        raise validation.ArgumentError("G has no trainable parameters to take a gradient with respect to")
    z = validation.tensor("z", z, ndim=2, finite=False)
    if z.shape[1] != getattr(G, "z_dim", z.shape[1]):
        raise validation.ArgumentError(f"z must be (B, {G.z_dim}) noise for G, got shape {tuple(z.shape)}")
    try:
        d_fake = D(G(z))  # logits, (B,)
    except RuntimeError as e:
        raise validation.ArgumentError(f"D cannot take G's samples (or G its noise z {tuple(z.shape)}): {e}") from e
    out = []
    for loss_fn in (losses.minimax_g_loss, losses.nonsaturating_g_loss):
        grads = torch.autograd.grad(loss_fn(d_fake), params, retain_graph=True, allow_unused=True)
        sq = sum(float((g.double() ** 2).sum()) for g in grads if g is not None)
        out.append(math.sqrt(sq))
    return out[0], out[1]


def default_measure_steps(steps: int) -> list[int]:
    """0, 1, 3, 10, 30, 100, ... up to ``steps``, always ending with ``steps``."""
    steps = validation.nonneg_int("steps", steps)
    out, base = [0], 1
    while base <= steps:
        out += [s for s in (base, 3 * base) if s <= steps]
        base *= 10
    if out[-1] != steps:
        out.append(steps)
    return sorted(set(out))


def train_d_against(data, G: nn.Module, *, width: int = 64, depth: int = 2, lr: float = 1e-3, steps: int = 300,
                    batch_size: int = 256, act: str = "relu", betas=(0.5, 0.999), measure_at=None,
                    n_eval: int = 4096, grid=None, seed: int = 0, device=None) -> SaturationResult:
    """Train a fresh MLP discriminator against a fixed G and record G's gradient norms along the way.

    D minimises the minimax D loss E[softplus(-D(x))] + E[softplus(D(G(z)))] with Adam for ``steps`` steps,
    on fresh batches of ``batch_size`` real and fake samples; G is never updated. After each step listed in
    ``measure_at`` (default: 0, 1, 3, 10, 30, ... ``steps``), G's gradient norm under both G losses is
    measured on a fixed batch of ``n_eval`` noise vectors.

    Args:
        data: the real distribution (anything with ``sample(n, generator)``, e.g. ``gc.data.Mixture1D``).
        G: the fixed generator (needs ``z_dim`` and trainable parameters), e.g. :class:`ShiftGenerator`.
        width, depth, act: D's architecture (:class:`gancourse.models.MLPDiscriminator`): its capacity.
        lr, betas: D's Adam settings. steps: how many D updates (D's strength). batch_size: per update.
        grid: optional points (N, dim), or (N,) in 1-D, where D(x) is evaluated after training.
        seed: seeds D's initialisation, the batches and the evaluation noise.
        device: where to train (default CPU: these nets are too small for a GPU to help).
    Returns:
        A :class:`SaturationResult`.
    """
    steps, seed = validation.nonneg_int("steps", steps), validation.seed("seed", seed)
    batch_size, n_eval = validation.positive_int("batch_size", batch_size), validation.positive_int("n_eval", n_eval)
    if not hasattr(data, "sample"):
        raise validation.ArgumentError(f"data must have a sample(n, generator) method, got {type(data).__name__}")
    G = validation.module("G", G)
    z_dim = getattr(G, "z_dim", None)
    if z_dim is None:
        raise validation.ArgumentError("G needs a z_dim attribute (the size of its noise)")
    if isinstance(measure_at, (str, bytes)) or (measure_at is not None and not hasattr(measure_at, "__iter__")):
        raise validation.ArgumentError(f"measure_at must be a list of steps, got {measure_at!r}")
    if measure_at is None:
        measure_at = default_measure_steps(steps)
    measure_at = sorted({validation.nonneg_int("measure_at entries", s) for s in measure_at})
    if not measure_at:
        raise ValueError("measure_at must name at least one step")
    if measure_at[-1] > steps:
        raise ValueError(f"measure_at asks for step {measure_at[-1]} but D trains only {steps} steps")
    dev = validation.device("device", device) if device is not None else torch.device("cpu")
    betas = validation.betas("betas", betas)
    grid = None if grid is None else validation.array("grid", grid, ndim=(1, 2))

    data_rng = torch.Generator().manual_seed(seed + 1)
    eval_rng = torch.Generator().manual_seed(seed + 2)
    dim = data.sample(1, generator=torch.Generator().manual_seed(seed)).shape[-1]
    with torch.random.fork_rng(devices=[]):  # D's initialisation is seeded without touching the global RNG
        torch.manual_seed(seed)
        D = MLPDiscriminator(dim, width=width, depth=depth, act=act).to(dev)
    opt = adam(D.parameters(), lr, betas, dev, name="lr (D's learning rate)")
    G = G.to(dev)
    z_eval = torch.randn(n_eval, z_dim, generator=eval_rng).to(dev)
    real_eval = data.sample(n_eval, generator=eval_rng).to(dev)
    with torch.no_grad():
        out_dim = G(z_eval[:1]).shape[-1]
    if out_dim != dim:
        raise validation.ArgumentError(f"G makes {out_dim}-D samples but the data are {dim}-D")

    res = SaturationResult([], [], [], [], [], settings=dict(width=width, depth=depth, lr=lr, steps=steps,
                                                                  batch_size=batch_size, act=act, seed=seed))

    def measure(step):
        mm, ns = g_grad_norms(G, D, z_eval)
        with torch.no_grad():
            res.d_fake.append(float(torch.sigmoid(D(G(z_eval))).mean()))
            res.d_real.append(float(torch.sigmoid(D(real_eval)).mean()))
        res.steps.append(step)
        res.grad_minimax.append(mm)
        res.grad_nonsaturating.append(ns)

    todo = set(measure_at)
    if 0 in todo:
        measure(0)
    for step in range(1, steps + 1):
        real = data.sample(batch_size, generator=data_rng).to(dev)
        with torch.no_grad():
            fake = G(torch.randn(batch_size, z_dim, generator=data_rng).to(dev))
        loss = losses.minimax_d_loss(D(real), D(fake))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step in todo:
            measure(step)

    if grid is not None:
        pts = grid
        flat = pts[:, None] if pts.ndim == 1 else pts
        if flat.shape[1] != dim:
            raise validation.ArgumentError(f"grid must be (N, {dim}) points (or (N,) in 1-D), got shape "
                                           f"{tuple(pts.shape)}")
        with torch.no_grad():
            res.d_on_grid = torch.sigmoid(D(flat.to(dev, torch.float32))).double().cpu()
        res.grid = pts
    return res


def sweep(data, G: nn.Module, name: str, values, **kwargs) -> dict:
    """Run :func:`train_d_against` once per value of one D setting and collect the final gradient norms.

    ``name`` is one of ``width``, ``depth``, ``lr``, ``steps``; other settings come from ``kwargs``.
    Returns ``{"values": [...], "minimax": [...], "nonsaturating": [...], "d_fake": [...], "results": [...]}``,
    ready for ``gc.plots.plot_grad_norms(out["values"], {"minimax": ..., "non-saturating": ...})``.
    """
    allowed = ("width", "depth", "lr", "steps")
    if name not in allowed:
        raise validation.ArgumentError(f"cannot sweep {name!r}; choose one of {', '.join(allowed)}")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise validation.ArgumentError(f"values must be a list of settings to sweep, got {values!r}")
    values = list(values)
    if not values:
        raise validation.ArgumentError("values must not be empty")
    if name in kwargs:
        raise ValueError(f"{name!r} is the swept setting; do not also pass it as a keyword")
    out = {"values": values, "minimax": [], "nonsaturating": [], "d_fake": [], "results": []}
    for v in values:
        kw = dict(kwargs, **{name: v})
        if name == "steps":
            kw.setdefault("measure_at", [v])
        try:
            res = train_d_against(data, G, **kw)
        except validation.ArgumentError as e:
            if name not in str(e):
                raise
            raise validation.ArgumentError(f"values (the swept {name}): {e}") from e
        out["minimax"].append(res.grad_minimax[-1])
        out["nonsaturating"].append(res.grad_nonsaturating[-1])
        out["d_fake"].append(res.d_fake[-1])
        out["results"].append(res)
    return out
