"""The second half of the bad-input table's rows (see bad_input_entries.py): trainers, widgets, the exercise
checkers and progressive growing."""
from __future__ import annotations

import torch

import gancourse as gc
from bad_input_entries import (BAD_BETAS, DENS, HIST, LOGITS, LP, LQ, NAN, POINTS, SAT_DATA, X1, E, cond_pair, cyc, gan,
                               imgs,
                               info_pair, mlp_pair, p2p, pts)
from bad_input_table import (COUNT, FLAG, GEN, INDEX, MODULE, NAME, NONNEG, PATH, POSITIVE, PROB, REAL, ROOT, SEED,
                             bad_tensors, fresh, opt)
from gancourse import losses, models, saturation, theory, trainers
from gancourse.data import toy

# ---------------------------------------------------------------------------------------------- trainers
LR = {"lr_d": POSITIVE, "lr_g": POSITIVE}
COMMON = {"device": ["tpu", 3.5, True], "seed": SEED, "amp": opt(FLAG), "sync_every": opt(COUNT),
          "channels_last": opt(FLAG)}
E("GANTrainer", trainers.GANTrainer, lambda: dict(zip(("G", "D"), mlp_pair()), device="cpu"),
  names={"g_loss": "generator loss", "d_loss": "discriminator loss", "k": "k (D steps"},
  G=MODULE, D=MODULE, z_dim=opt(COUNT), g_loss=NAME, d_loss=NAME, k=COUNT, betas=BAD_BETAS, **LR, **COMMON)
E("UnrolledGANTrainer", trainers.UnrolledGANTrainer, lambda: dict(zip(("G", "D"), mlp_pair()), device="cpu"),
  names={"inner": "inner update"}, unroll=INDEX, inner=NAME, unroll_lr=opt(POSITIVE))
E("WGANTrainer", trainers.WGANTrainer, lambda: dict(zip(("G", "D"), mlp_pair()), device="cpu"),
  names={"n_critic": "n_critic"}, n_critic=COUNT, clip=POSITIVE, **LR)
E("WGANGPTrainer", trainers.WGANGPTrainer, lambda: dict(zip(("G", "D"), mlp_pair()), device="cpu"),
  n_critic=COUNT, lam=NONNEG, betas=BAD_BETAS, **LR)
E("ConditionalGANTrainer", trainers.ConditionalGANTrainer, lambda: dict(zip(("G", "D"), cond_pair()), device="cpu"),
  n_classes=opt(COUNT) + [1])
E("InfoGANTrainer", trainers.InfoGANTrainer, lambda: dict(zip(("G", "D"), info_pair()), device="cpu"),
  G=[None, models.MLPGenerator(2, 2)], D=[None, models.MLPDiscriminator(2)], lambda_info=NONNEG,
  cont_weight=NONNEG)
E("Pix2PixTrainer", trainers.Pix2PixTrainer, lambda: {"G": models.UNetGenerator(1, 1, size=8, ngf=4),
                                                     "D": models.PatchGAN(2, ndf=4, n_layers=1), "device": "cpu"},
  names={"recon": "reconstruction loss"}, G=MODULE, D=["G", 1], lambda_l1=NONNEG, recon=NAME, gan_loss=NAME,
  lr=POSITIVE, lr_d=opt(POSITIVE), betas=BAD_BETAS, constant_steps=INDEX, decay_steps=INDEX)
E("CycleGANTrainer", trainers.CycleGANTrainer, lambda: {
    "G_AB": models.ResNetGenerator(1, 1, ngf=4, n_blocks=1), "G_BA": models.ResNetGenerator(1, 1, ngf=4, n_blocks=1),
    "D_A": models.PatchGAN(1, ndf=4, n_layers=1), "D_B": models.PatchGAN(1, ndf=4, n_layers=1), "device": "cpu"},
  G_AB=MODULE, D_B=MODULE, lambda_cycle=NONNEG, lambda_identity=NONNEG, pool_size=INDEX, lr=POSITIVE,
  betas=BAD_BETAS, constant_steps=INDEX, decay_steps=INDEX)
