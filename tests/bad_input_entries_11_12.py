"""The bad-input table's rows for lessons 11 (training dynamics) and 12 (evaluation): added to ``ENTRIES`` of
bad_input_entries.py, which imports this module at its end (that file is near 600 lines)."""
from __future__ import annotations

import numpy as np
import torch

import gancourse as gc
from bad_input_entries import BAD_BETAS, LOGITS, POINTS, E, gan, mlp_pair, pts
from bad_input_table import COUNT, GEN, INDEX, MODULE, NAME, NONNEG, POSITIVE, PROB, REAL, bad_tensors
from gancourse import checks, dynamics, evaluation, sampling, trainers
from gancourse.widgets.dirac import DiracGANExplorer
from test_checks_lessons_11_12 import _fd, _jac, _r1_loss

NAN, INF = float("nan"), float("inf")
FNS = [None, "x", 3]

# ---------------------------------------------------------------------------------------------- exercise checkers
# each checker's valid call is the tests' right solution
E("checks.check_d_loss_r1", checks.check_d_loss_r1, {"fn": _r1_loss}, fn=FNS, gamma=POSITIVE)
E("checks.check_dirac_jacobian", checks.check_dirac_jacobian, {"fn": _jac}, fn=FNS)
E("checks.check_frechet_distance", checks.check_frechet_distance, {"fn": _fd}, fn=FNS)
E("checks.check_acceptance_probability", checks.check_acceptance_probability,
  {"fn": lambda l, log_m: (l - log_m).clamp(max=0).exp()}, fn=FNS)

# ---------------------------------------------------------------------------------------------- the Dirac-GAN
POINT = [None, "x", True, [], [1.0], [1.0, 2.0, 3.0], [NAN, 0.0], [INF, 0.0], [[1.0, 2.0]], torch.tensor([True, False])]
E("dynamics.DiracGAN", dynamics.DiracGAN, {}, names={"f": "f must"}, f=NAME, gamma=NONNEG, noise=NONNEG, gp=NONNEG)
for _fn in (dynamics.closed_form_jacobian, dynamics.closed_form_eigenvalues):
    E(f"dynamics.{_fn.__name__}", _fn, {"gamma": 0.3, "noise": 0.5}, names={"f": "f must"}, f=NAME, gamma=NONNEG,
      noise=NONNEG)
E("DiracGAN.field", lambda **kw: dynamics.DiracGAN(gamma=0.3).field(**kw), {"point": [[1.0, 0.5], [0.0, 0.0]]},
  point=POINT[:-2] + [torch.zeros(3, 3), torch.zeros(2, 2, 2)])
for _method in ("jacobian", "eigenvalues"):
    E(f"DiracGAN.{_method}", lambda _m=_method, **kw: getattr(dynamics.DiracGAN(noise=0.5), _m)(**kw),
      {"point": (0.5, 0.0)}, point=POINT)
E("DiracGAN.step", lambda **kw: dynamics.DiracGAN().step(**kw), {"point": [1.0, 1.0], "lr": 0.1},
  point=POINT, lr=POSITIVE, mode=NAME)
for _method in ("update_matrix", "spectral_radius"):
    E(f"DiracGAN.{_method}", lambda _m=_method, **kw: getattr(dynamics.DiracGAN(gamma=0.3), _m)(**kw), {"lr": 0.1},
      lr=POSITIVE, mode=NAME)
E("DiracGAN.trajectory", lambda **kw: dynamics.DiracGAN().trajectory(**kw),
  {"start": [1.0, 1.0], "lr": 0.1, "steps": 3}, start=POINT, lr=POSITIVE, steps=INDEX, mode=NAME)
E("DiracGAN.field_on_grid", lambda **kw: dynamics.DiracGAN().field_on_grid(**kw), {"lim": 2.0, "n": 5},
  lim=POSITIVE, n=COUNT)

SLIDER = {"lr": [True, "0.1", None, NAN, INF, 0.0, 5.0], "gamma": [True, "0", None, NAN, -1.0, 3.0],
          "noise": [True, "0", None, NAN, -1.0, 2.0], "mode": NAME}
E("DiracGANExplorer", DiracGANExplorer, {"steps": 5, "figsize": (4, 2)}, **SLIDER, steps=COUNT, start=POINT, f=NAME,
  lim=POSITIVE, figsize=[None, "x", (1,), (NAN, 2), (-1, 2)])
E("DiracGANExplorer.set", lambda **kw: DiracGANExplorer(steps=5, figsize=(4, 2)).set(**kw), {"gamma": 0.5},
  **SLIDER, bogus=[1])

# ---------------------------------------------------------------------------------------------- R1 and the EMA of G
E("R1GANTrainer", trainers.R1GANTrainer, lambda: dict(zip(("G", "D"), mlp_pair()), device="cpu"),
  G=MODULE, D=MODULE, gamma=NONNEG)
