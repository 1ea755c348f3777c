"""Checkers of lesson 08: CycleGAN's cycle-consistency loss and the image pool's query."""
from __future__ import annotations

import math

import torch
from torch import nn

from .. import validation
from .core import diagnose, fail, keeps_global_rng, mean, name_of, passed, raised, scalar

__all__ = ["check_cycle_loss", "check_pool_query"]


class _Affine(nn.Module):
    """A mock generator x -> w x + c with two scalar parameters, so that the checker can write its gradients."""

    def __init__(self, w: float, c: float):
        super().__init__()
        self.w, self.c = nn.Parameter(torch.tensor(w)), nn.Parameter(torch.tensor(c))

    def forward(self, x):
        return self.w * x + self.c


def _sign(v: float) -> float:
    return (v > 0) - (v < 0)


@keeps_global_rng
def check_cycle_loss(fn) -> None:
    """Check ``fn(G_AB, G_BA, a, b, lam)``: CycleGAN's cycle-consistency loss
    lam * (mean |G_BA(G_AB(a)) - a| + mean |G_AB(G_BA(b)) - b|), the means over every pixel of the batch.

    Mocks: G_AB(x) = 2x + 0.5 and G_BA(x) = 0.25x - 0.5, whose round trips and gradients are written out here."""
    name = name_of(fn)
    wg, cg, wf, cf = 2.0, 0.5, 0.25, -0.5
    a_vals = [0.5, -1.0, 0.25, 0.8, -0.3, 1.0, 0.0, -0.6]
    b_vals = [-0.2, 0.9, -1.0, 0.4, 0.7, -0.8, 0.1, 0.3]
    G = lambda x: wg * x + cg  # noqa: E731  (the hand-written mocks)
    Fb = lambda x: wf * x + cf  # noqa: E731
    l1 = lambda xs, ys: mean([abs(x - y) for x, y in zip(xs, ys)])  # noqa: E731
    l2 = lambda xs, ys: mean([(x - y) ** 2 for x, y in zip(xs, ys)])  # noqa: E731
    rec_a, rec_b = [Fb(G(x)) for x in a_vals], [G(Fb(y)) for y in b_vals]
    cyc_a, cyc_b = l1(rec_a, a_vals), l1(rec_b, b_vals)
    checks = 0
    for lam in (10.0, 2.0):
        G_AB, G_BA = _Affine(wg, cg), _Affine(wf, cf)
        a = torch.tensor(a_vals).reshape(2, 1, 2, 2)
        b = torch.tensor(b_vals).reshape(2, 1, 2, 2)
        try:
            out = fn(G_AB, G_BA, a, b, lam)
        except Exception as exc:
            raised(name, exc, f"called as {name}(G_AB, G_BA, a, b, {lam}) with a, b of shape (2, 1, 2, 2)")
        value = scalar(name, out)
        expected = lam * (cyc_a + cyc_b)
        if not math.isclose(value, expected, rel_tol=1e-5, abs_tol=1e-6):
            candidates = {
                "you compared G_AB(a) with a and G_BA(b) with b: the cycle loss uses G_BA(G_AB(a)) vs a, there and "
                "back (that comparison is the identity loss's form)":
                    lam * (l1([G(x) for x in a_vals], a_vals) + l1([Fb(y) for y in b_vals], b_vals)),
                "the round trips are composed the wrong way: a goes through G_AB first (A -> B), then back through "
                "G_BA; b through G_BA, then G_AB": lam * (l1([G(Fb(x)) for x in a_vals], a_vals)
                                                          + l1([Fb(G(y)) for y in b_vals], b_vals)),
                "the A -> B -> A round trip is compared with b and the other with a (compare each with its own "
                "input)": lam * (l1(rec_a, b_vals) + l1(rec_b, a_vals)),
                "only the A -> B -> A cycle is there (add the B -> A -> B cycle)": lam * cyc_a,
                "only the B -> A -> B cycle is there (add the A -> B -> A cycle)": lam * cyc_b,
                "you square the errors: the cycle loss is an L1 loss (absolute error)":
                    lam * (l2(rec_a, a_vals) + l2(rec_b, b_vals)),
                "the loss is not weighted (multiply the sum of the two cycle terms by lam)": cyc_a + cyc_b,
                "lam weights only the first cycle term (it weights both)": lam * cyc_a + cyc_b,
                "lam weights only the second cycle term (it weights both)": cyc_a + lam * cyc_b,
                "you average the two cycle terms (add them)": lam * (cyc_a + cyc_b) / 2,
                "the errors are summed over the pixels and the batch (take their mean)":
                    lam * len(a_vals) * (cyc_a + cyc_b),
            }
            if lam != 10.0:
                candidates["the weight is fixed at 10 (use the argument lam)"] = 10.0 * (cyc_a + cyc_b)
            fail(name, f"(lam = {lam:g}) " + diagnose(value, expected, candidates))
        checks += 1
        if not out.requires_grad:
            fail(name, "the value is right but carries no gradient: keep the generators' outputs in the graph (no "
                       ".detach(), .item() or torch.no_grad()).")
        out.backward()
        ra, rb = [r - x for r, x in zip(rec_a, a_vals)], [r - y for r, y in zip(rec_b, b_vals)]
        n = len(a_vals)
        # d/dparam of lam * (mean |wf (wg a + cg) + cf - a| + mean |wg (wf b + cf) + cg - b|)
        grads = {
            "G_AB's weight": (G_AB.w, lam * (sum(_sign(r) * wf * x for r, x in zip(ra, a_vals))
                                             + sum(_sign(r) * Fb(y) for r, y in zip(rb, b_vals))) / n),
            "G_AB's bias": (G_AB.c, lam * (sum(_sign(r) * wf for r in ra) + sum(_sign(r) for r in rb)) / n),
            "G_BA's weight": (G_BA.w, lam * (sum(_sign(r) * G(x) for r, x in zip(ra, a_vals))
                                             + sum(_sign(r) * wg * y for r, y in zip(rb, b_vals))) / n),
            "G_BA's bias": (G_BA.c, lam * (sum(_sign(r) for r in ra) + sum(_sign(r) * wg for r in rb)) / n),
        }
        for label, (param, g) in grads.items():
            if param.grad is None or not math.isclose(float(param.grad), g, rel_tol=1e-4, abs_tol=1e-6):
                got = None if param.grad is None else round(float(param.grad), 5)
                fail(name, f"the gradient with respect to {label} is {got}, expected {g:.5g}: both generators "
                           "must be trained through both round trips (no .detach() inside the loss).")
        checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- image pool