E("dcgan_trainer", trainers.dcgan_trainer, {"image_size": 8, "nz": 4, "ngf": 4, "ndf": 4, "channels": 1,
                                            "device": "cpu"},
  image_size=COUNT + [12], nz=COUNT, ngf=COUNT, ndf=COUNT, channels=COUNT, batchnorm=FLAG, leak=PROB, seed=SEED,
  device=["tpu", 3.5], lr_d=POSITIVE, lr_g=POSITIVE, betas=BAD_BETAS)
E("ImagePool", trainers.ImagePool, {"size": 2}, size=INDEX, generator=GEN, seed=SEED)
E("ImagePool.query", lambda **kw: trainers.ImagePool(2).query(**kw), {"fakes": imgs()},
  fakes=bad_tensors(imgs(), dtypes=False))

# the loop and its arguments
NP_DATA = pts(16).numpy()
E("Trainer.step", lambda **kw: gan().step(**kw), {"batch": pts()}, also=(gc.TrainingDiverged,),
  names={"batch": "batch"}, batch=POINTS)
E("Trainer.fit", lambda **kw: gan().fit(**kw), {"data": toy.ring(), "steps": 2, "batch_size": 4, "progress": False},
  data=[None, "ring", [], 3, {"x": 1}, NP_DATA, torch.zeros(0, 2)], steps=INDEX, batch_size=COUNT,
  callbacks=["x", 3, [3]], progress=FLAG)
E("Trainer.fit (tensor data)", lambda **kw: gan().fit(**kw), {"data": pts(16), "steps": 2, "batch_size": 4,
                                                            "progress": False},
  also=(gc.TrainingDiverged,), names={"data": "data"},
  data=[pts(16, 3), pts(16)[:, 0], pts(16).long(), torch.full((16, 2), NAN), (pts(16), torch.zeros(3))])
E("Trainer.d_step", lambda batch: gan().d_step(batch), {"batch": pts()}, names={"batch": "batch"},
  batch=[None, "x", pts(8, 3), pts()[:, 0], pts().long(), pts().numpy()])
E("Trainer.sample", lambda **kw: gan().sample(**kw), {"n": 3}, n=COUNT, z=["x", torch.randn(3, 5), pts().numpy()])
E("Trainer.infer", lambda **kw: gan().infer(mlp_pair()[0], torch.randn(3, 2), **kw), {}, batch_size=opt(COUNT))
E("Trainer.set_learning_rates", lambda **kw: gan().set_learning_rates(**kw), {"D": 1e-3}, names={"D": "D"},
  D=POSITIVE, X=[1e-3])
E("Trainer.decay_learning_rates", lambda **kw: gan().decay_learning_rates(**kw), {"decay_steps": 3},
  decay_steps=INDEX, constant_steps=opt(INDEX))
E("Trainer.k", lambda k: setattr(gan(), "k", k), {"k": 2}, names={"k": "k (D steps"}, k=COUNT)
E("Trainer.g_loss", lambda g_loss: setattr(gan(), "g_loss", g_loss), {"g_loss": "minimax"},
  names={"g_loss": "generator loss"}, g_loss=NAME)
E("Trainer.save_checkpoint", lambda **kw: gan().save_checkpoint(**kw), lambda: {"path": fresh("c.pt")},
  also=(IsADirectoryError,), path=PATH + [ROOT])
E("Trainer.load_checkpoint", lambda **kw: gan().load_checkpoint(**kw), lambda: {"path": _ckpt()},
  also=(FileNotFoundError, IsADirectoryError), path=PATH + [ROOT / "nowhere.pt", ROOT], keep_optimizer_lr=FLAG)
E("ConditionalGANTrainer.step", lambda **kw: trainers.ConditionalGANTrainer(*cond_pair(), device="cpu").step(**kw),
  {"batch": (imgs(), torch.tensor([0, 1, 2, 0]))}, also=(gc.TrainingDiverged,), names={"batch": "batch"},
  batch=[imgs(), (imgs(),), (imgs(), torch.tensor([0.0, 1, 2, 0])), (imgs(), torch.tensor([0, 1, 5, 0])),
         (imgs(), torch.tensor([0, 1])), (imgs(4, 3), torch.tensor([0, 1, 2, 0])), (None, torch.tensor([0, 1, 2, 0])),
         (imgs().numpy(), torch.tensor([0, 1, 2, 0])), (imgs(4, 1, 4), torch.tensor([0, 1, 2, 0]))])