E("R1GANTrainer.step", lambda **kw: trainers.R1GANTrainer(*mlp_pair(), device="cpu").step(**kw), {"batch": pts()},
  also=(gc.TrainingDiverged,), names={"batch": "batch"}, batch=POINTS)
E("averaging.EMA", trainers.EMA, {"decay": 0.9}, decay=[True, "0.5", None, NAN, INF, -0.1, 1.0, 1.5], start=INDEX)
_EMA = []


def _ema():
    """An EMA fitted with a small GAN (built once), and its trainer."""
    if not _EMA:
        trainer, ema = gan(), trainers.EMA(decay=0.9)
        trainer.fit(pts(32), steps=3, batch_size=8, callbacks=[ema], progress=False)
        _EMA.append((ema, trainer))
    return _EMA[0]


E("EMA.weights", lambda **kw: trainers.EMA(decay=0.9).weights(**kw), {"steps": 3}, steps=INDEX)
E("EMA.sample", lambda **kw: _ema()[0].sample(**kw), lambda: {"trainer": _ema()[1], "n": 3},
  trainer=[None, "G", 3, mlp_pair()[0]], n=COUNT, z=["x", pts(3).numpy(), torch.randn(3, 5), torch.randn(4, 2),
                                                   torch.randn(3, 2).long()])

# ---------------------------------------------------------------------------------------------- evaluation
E("evaluation.precision_recall", evaluation.precision_recall, {"real": pts(), "fake": pts(6)},
  real=bad_tensors(pts(), pts()[:, 0], pts(8, 3), pts()[:3], torch.full((8, 2), INF), arrays=True, dtypes="bool",
                   nan=True),
  fake=bad_tensors(pts(6), pts(6, 3), pts(6)[:2], arrays=True, dtypes="bool", nan=True), k=COUNT + [8])
E("evaluation.frechet_distance", evaluation.frechet_distance, {"a": pts(), "b": pts(6)},
  a=bad_tensors(pts(), pts()[:, 0], pts(8, 3), pts()[:1], torch.full((8, 2), INF), arrays=True, dtypes="bool",
                nan=True),
  b=bad_tensors(pts(6), pts(6, 3), pts(6)[:1], arrays=True, dtypes="bool", nan=True))
MU, COV = np.array([0.5, -1.0]), np.array([[2.0, 0.3], [0.3, 1.0]])
E("evaluation.gaussian_frechet", evaluation.gaussian_frechet, {"mu1": MU, "cov1": COV, "mu2": -MU, "cov2": np.eye(2)},
  mu1=[None, "x", True, np.zeros(0), np.zeros((2, 2)), np.array([NAN, 0.0])],
  mu2=[None, "x", np.zeros(3), [INF, 0.0], torch.ones(2).bool()],
  cov1=[None, "x", np.eye(3), np.zeros((2, 2, 2)), np.array([[1.0, 0.5], [0.0, 1.0]]), -np.eye(2),
        np.full((2, 2), NAN)],
  cov2=[None, np.eye(3), np.array([[1.0, 2.0], [2.0, 1.0]]), torch.eye(2).bool()])

# ---------------------------------------------------------------------------------------------- using D after training
def _sampler_args():
    gen = torch.Generator().manual_seed(0)
    return {"sample_fn": lambda m: torch.randn(m, 2, generator=gen), "logit_fn": lambda x: -0.1 * x.pow(2).sum(1),
            "n": 4, "generator": torch.Generator().manual_seed(1)}


E("sampling.acceptance_probability", sampling.acceptance_probability, {"logits": torch.randn(8), "log_m": 1.0},
  logits=LOGITS + [torch.full((8,), NAN)], log_m=REAL)
E("sampling.rejection_sample", sampling.rejection_sample, lambda: {**_sampler_args(), "batch_size": 64, "burn_in": 64},
  sample_fn=FNS, logit_fn=FNS, n=COUNT, batch_size=COUNT, burn_in=COUNT, max_draws=COUNT + [64],
  log_m_quantile=PROB + [0], generator=GEN)
E("sampling.metropolis_hastings", sampling.metropolis_hastings, lambda: {**_sampler_args(), "chain_length": 3},
  sample_fn=FNS, logit_fn=FNS, n=COUNT, chain_length=COUNT, generator=GEN)
E("sampling.refine_discriminator", sampling.refine_discriminator,
  lambda: {"D": mlp_pair()[1], "real_fn": lambda m: pts(m), "sample_fn": lambda m: pts(m) + 1, "steps": 2,
           "batch_size": 8},
  D=MODULE, real_fn=FNS, sample_fn=FNS, steps=INDEX, batch_size=COUNT, lr=POSITIVE, betas=BAD_BETAS)
