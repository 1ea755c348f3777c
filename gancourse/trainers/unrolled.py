"""Unrolled GANs (Metz, Poole, Pfau and Sohl-Dickstein, 2017).

G does not play against today's D but against the D that k more updates would produce:

    theta_D^0 = theta_D,   theta_D^{i+1} = theta_D^i - update(grad_{theta_D} L_D(theta_D^i, theta_G))
    L_G^unrolled(theta_G) = L_G(D(G(z); theta_D^k))

and G's gradient flows *through* the k updates: theta_D^k depends on theta_G through the fakes in D's loss,
so dL_G/dtheta_G picks up a term that tells G how D will react to its move. That term is what stops G from
jumping onto the mode D currently likes best. To keep it, the updates are written as functions of D's
parameters (``torch.func.functional_call``) and their gradients are taken with ``create_graph=True``.
(Copying D and calling ``optimizer.step()`` in place, as many ports do, evaluates G's loss at the unrolled
parameters but drops that term: it is the plain GAN gradient at a different D.)

Two inner updates are provided:

- ``"adam"`` (default, as in the reference code): a differentiable copy of ``torch.optim.Adam`` that starts
  from D's real optimizer state (moments and step count), with D's learning rate, betas and eps. Its first
  unrolled step is exactly the update that D's optimizer would make next (tested).
- ``"sgd"``: theta <- theta - lr * grad. Simple and exactly what the lesson writes out; it needs a larger
  ``unroll_lr`` than Adam (an SGD step of size 1e-4 barely moves D).
"""
from __future__ import annotations

import torch
from torch.func import functional_call

from .. import losses, validation
from .gan import GANTrainer

__all__ = ["UnrolledGANTrainer", "d_params", "sgd_step", "adam_step", "adam_state", "unroll"]

INNER = ("adam", "sgd")


def d_params(D: torch.nn.Module) -> dict[str, torch.Tensor]:
    """D's parameters as detached leaves that require grad: the starting point theta_D^0 of an unroll."""
    D = validation.module("D", D)
    return {name: p.detach().requires_grad_(True) for name, p in D.named_parameters()}


def _full(x: torch.Tensor) -> torch.Tensor:
    """Half-precision outputs of autocast back to float32; float32/float64 left as they are."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _checked(D, params, real, fake, lr, d_loss):
    """The arguments every update takes, checked once (shapes only: no values are read)."""
    D = validation.module("D", D)
    if not isinstance(params, dict) or not params or not all(isinstance(p, torch.Tensor) for p in params.values()):
        raise validation.ArgumentError(f"params must be D's parameters by name (d_params(D)), got "
                                       f"{validation.shown(params)}")
    real = validation.tensor("real", real, finite=False)
    fake = validation.tensor("fake", fake, finite=False)
    if real.shape[1:] != fake.shape[1:]:
        raise validation.ArgumentError(f"real and fake must hold samples of one shape, got {tuple(real.shape)} and "
                                       f"{tuple(fake.shape)}")
    return D, params, real, fake, validation.positive("lr", lr), validation.function("d_loss", d_loss)


def _checked_state(state, params) -> dict:
    if not (isinstance(state, dict) and {"step", "m", "v"} <= set(state) and isinstance(state["m"], dict)
            and isinstance(state["v"], dict) and set(state["m"]) >= set(params) and set(state["v"]) >= set(params)):
        raise validation.ArgumentError(f"state must be D's Adam state {{'step', 'm', 'v'}} (adam_state(opt_D, D)), "
                                       f"got {validation.shown(state)}")
    return state


def _d_loss_grads(D, params, real, fake, d_loss):
    try:
        d_real = functional_call(D, params, (real,))
        d_fake = functional_call(D, params, (fake,))
    except (RuntimeError, validation.ArgumentError) as e:
        if isinstance(e, torch.OutOfMemoryError) or "CUDA" in str(e):
            raise
        raise validation.ArgumentError(f"real and fake of shape {tuple(real.shape[1:])} do not fit D (or params are "
                                       f"not D's): {e}") from e
    loss = d_loss(_full(d_real), _full(d_fake))
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    return loss, grads


def sgd_step(D, params: dict, real: torch.Tensor, fake: torch.Tensor, lr: float,
             d_loss=losses.minimax_d_loss) -> dict[str, torch.Tensor]:
    """One differentiable SGD step on D's loss: theta' = theta - lr * grad L_D(theta).

    ``fake`` keeps its graph to G, and the gradient is taken with ``create_graph=True``, so theta' is a
    differentiable function of both theta and G's parameters.
    """
    return _sgd(*_checked(D, params, real, fake, lr, d_loss))


def _sgd(D, params, real, fake, lr, d_loss):
    _, grads = _d_loss_grads(D, params, real, fake, d_loss)
    return {name: p - lr * g for (name, p), g in zip(params.items(), grads)}


def adam_state(optimizer: torch.optim.Optimizer, D: torch.nn.Module) -> dict:
    """A detached copy of the Adam state of D's parameters: {"step", "m", "v"} (zeros if D never stepped)."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise validation.ArgumentError(f"optimizer must be a torch.optim.Optimizer, got {validation.shown(optimizer)}")
    D = validation.module("D", D)
    m, v, step = {}, {}, None
    for name, p in D.named_parameters():
        st = optimizer.state.get(p, {})
        if "exp_avg" in st:
            m[name], v[name] = st["exp_avg"].detach(), st["exp_avg_sq"].detach()
            step = st["step"]
        else:
            m[name], v[name] = torch.zeros_like(p), torch.zeros_like(p)
    step = torch.zeros(()) if step is None else torch.as_tensor(step).detach().clone().float()
    return {"step": step, "m": m, "v": v}