E("ConditionalGANTrainer.sample",
  lambda **kw: trainers.ConditionalGANTrainer(*cond_pair(), device="cpu").sample(**kw), {"n": 3},
  names={"labels": "label"}, n=COUNT, labels=[-1, 5, "x", torch.tensor([0, 1]), torch.tensor([0.5, 1, 2]), True],
  z=["x", torch.randn(3, 5)])
E("InfoGANTrainer.step", lambda **kw: trainers.InfoGANTrainer(*info_pair(), device="cpu").step(**kw),
  {"batch": imgs()}, also=(gc.TrainingDiverged,), names={"batch": "batch"},
  batch=bad_tensors(imgs(), imgs(4, 3), imgs()[:, 0], imgs(4, 1, 4), nan=True))
E("InfoGANTrainer.sample_codes_grid",
  lambda **kw: trainers.InfoGANTrainer(*info_pair(), device="cpu").sample_codes_grid(**kw),
  {"c_cat": torch.tensor([0, 1])}, c_cat=[None, "x", torch.tensor([0, 7]), torch.tensor([0.5, 1.0])],
  c_cont=["x", torch.zeros(2, 5)], z=["x", torch.randn(2, 9)])
E("Pix2PixTrainer.step", lambda **kw: p2p().step(**kw), {"batch": (imgs(), imgs())},
  also=(gc.TrainingDiverged,), names={"batch": "batch"},
  batch=[imgs(), (imgs(),), (imgs(), imgs(3)), (imgs(4, 3), imgs()), (imgs(), imgs(4, 1, 4)), (imgs(), None),
         (imgs().long(), imgs()), (imgs(), imgs().numpy()), (imgs()[:0], imgs()[:0]), (imgs(4, 1, 6), imgs(4, 1, 6)),
         (imgs(), torch.full_like(imgs(), NAN))])
E("Pix2PixTrainer.translate", lambda **kw: p2p().translate(**kw), {"A": imgs()}, A=bad_tensors(imgs(), imgs(4, 3)),
  dropout=FLAG, batch_size=opt(COUNT))
E("CycleGANTrainer.step", lambda **kw: cyc().step(**kw), {"batch": (imgs(), imgs())},
  also=(gc.TrainingDiverged,), names={"batch": "batch"},
  batch=[imgs(), (imgs(),), (imgs(4, 3), imgs()), (imgs(), imgs(4, 3)), (imgs(), None), (imgs().long(), imgs()),
         (imgs()[:0], imgs()[:0]), (imgs(4, 1, 6), imgs()), (torch.full_like(imgs(), NAN), imgs())])
E("CycleGANTrainer.translate", lambda **kw: cyc().translate(**kw), {"x": imgs()},
  x=bad_tensors(imgs(), imgs(4, 3)), direction=NAME, batch_size=opt(COUNT))
E("UnrolledGANTrainer.step", lambda **kw: trainers.UnrolledGANTrainer(*mlp_pair(), device="cpu", unroll=1).step(**kw),
  {"batch": pts()}, also=(gc.TrainingDiverged,), names={"batch": "batch"}, batch=POINTS)
E("WGANGPTrainer.step", lambda **kw: trainers.WGANGPTrainer(*mlp_pair(), device="cpu", n_critic=1).step(**kw),
  {"batch": pts()}, also=(gc.TrainingDiverged,), names={"batch": "batch"}, batch=POINTS)

# building blocks
E("Checkpoint", trainers.Checkpoint, {"path": "run.pt"}, path=PATH, every=COUNT)
E("LinearDecay", trainers.LinearDecay, {"constant_steps": 1, "decay_steps": 2}, constant_steps=INDEX,
  decay_steps=INDEX)
E("adam", trainers.adam, lambda: {"params": mlp_pair()[1].parameters(), "lr": 1e-3}, names={"lr": "lr"},
  params=[None, "x", []], lr=POSITIVE, betas=BAD_BETAS, device=["tpu", 3.5])