def _simulate(calls, size, seed, variant="right"):
    """The documented pool on image ids (plain numbers): per call, u = rand(n) then j = randint(size, (n,)) from a
    generator seeded with ``seed``; while fewer than ``size`` images are stored, store the new one and return it;
    once full, with u[i] < 0.5 return the stored image at slot j[i] and store the new one there, else return the
    new one. ``variant`` reproduces one usual slip. Returns the outputs and the pool after each call."""
    gen = torch.Generator().manual_seed(seed)
    pool, outs, pools = [], [], []
    for ids in calls:
        n = len(ids)
        if size == 0:
            outs.append(list(ids))
            pools.append([])
            continue
        u = torch.rand(n, generator=gen).tolist()
        j = torch.randint(size, (n,), generator=gen).tolist()
        out = []
        for i, img in enumerate(ids):
            if len(pool) < size:
                pool.append(img)
                out.append(img)
                continue
            swap = {"right": u[i] < 0.5, "always_new": False, "always_stored": True, "inverted": u[i] >= 0.5,
                    "no_replace": u[i] < 0.5, "return_new": u[i] < 0.5}[variant]
            if swap:
                out.append(img if variant == "return_new" else pool[j[i]])
                if variant != "no_replace":
                    pool[j[i]] = img
            else:
                out.append(img)
        outs.append(out)
        pools.append(list(pool))
    return outs, pools