def adam_step(D, params: dict, state: dict, real: torch.Tensor, fake: torch.Tensor, lr: float,
              betas=(0.5, 0.999), eps: float = 1e-8, d_loss=losses.minimax_d_loss) -> tuple[dict, dict]:
    """One differentiable Adam step on D's loss; returns (new params, new state). Same arithmetic as torch.optim.Adam:

        t <- t + 1;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
        theta <- theta - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """
    D, params, real, fake, lr, d_loss = _checked(D, params, real, fake, lr, d_loss)
    state = _checked_state(state, params)
    return _adam(D, params, state, real, fake, lr, validation.betas("betas", betas),
                 validation.positive("eps", eps), d_loss)


def _adam(D, params, state, real, fake, lr, betas, eps, d_loss):
    b1, b2 = betas
    _, grads = _d_loss_grads(D, params, real, fake, d_loss)
    step = state["step"] + 1
    bc1, bc2_sqrt = 1 - b1**step, (1 - b2**step).sqrt()
    new_params, m, v = {}, {}, {}
    for (name, p), g in zip(params.items(), grads):
        m[name] = b1 * state["m"][name] + (1 - b1) * g
        v[name] = b2 * state["v"][name] + (1 - b2) * g * g
        # clamp: sqrt has an infinite derivative at 0 (a dead unit's v stays 0); 1e-30 moves the value by 1e-15
        denom = v[name].clamp_min(1e-30).sqrt() / bc2_sqrt.to(g.device) + eps
        new_params[name] = p - (lr / bc1.to(g.device)) * m[name] / denom
    return new_params, {"step": step, "m": m, "v": v}


def unroll(D, params: dict, real: torch.Tensor, fake: torch.Tensor, steps: int, lr: float, inner: str = "adam",
           state: dict | None = None, betas=(0.5, 0.999), eps: float = 1e-8,
           d_loss=losses.minimax_d_loss) -> dict[str, torch.Tensor]:
    """theta_D^k after ``steps`` differentiable updates of D on the same (real, fake) batch."""
    validation.lookup("inner update", inner, INNER)
    D, params, real, fake, lr, d_loss = _checked(D, params, real, fake, lr, d_loss)
    steps = validation.nonneg_int("steps", steps)
    betas, eps = validation.betas("betas", betas), validation.positive("eps", eps)
    if inner == "adam":
        if state is None:
            raise validation.ArgumentError("state is needed by the adam inner update: pass "
                                           "state=adam_state(opt_D, D)")
        state = _checked_state(state, params)
    with torch.enable_grad():  # the updates are gradients, even when the caller evaluates under no_grad
        for _ in range(steps):
            if inner == "sgd":
                params = _sgd(D, params, real, fake, lr, d_loss)
            else:
                params, state = _adam(D, params, state, real, fake, lr, betas, eps, d_loss)
    return params


class UnrolledGANTrainer(GANTrainer):
    """A GAN whose generator minimises its loss against D unrolled ``unroll`` steps ahead.

    Each training step makes ``k`` ordinary D updates, then one G update (:meth:`g_step`, the only hook this
    trainer changes) whose loss is L_G(D(G(z); theta_D^unroll)), differentiated through the unrolled updates.
    The unroll uses the first real batch of the step and the same fakes G(z) throughout (as the reference code
    does); D itself is not changed by the unroll. ``unroll=0`` is exactly the plain :class:`GANTrainer`.

    Args:
        unroll: number of differentiable D updates G looks ahead (0, 1, 2, ...); a validated attribute the lab
            changes while training.
        inner: ``"adam"`` (default: a differentiable copy of D's Adam, from its current state) or ``"sgd"``.
        unroll_lr: learning rate of the inner updates; default D's learning rate ``lr_d``.
        Everything else as :class:`GANTrainer` (the reference settings: ``g_loss="minimax"``, lr_d=1e-4,
        lr_g=1e-3, betas (0.5, 0.999), unroll=5).
    """

    unroll = validation.Checked(validation.nonneg_int, doc="How many differentiable D updates G looks ahead.")

    def __init__(self, G, D, *, unroll: int = 5, inner: str = "adam", unroll_lr: float | None = None, **kwargs):
        super().__init__(G, D, **kwargs)
        self.unroll = unroll
        self.inner = validation.lookup("inner update", inner, INNER)
        group = self.opt_D.param_groups[0]
        self.unroll_lr = validation.positive("unroll_lr", group["lr"] if unroll_lr is None else unroll_lr)
        self.unroll_betas, self.unroll_eps = group["betas"], group["eps"]

    def unrolled_d_params(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """theta_D^unroll as a differentiable function of ``fake`` (and so of G's parameters)."""
        state = adam_state(self.opt_D, self.D) if self.inner == "adam" else None
        with self.autocast():
            return unroll(self.D, d_params(self.D), real, fake, self.unroll, self.unroll_lr, self.inner, state,
                          self.unroll_betas, self.unroll_eps, self.d_loss)

    def unrolled_g_loss(self, real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """L_G(D(G(z); theta_D^unroll)): differentiable in G's parameters, through the unrolled updates."""
        with self.autocast():
            fake = _full(self.G(z))
        params = self.unrolled_d_params(self.prepare(real), fake)
        with self.autocast():
            return self.g_loss(_full(functional_call(self.D, params, (fake,))))

    def g_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """One update of G against D unrolled ``self.unroll`` steps ahead; D's own weights are not touched."""
        with self.autocast():
            z = self.sample_z(real.shape[0])
        loss = self.unrolled_g_loss(real, z)
        # only G's gradients: the unroll's leaves are throwaway
        norm = self.update("G", loss, inputs=list(self.G.parameters()), norm=True)
        return {"loss_G": loss.detach(), "grad_G": norm}