E("grad_norm", trainers.grad_norm, lambda: {"params": mlp_pair()[1].parameters()}, params=[None, 3])
E("frozen", lambda modules: trainers.frozen(*modules).__enter__(), lambda: {"modules": [mlp_pair()[1]]},
  modules=[["x"], [3]])
E("make_sampler", trainers.make_sampler, {"data": pts(16), "batch_size": 4, "generator": torch.Generator(),
                                          "device": torch.device("cpu")},
  data=[None, "ring", [], 3, NP_DATA], batch_size=COUNT, generator=[None, "g"], device=["tpu", None])
E("History.last", lambda **kw: trainers.History(HIST).last(**kw), {"key": "loss_D"}, key=[None, "nope", 3],
  n=COUNT)
_CKPT = []


def _ckpt():
    if not _CKPT:
        _CKPT.append(fresh("valid.pt"))
        gan().save_checkpoint(_CKPT[0])
    return _CKPT[0]


# ---------------------------------------------------------------------------------------------- the unrolled update
def _unroll_args():
    D = mlp_pair()[1]
    return {"D": D, "params": trainers.unrolled.d_params(D), "real": pts(), "fake": pts(), "steps": 1, "lr": 0.1,
            "inner": "sgd"}


E("unrolled.unroll", trainers.unrolled.unroll, _unroll_args, names={"inner": "inner update"},
  D=MODULE, params=[None, "x", {}], real=bad_tensors(pts(), pts(8, 3)), fake=bad_tensors(pts(), pts(8, 3)),
  steps=INDEX, lr=POSITIVE, inner=NAME, betas=BAD_BETAS, eps=POSITIVE)
E("unrolled.d_params", trainers.unrolled.d_params, lambda: {"D": mlp_pair()[1]}, D=MODULE)
E("unrolled.adam_state", trainers.unrolled.adam_state, lambda: {"optimizer": torch.optim.Adam(
    mlp_pair()[1].parameters()), "D": mlp_pair()[1]}, optimizer=[None, "x"], D=MODULE)

# ---------------------------------------------------------------------------------------------- widgets
from gancourse.widgets import settings as lab_settings  # noqa: E402
from gancourse.widgets.lab import GANLab  # noqa: E402
from gancourse.widgets import strength  # noqa: E402
from gancourse.widgets.strength import DStrengthExplorer  # noqa: E402

E("GANLab", GANLab, {"resolution": 8, "n_show": 10, "n_eval": 20}, names={"data": "data"},
  data=NAME, resolution=COUNT + [4], n_show=COUNT, n_eval=COUNT, z_lines=COUNT, figsize=[None, "x", (1,), (NAN, 2)],
  dpi=COUNT, threads=opt(COUNT), lr_d=POSITIVE + [1.0], k=COUNT, method=NAME, loss=NAME, batch_size=COUNT,
  seed=SEED, slow_motion=FLAG, bogus=[1])
E("GANLab.step", lambda **kw: GANLab(resolution=8, n_show=10, n_eval=20).step(**kw), {"n": 1}, n=INDEX)
E("LabSettings.check", lab_settings.check, {"name": "k", "value": 3}, names={"name": "setting", "value": "k"},
  name=[None, 3, "bogus"], value=COUNT)
E("DStrengthExplorer", DStrengthExplorer, {"width": 4, "steps": 3, "widths": (4, 8), "step_choices": (0, 3),
                                           "batch_size": 8},
  data=["x", 3], G=["G", 3], gap=REAL, width=COUNT, lr=POSITIVE, steps=INDEX, depth=INDEX, batch_size=COUNT,
  seed=SEED, widths=[None, "x", [], [0], [2.5]], step_choices=[None, "x", [], [-1]],
  lr_choices=[None, "x", [], [-1.0], ["a"], [NAN]], lim=opt(POSITIVE), figsize=[None, "x", (1,)])