POOL_SLIPS = {
    "always_new": "once the pool is full it returns a stored image with probability 1/2 (when u[i] < 0.5); you "
                  "always returned the new one",
    "always_stored": "once the pool is full, a stored image is returned only when u[i] < 0.5 (probability 1/2); "
                     "otherwise the new fake itself; you always returned a stored one",
    "inverted": "swap when u[i] < 0.5, keep the new fake otherwise; your condition is the other way round",
    "no_replace": "when you hand D a stored image, the new fake takes its slot (pool[j[i]] = the new image); you "
                  "left the pool unchanged",
    "return_new": "when u[i] < 0.5, return the stored image you take out of slot j[i] (the new fake goes in its "
                  "place); you returned the new fake",
}


@keeps_global_rng
def check_pool_query(fn, seed: int = 3) -> None:
    """Check ``fn(pool, fakes, size, generator)``: the query of CycleGAN's image pool, as documented by
    :class:`gancourse.trainers.ImagePool`. ``pool`` is a list of stored images (changed in place), ``fakes``
    (n, C, H, W) the new fakes; return the (n, C, H, W) batch for D. With ``size`` 0 the pool is off (the fakes
    are returned, nothing is drawn). Otherwise draw, once per call and in this order,
    ``u = torch.rand(n, generator=generator)`` then ``j = torch.randint(size, (n,), generator=generator)``, and for
    each image i: while the pool holds fewer than ``size`` images, store it and return it; once full, if
    u[i] < 0.5 return the stored image at slot j[i] and store the new one there, else return the new one.

    The expected batches are worked out here on image ids (image k is filled with the value k), from the same
    seeded draws, for a pool of 3 queried with batches of 2, 2, 4, 4 and 3 images."""
    name = name_of(fn)
    seed = validation.seed("seed", seed)
    calls = [[1, 2], [3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15]]
    checks = 0
    for size in (3, 0):
        expected = _simulate(calls, size, seed)
        pool, gen, outs, pools = [], torch.Generator().manual_seed(seed), [], []
        for c, ids in enumerate(calls):
            fakes = torch.tensor(ids, dtype=torch.float32)[:, None, None, None].expand(-1, 1, 2, 2).clone()
            try:
                out = fn(pool, fakes, size, gen)
            except Exception as exc:
                if size == 0 and not isinstance(exc, NotImplementedError):
                    fail(name, f"size 0 turns the pool off: return the fakes before drawing anything (your code raised "
                               f"{type(exc).__name__}: {exc}).")
                raised(name, exc, f"call {c + 1} with {len(ids)} fakes, pool size {size}")
            if not isinstance(out, torch.Tensor) or out.shape != fakes.shape:
                fail(name, f"return a batch shaped like the fakes {tuple(fakes.shape)} (torch.stack the chosen "
                           f"images), got {tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
            outs.append([int(v) for v in out[:, 0, 0, 0].tolist()])
            pools.append([int(float(p.flatten()[0])) for p in pool])
        if (outs, pools) == expected:
            checks += 1
            continue
        c = next(c for c in range(len(calls)) if (outs[c], pools[c]) != (expected[0][c], expected[1][c]))
        where = (f"pool size {size}, call {c + 1} (fakes {calls[c]}, the pool holding "
                 f"{expected[1][c - 1] if c else []} before it)")
        if size == 0:
            fail(name, f"{where}: size 0 turns the pool off: return the fakes unchanged and store nothing.")
        if c == 0:
            fail(name, f"{where}: while the pool holds fewer than size images, store each fake and return it as "
                       f"is; got {outs[c]}, pool {pools[c]}.")
        for variant, slip in POOL_SLIPS.items():
            if _simulate(calls, size, seed, variant) == (outs, pools):  # the whole run follows this slip
                fail(name, f"{where}: {slip}.")
        fail(name, f"{where}: returned images {outs[c]} (expected {expected[0][c]}), pool {pools[c]} (expected "
                   f"{expected[1][c]}). Draw u = torch.rand(n, generator=generator), then "
                   "j = torch.randint(size, (n,), generator=generator), once per call before the loop, even "
                   "while the pool fills.")
    passed(name, checks)