E("strength.lr_label", strength.lr_label, {"lr": 1e-3}, lr=POSITIVE)
E("saturation.DTraining", saturation.DTraining,
  lambda: {"data": SAT_DATA, "G": saturation.ShiftGenerator([2.0]), "width": 4, "steps": 2, "batch_size": 8,
           "n_eval": 8}, data=[None, "x", 3], G=MODULE, width=COUNT, depth=INDEX, lr=POSITIVE, steps=INDEX,
  batch_size=COUNT, act=NAME, betas=BAD_BETAS, measure_at=["x", [-1], [2.5]], n_eval=COUNT, grid=["x", pts(4, 3)],
  seed=SEED, device=["tpu", 3.5], names={"act": "activation"})
E("DTraining.advance", lambda **kw: saturation.DTraining(SAT_DATA, saturation.ShiftGenerator([2.0]), width=4, steps=2,
                                                          batch_size=8, n_eval=8).advance(**kw), {"n": 1}, n=INDEX)

# ---------------------------------------------------------------------------------------------- the course's start line
from gancourse import course, exercises  # noqa: E402

E("course.lesson_start", course.lesson_start, {"lesson": "03", "device": "cpu"}, lesson=[None, 3, "", "three", "3"],
  device=["tpu", 3.5])
E("course.lesson_times", course.lesson_times, {}, path=[3, ""])
E("course.expected", course.expected, {"lesson": "03", "budget": "smoke"}, lesson=[None, 3, "three"],
  budget=[None, 3, "huge"], device=[None, 3, "tpu"])
E("exercises.assigned_names", exercises.assigned_names, {"source": "x = 1"}, source=[None, 3, b"x = 1"])
E("exercises.start", exercises.start, {}, shell=["x", 3, object()])

# ---------------------------------------------------------------------------------------------- exercise checkers
from gancourse import checks  # noqa: E402

for _check, _fn in ((checks.check_d_loss, losses.minimax_d_loss), (checks.check_g_loss_minimax, losses.minimax_g_loss),
                    (checks.check_g_loss_nonsaturating, losses.nonsaturating_g_loss)):
    E(f"checks.{_check.__name__}", _check, {"fn": _fn}, fn=[None, "x", 3], stable=FLAG)


def _d_step(G, D, opt_D, real, z):
    """A correct solution of lesson 01's D-step exercise (the checker needs one that passes)."""
    with torch.no_grad():
        fake = G(z)
    loss = losses.minimax_d_loss(D(real), D(fake))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss


E("checks.check_d_step", checks.check_d_step, {"fn": _d_step}, fn=[None, "x", 3], lr=POSITIVE)
E("checks.check_unrolled_step", checks.check_unrolled_step, {"fn": trainers.unrolled.sgd_step}, fn=[None, "x", 3],
  lr=POSITIVE)
E("checks.check_gradient_penalty", checks.check_gradient_penalty, {"fn": losses.gradient_penalty}, fn=[None, "x", 3])
E("checks.check_adain", checks.check_adain, {"fn": models.style.adain}, fn=[None, "x", 3])
E("checks.check_info_loss", checks.check_info_loss, {"fn": losses.info_loss}, fn=[None, "x", 3])

# The exercises of issue 19: each checker's valid call is the tests' right solution.
from test_checks_coverage import mode_scores  # noqa: E402
from test_checks_lab import arrow_lengths, g_arrows  # noqa: E402
from test_checks_optimal import jsd_on_grid  # noqa: E402
from test_checks_saturation import g_grad_norm  # noqa: E402
from test_checks_w1 import w1_on_grid  # noqa: E402

for _check, _fn in ((checks.check_g_arrows, g_arrows), (checks.check_arrow_lengths, arrow_lengths),
                    (checks.check_g_grad_norm, g_grad_norm), (checks.check_optimal_d_logit, theory.optimal_d_logit),
                    (checks.check_jsd_on_grid, jsd_on_grid), (checks.check_mode_scores, mode_scores),
                    (checks.check_w1_on_grid, w1_on_grid)):
    E(f"checks.{_check.__name__}", _check, {"fn": _fn}, fn=[None, "x", 3])

# ---------------------------------------------------------------------------------------------- the rest
E("theory.optimal_d_logit", theory.optimal_d_logit, {"log_p_data": LP, "log_p_g": LQ}, log_p_data=DENS,
  log_p_g=[None, "x", LQ[:5]])
E("theory.value_optimal", theory.value_optimal, {"log_p_data": LP, "log_p_g": LQ, "x": X1}, log_p_data=DENS,
  log_p_g=[None, LQ[:5]], x=["x", X1[:5]], dx=[True, "x", NAN, -1.0, 0.0])
E("d_beliefs", trainers.gan.d_beliefs, {"d_real": torch.randn(8), "d_fake": torch.randn(6)}, d_real=LOGITS,
  d_fake=LOGITS)
E("unrolled.sgd_step", trainers.unrolled.sgd_step, lambda: {k: v for k, v in _unroll_args().items()
                                                             if k not in ("steps", "inner")},
  D=MODULE, params=[None, "x", {}], real=bad_tensors(pts(), pts(8, 3)), fake=bad_tensors(pts(), pts(8, 3)),
  lr=POSITIVE, d_loss=[None, "minimax", 3])
E("unrolled.adam_step", trainers.unrolled.adam_step, lambda: {
    **{k: v for k, v in _unroll_args().items() if k not in ("steps", "inner")},
    "state": {"step": torch.zeros(()), "m": {k: torch.zeros_like(p) for k, p in mlp_pair()[1].named_parameters()},
              "v": {k: torch.zeros_like(p) for k, p in mlp_pair()[1].named_parameters()}}},
  D=MODULE, params=[None, "x", {}], state=[None, "x", {}], real=bad_tensors(pts(), pts(8, 3)), lr=POSITIVE,
  betas=BAD_BETAS, eps=POSITIVE)
E("atomic_save", trainers.atomic_save, lambda: {"obj": {"w": torch.zeros(2)}, "path": fresh("s.pt")},
  also=(IsADirectoryError,), obj=[object(), lambda: 1], path=PATH + [ROOT])
E("load_state", trainers.load_state, lambda: {"path": _ckpt()}, also=(FileNotFoundError, IsADirectoryError),
  path=PATH + [ROOT / "nowhere.pt", ROOT])
E("LabSettings", lab_settings.LabSettings, {}, k=COUNT, lr_d=POSITIVE, data=NAME, method=NAME, batch_size=COUNT,
  seed=SEED, slow_motion=FLAG)

# ---------------------------------------------------------------------------------------------- lessons 06-10
# The image lessons' exercises (issue 19): each checker's valid call is the tests' right solution.
from test_checks_images import (cycle_loss, g_block, init_weights, modulate, pool_query,  # noqa: E402
                                projection_logit, receptive_field)


def unet_skip(up, skip):
    return torch.cat([up, skip], dim=1)


for _check, _fn in ((checks.check_generator_block, g_block), (checks.check_unet_skip, unet_skip),
                    (checks.check_receptive_field, receptive_field), (checks.check_cycle_loss, cycle_loss),
                    (checks.check_projection_logit, projection_logit), (checks.check_modulate, modulate)):
    E(f"checks.{_check.__name__}", _check, {"fn": _fn}, fn=[None, "x", 3])
E("checks.check_dcgan_init", checks.check_dcgan_init, {"fn": init_weights}, fn=[None, "x", 3], std=POSITIVE)
E("checks.check_pool_query", checks.check_pool_query, {"fn": pool_query}, fn=[None, "x", 3], seed=SEED)

# progressive growing (lesson 10)
from gancourse.models import progressive  # noqa: E402


def prog_pair():
    return (progressive.ProgressiveGenerator(z_dim=4, channels=2, max_size=8),
            progressive.ProgressiveDiscriminator(channels=2, max_size=8))


def prog(**kw):
    return trainers.ProgressiveGANTrainer(*prog_pair(), progressive.GrowthSchedule((4, 8), stable=1, fade=1),
                                          device="cpu", **kw)


SIDES = [None, "8", True, NAN, 2.5, -1, 0, 2, 12, 16]  # the models are built for sizes 4 and 8
E("ProgressiveGenerator", progressive.ProgressiveGenerator, {"z_dim": 4, "channels": 2, "max_size": 8},
  z_dim=COUNT, channels=COUNT, max_size=COUNT + [2, 12], out_channels=COUNT)
E("ProgressiveDiscriminator", progressive.ProgressiveDiscriminator, {"channels": 2, "max_size": 8},
  channels=COUNT, max_size=COUNT + [2, 12], in_channels=COUNT)
E("ProgressiveGenerator.set_stage", lambda **kw: prog_pair()[0].set_stage(**kw), {"size": 8, "alpha": 0.5},
  size=SIDES, alpha=PROB)
E("ProgressiveGenerator.forward", lambda **kw: prog_pair()[0](**kw), {"z": torch.randn(2, 4), "size": 8, "alpha": 0.5},
  z=bad_tensors(torch.randn(2, 4), torch.randn(2, 3), torch.randn(2), torch.randn(2, 4, 1)), size=opt(SIDES),
  alpha=opt(PROB))
E("ProgressiveGenerator.features", lambda **kw: prog_pair()[0].features(**kw), {"z": torch.randn(2, 4), "size": 8},
  z=bad_tensors(torch.randn(2, 4), torch.randn(2, 3)), size=SIDES)
E("ProgressiveDiscriminator.forward", lambda **kw: prog_pair()[1](**kw), {"x": imgs(2, 1, 8), "alpha": 0.5},
  x=bad_tensors(imgs(2, 1, 8), imgs(2, 1, 8)[:, 0], imgs(2, 3, 8), imgs(2, 1, 16), imgs(2, 1, 6),
                imgs(2, 1, 8)[..., :4]), alpha=opt(PROB))
E("GrowthSchedule", progressive.GrowthSchedule, {"sizes": (4, 8), "stable": 2, "fade": 2},
  sizes=[None, "x", 8, (), (4, 2), (4, 12), (8, 8), (4, 16), (2, 4), (4.5, 9), (True, 8), ("4", "8")],
  stable=COUNT, fade=COUNT)
E("GrowthSchedule.__call__", lambda **kw: progressive.GrowthSchedule((4, 8), 2, 2)(**kw), {"step": 3}, step=INDEX)
E("fade", progressive.fade, {"old": imgs(), "new": imgs(), "alpha": 0.5},
  old=bad_tensors(imgs(), imgs(4, 1, 4)), new=bad_tensors(imgs(), imgs(3)), alpha=PROB)
E("downsample", progressive.downsample, {"x": imgs(), "size": 4},
  x=bad_tensors(imgs(), imgs()[:, 0], imgs()[..., :4]), size=COUNT + [3, 16])
E("fade_in_reals", progressive.fade_in_reals, {"x": imgs(), "alpha": 0.5},
  x=bad_tensors(imgs(), imgs()[:, 0], imgs(4, 1, 7)), alpha=PROB)
E("ProgressiveGANTrainer", trainers.ProgressiveGANTrainer,
  lambda: {"G": prog_pair()[0], "D": prog_pair()[1], "schedule": progressive.GrowthSchedule((4, 8), 1, 1),
           "device": "cpu"},
  G=MODULE + [mlp_pair()[0]], D=MODULE + [mlp_pair()[1]],
  schedule=[None, "x", (4, 8), progressive.GrowthSchedule((8, 16), 1, 1)], betas=BAD_BETAS, **LR)
E("ProgressiveGANTrainer.step", lambda **kw: prog().step(**kw), {"batch": imgs(4, 1, 8)},
  also=(gc.TrainingDiverged,), names={"batch": "batch"},
  batch=bad_tensors(imgs(4, 1, 8), imgs(4, 3, 8), imgs(4, 1, 8)[:, 0], imgs(4, 1, 6), imgs(4, 1, 16), nan=True)
  + [(imgs(4, 1, 8), torch.zeros(4))])
E("ProgressiveGANTrainer.fit", lambda **kw: prog().fit(**kw),
  {"data": imgs(8, 1, 8), "steps": 2, "batch_size": 4, "progress": False}, also=(gc.TrainingDiverged,),
  names={"data": "data"}, data=[None, "x", imgs(8, 1, 8).numpy(), imgs(8, 1, 6), imgs(8, 3, 8),
                                torch.full((8, 1, 8, 8), NAN)])

# ---------------------------------------------------------------------------------------------- Lessons 11 and 12
# Their rows are in bad_input_entries_11_12.py; importing it adds them to ENTRIES.
import bad_input_entries_11_12  # noqa: E402,F401
