"""The rows of the bad-input table (see bad_input_table.py): one per public function, class and method. This file
holds the helpers and the first half (data, models, losses, metrics, images, plots); bad_input_entries_training.py
the second (trainers, widgets, the exercise checkers, progressive growing)."""
from __future__ import annotations

import torch

import gancourse as gc
from bad_input_table import (COUNT, FLAG, GEN, INDEX, MNIST_FILES, MODULE, NAME, NONNEG, PATH, POSITIVE, PROB, REAL,
                             ROOT, SEED, Entry, bad_tensors, files, fresh, opt)
from gancourse import losses, metrics, models, theory, trainers
from gancourse.data import toy

ENTRIES: list[Entry] = []


def E(label_, fn_, valid_=None, names=None, also=(), **bad):
    """A row: the callable, a call that works (kwargs, or a function returning them), and bad values by argument."""
    ENTRIES.append(Entry(label_, fn_, valid_ or {}, bad, names or {}, also))


def pts(n=8, d=2):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(n))


def imgs(n=4, c=1, s=8):
    return torch.rand(n, c, s, s, generator=torch.Generator().manual_seed(n)) * 2 - 1


def mlp_pair():
    return models.MLPGenerator(2, 2, width=8), models.MLPDiscriminator(2, width=8)


def gan(**kw):
    return trainers.GANTrainer(*mlp_pair(), device="cpu", **kw)


def dcgan_pair():
    return models.DCGANGenerator(8, nz=4, ngf=4, channels=1), models.DCGANDiscriminator(8, ndf=4, channels=1)


def cond_pair():
    return (models.ConditionalGenerator(image_size=8, nz=4, n_classes=3, ngf=4, channels=1),
            models.ProjectionDiscriminator(image_size=8, n_classes=3, ndf=4, channels=1))


def info_pair():
    return (models.InfoGenerator(image_size=8, noise_dim=4, n_cat=3, n_cont=2, ngf=4, channels=1),
            models.InfoDiscriminator(image_size=8, n_cat=3, n_cont=2, ndf=4, channels=1, q_hidden=8))


def p2p(**kw):
    return trainers.Pix2PixTrainer(models.UNetGenerator(1, 1, size=8, ngf=4), models.PatchGAN(2, ndf=4, n_layers=1),
                                   device="cpu", **kw)


def cyc(**kw):
    g = [models.ResNetGenerator(1, 1, ngf=4, n_blocks=1) for _ in range(2)]
    d = [models.PatchGAN(1, ndf=4, n_layers=1) for _ in range(2)]
    return trainers.CycleGANTrainer(*g, *d, device="cpu", pool_size=2, **kw)


BAD_BETAS = [None, "x", (0.5,), (NAN := float("nan"), 0.9), (1.5, 0.9), (-0.1, 0.9), (True, 0.9)]
POINTS = bad_tensors(pts(), pts()[:, 0], pts(8, 3), torch.zeros(2, 2, 2), nan=True)
IMAGES = bad_tensors(imgs(), imgs()[:, 0], imgs(4, 3), imgs(4, 1, 4), nan=True)
LOGITS = bad_tensors(torch.randn(8))

# ---------------------------------------------------------------------------------------------- toy data
E("toy.ring", toy.ring, n_modes=COUNT, radius=POSITIVE, std=POSITIVE)
E("toy.grid", toy.grid, n_per_side=COUNT, spacing=POSITIVE, std=POSITIVE)
E("toy.GaussianMixture", toy.GaussianMixture, {"centers": [[0.0, 0.0], [1.0, 1.0]]},
  centers=[None, "x", [], [[NAN, 0.0]], [[INF := float("inf"), 0.0]], torch.zeros(0, 2), [[[0.0]]]],
  std=POSITIVE + [[1.0, -1.0], [1.0, 1.0, 1.0]], weights=["x", [1.0, -1.0], [NAN, 1.0], [0.0, 0.0], [1.0]])
E("toy.Mixture1D", toy.Mixture1D, {"means": [-1.0, 1.0]}, means=[None, "x", [], [NAN]], std=POSITIVE)
E("toy.Spiral", toy.Spiral, turns=POSITIVE, noise=POSITIVE, scale=POSITIVE)
E("toy.TwoMoons", toy.TwoMoons, noise=POSITIVE)
E("toy.make", toy.make, {"name": "ring"}, names={"name": "toy distribution"}, name=NAME)
E("ToyDistribution.sample", lambda **kw: toy.ring().sample(**kw), {"n": 4}, names={"n": "n (number"},
  n=COUNT, generator=GEN)
E("GaussianMixture.log_prob", lambda **kw: toy.ring().log_prob(**kw), {"x": pts()},
  x=[None, "x", pts(8, 3), torch.zeros(2, 3, 3)])

# ---------------------------------------------------------------------------------------------- models
E("MLP", models.MLP, {"in_dim": 2, "out_dim": 1, "width": 4}, names={"act": "activation"},
  in_dim=COUNT, out_dim=COUNT, width=COUNT, depth=INDEX, act=NAME)
E("MLPGenerator", models.MLPGenerator, {"width": 4}, names={"act": "activation"},
  z_dim=COUNT, out_dim=COUNT, width=COUNT, depth=INDEX, act=NAME)
E("MLPDiscriminator", models.MLPDiscriminator, {"width": 4}, names={"act": "activation"},
  in_dim=COUNT, width=COUNT, depth=INDEX, act=NAME)
E("FourierDiscriminator", models.FourierDiscriminator, {"n_features": 4, "width": 4}, names={"act": "activation"},
  in_dim=COUNT, n_features=COUNT, f_min=POSITIVE, f_max=POSITIVE + [0.1], width=COUNT, depth=INDEX, act=NAME,
  seed=SEED)
E("DCGANGenerator", models.DCGANGenerator, {"image_size": 8, "nz": 4, "ngf": 4},
  image_size=COUNT + [12, 4], nz=COUNT, ngf=COUNT, channels=COUNT, batchnorm=FLAG)
E("DCGANDiscriminator", models.DCGANDiscriminator, {"image_size": 8, "ndf": 4},
  image_size=COUNT + [12], ndf=COUNT, channels=COUNT, batchnorm=FLAG, leak=PROB)
E("ConditionalGenerator", models.ConditionalGenerator, {"image_size": 8, "nz": 4, "ngf": 4},
  image_size=COUNT + [12], nz=COUNT, n_classes=COUNT, ngf=COUNT, channels=COUNT, batchnorm=FLAG)
E("ProjectionDiscriminator", models.ProjectionDiscriminator, {"image_size": 8, "ndf": 4},
  image_size=COUNT + [12], n_classes=COUNT, ndf=COUNT, channels=COUNT, batchnorm=FLAG)
E("InfoGenerator", models.InfoGenerator, {"image_size": 8, "noise_dim": 4, "ngf": 4},
  image_size=COUNT, noise_dim=COUNT, n_cat=COUNT, n_cont=INDEX, ngf=COUNT, channels=COUNT, batchnorm=FLAG)
E("InfoDiscriminator", models.InfoDiscriminator, {"image_size": 8, "ndf": 4, "q_hidden": 4},
  image_size=COUNT, n_cat=COUNT, n_cont=INDEX, ndf=COUNT, channels=COUNT, batchnorm=FLAG, q_hidden=COUNT)
E("PatchGAN", models.PatchGAN, {"ndf": 4, "n_layers": 1}, in_ch=COUNT, ndf=COUNT, n_layers=COUNT, norm=NAME)
E("UNetGenerator", models.UNetGenerator, {"size": 8, "ngf": 4}, names={"size": "size"},
  in_ch=COUNT, out_ch=COUNT, size=COUNT + [12], ngf=COUNT, depth=opt(COUNT) + [9], norm=NAME, dropout=PROB,
  n_dropout=INDEX)
E("ResNetGenerator", models.ResNetGenerator, {"ngf": 4, "n_blocks": 1},
  in_ch=COUNT, out_ch=COUNT, ngf=COUNT, n_blocks=INDEX, norm=NAME)
E("ResidualBlock", models.cyclegan.ResidualBlock, {"channels": 4}, channels=COUNT, norm=NAME)
E("MappingNetwork", models.MappingNetwork, z_dim=COUNT, w_dim=COUNT, depth=COUNT, lr_mul=POSITIVE)
E("ModulatedConv2d", models.ModulatedConv2d, {"in_channels": 2, "out_channels": 2, "w_dim": 4},
  in_channels=COUNT, out_channels=COUNT, w_dim=COUNT, kernel_size=COUNT + [2], demodulate=FLAG, fused=FLAG)
E("StyleGenerator", models.StyleGenerator, {"z_dim": 4, "w_dim": 4, "size": 8, "channels": 4, "mapping_depth": 1},
  z_dim=COUNT, w_dim=COUNT, size=COUNT + [12], channels=COUNT, out_channels=COUNT, mapping_depth=COUNT,
  mixing_prob=PROB, fused=FLAG)
E("AdaIN", models.style.AdaIN, {"channels": 2, "w_dim": 4}, channels=COUNT, w_dim=COUNT)
E("PixelNorm", models.style.PixelNorm, eps=NONNEG)
E("NoiseInjection", models.style.NoiseInjection, {"channels": 2}, channels=COUNT)
E("StyleBlock", models.style.StyleBlock, {"in_channels": 2, "out_channels": 2, "w_dim": 4},
  in_channels=COUNT, out_channels=COUNT, w_dim=COUNT, upsample=FLAG, fused=FLAG)
E("ToImage", models.style.ToImage, {"in_channels": 2, "out_channels": 1, "w_dim": 4},
  in_channels=COUNT, out_channels=COUNT, w_dim=COUNT, fused=FLAG)
E("adain", models.style.adain, {"x": imgs(2, 3), "y_scale": torch.ones(2, 3), "y_bias": torch.zeros(2, 3)},
  x=bad_tensors(imgs(2, 3), imgs(2, 3)[:, 0]), y_scale=bad_tensors(torch.ones(2, 3), torch.ones(2, 4)),
  y_bias=bad_tensors(torch.zeros(2, 3), torch.zeros(3)), eps=NONNEG)
E("modulated_conv2d", models.style.modulated_conv2d,
  {"x": imgs(2, 3), "weight": torch.randn(4, 3, 3, 3), "style": torch.ones(2, 3), "padding": 1},
  x=bad_tensors(imgs(2, 3), imgs(2, 2)), weight=bad_tensors(torch.randn(4, 3, 3, 3), torch.randn(4, 2, 3, 3)),
  style=bad_tensors(torch.ones(2, 3), torch.ones(2, 2)), demodulate=FLAG, padding=INDEX, eps=NONNEG, fused=FLAG)
E("mix_styles", models.style.mix_styles, {"ws_a": torch.zeros(2, 4, 3), "ws_b": torch.ones(2, 4, 3), "crossover": 2},
  ws_a=bad_tensors(torch.zeros(2, 4, 3), torch.zeros(2, 3, 3)), ws_b=bad_tensors(torch.ones(2, 4, 3)),
  crossover=INDEX + [5])
E("truncate", models.style.truncate, {"w": torch.ones(2, 3), "w_avg": torch.zeros(3), "psi": 0.5},
  w=bad_tensors(torch.ones(2, 3), torch.ones(2, 4)), w_avg=bad_tensors(torch.zeros(3), torch.zeros(4)), psi=REAL)
E("StyleGenerator.ws", lambda **kw: models.StyleGenerator(4, 4, 8, 4, mapping_depth=1).ws(**kw),
  {"z": torch.randn(2, 4)}, z=bad_tensors(torch.randn(2, 4), torch.randn(2, 3)), psi=REAL)
E("receptive_field", models.receptive_field, {"model": models.PatchGAN(2, ndf=4, n_layers=1)},
  model=MODULE + [torch.nn.Linear(2, 2)])
E("patchgan_receptive_field", models.pix2pix.patchgan_receptive_field, n_layers=COUNT)
E("make_norm", models.pix2pix.make_norm, {"kind": "batch", "channels": 2}, names={"kind": "norm"},
  kind=NAME, channels=COUNT)
E("init_weights", models.pix2pix.init_weights, {"module": torch.nn.Conv2d(1, 1, 3)}, module=MODULE, std=POSITIVE)
E("dcgan_init", models.dcgan.dcgan_init, {"module": torch.nn.Conv2d(1, 1, 3)}, module=MODULE)
E("conv_layers", models.dcgan.conv_layers, {"model": dcgan_pair()[1], "input_shape": (1, 1, 8, 8)},
  model=MODULE, input_shape=[None, "x", (), (1, 1, 8), (0, 1, 8, 8), (1, 1, 8.5, 8), (1, 2, 8, 8)])
E("DCGANGenerator.forward", lambda **kw: dcgan_pair()[0](**kw), {"z": torch.randn(2, 4)},
  z=bad_tensors(torch.randn(2, 4), torch.randn(2, 3), torch.randn(2)))
E("DCGANDiscriminator.forward", lambda **kw: dcgan_pair()[1](**kw), {"x": imgs(2)},
  x=bad_tensors(imgs(2), imgs(2, 1, 4), imgs(2, 3)))
E("MLPDiscriminator.forward", lambda **kw: mlp_pair()[1](**kw), {"x": pts()}, x=bad_tensors(pts(), pts(8, 3)))
E("FourierDiscriminator.forward", lambda **kw: models.FourierDiscriminator(n_features=4, width=4)(**kw), {"x": pts()},
  x=bad_tensors(pts(), pts(8, 3)))

# ---------------------------------------------------------------------------------------------- losses
for _name in ("minimax_d_loss", "wgan_d_loss", "lsgan_d_loss"):
    E(f"losses.{_name}", getattr(losses, _name), {"d_real": torch.randn(8), "d_fake": torch.randn(6)},
      d_real=LOGITS + [torch.randn(4, 1)], d_fake=LOGITS + [torch.randn(3, 1), torch.randn(6, 1, 1)])
for _name in ("minimax_g_loss", "nonsaturating_g_loss", "wgan_g_loss", "lsgan_g_loss", "lsgan_g_loss_ref"):
    E(f"losses.{_name}", getattr(losses, _name), {"d_fake": torch.randn(8)}, d_fake=LOGITS)
for _name in ("l1_loss", "l2_loss"):
    E(f"losses.{_name}", getattr(losses, _name), {"fake": imgs(), "target": imgs()},
      fake=bad_tensors(imgs(), imgs(3)), target=bad_tensors(imgs(), imgs(4, 1, 4)))
E("losses.gradient_penalty", losses.gradient_penalty, lambda: {"D": mlp_pair()[1], "real": pts(), "fake": pts()},
  D=MODULE, real=bad_tensors(pts(), pts(6)), fake=bad_tensors(pts(), pts(8, 3)), generator=GEN, target=REAL)
E("losses.r1_penalty", losses.r1_penalty, lambda: {"D": mlp_pair()[1], "real": pts()}, D=MODULE,
  real=bad_tensors(pts(), pts(8, 3)))
E("losses.info_loss", losses.info_loss, {"cat_logits": torch.randn(4, 3), "cat_code": torch.tensor([0, 1, 2, 0]),
                                         "cont_pred": torch.randn(4, 2), "cont_code": torch.rand(4, 2)},
  cat_logits=bad_tensors(torch.randn(4, 3), torch.randn(4)), cat_code=[None, torch.zeros(4), torch.tensor([0, 1, 5, 0]),
                                                                         torch.zeros(3, dtype=torch.long)],
  cont_pred=bad_tensors(torch.randn(4, 2), torch.randn(4, 3)), cont_code=bad_tensors(torch.rand(4, 2)),
  cont_weight=NONNEG)
for _name, _what in (("get_g_loss", "generator loss"), ("get_d_loss", "discriminator loss"),
                     ("get_recon_loss", "reconstruction loss")):
    E(f"losses.{_name}", getattr(losses, _name), {"name": "l1" if "recon" in _name else "minimax"},
      names={"name": _what}, name=NAME)

# ---------------------------------------------------------------------------------------------- metrics, theory
RING = toy.ring().centers
E("metrics.mode_coverage", metrics.mode_coverage, {"samples": pts(), "centers": RING, "std": 0.1},
  samples=bad_tensors(pts(), pts(8, 3), arrays=True, dtypes="bool", nan=True),
  centers=bad_tensors(RING, RING[:, :1], arrays=True, dtypes="bool", nan=True) + [torch.full((3, 2), INF)], std=POSITIVE,
  threshold=POSITIVE)
E("metrics.nearest_mode_fractions", metrics.nearest_mode_fractions, {"samples": pts(), "centers": RING},
  samples=bad_tensors(pts(), pts(8, 3), arrays=True, dtypes="bool", nan=True),
  centers=bad_tensors(RING, arrays=True, dtypes="bool", nan=True))
E("metrics.blurred_histogram", metrics.blurred_histogram, {"points": pts(), "lo": -2.0, "hi": 2.0, "bins": 8},
  points=bad_tensors(pts(), pts(8, 3), pts()[:, 0], arrays=True, dtypes="bool", nan=True), lo=REAL + [3.0], hi=REAL,
  bins=COUNT, sigma=opt(POSITIVE))
E("metrics.js_kl_binned", metrics.js_kl_binned, {"real": pts(), "fake": pts(6), "lo": -2.0, "hi": 2.0, "bins": 8},
  real=bad_tensors(pts(), pts(8, 3), arrays=True, dtypes="bool", nan=True), fake=bad_tensors(pts(6), pts(6, 1), arrays=True, dtypes="bool"),
  lo=REAL + [3.0], hi=REAL, bins=COUNT, sigma=opt(POSITIVE))
X1 = theory.grid_1d(-3.0, 3.0, 61)
LP, LQ = theory.gaussian_log_pdf(X1), theory.gaussian_log_pdf(X1, 1.0)
DENS = bad_tensors(LP, LP[:5], LP[:, None].expand(61, 2), arrays=True, dtypes="bool")
E("theory.grid_1d", theory.grid_1d, {"lo": -1.0, "hi": 1.0, "n": 5}, lo=REAL + [2.0], hi=REAL, n=COUNT + [1])
E("theory.grid_2d", theory.grid_2d, {"lo": -1.0, "hi": 1.0, "n": 5}, lo=REAL + [2.0], hi=REAL, n=COUNT + [1])
E("theory.gaussian_log_pdf", theory.gaussian_log_pdf, {"x": X1}, x=[None, "x"], mu=REAL, sigma=POSITIVE)
E("theory.integrate", theory.integrate, {"values": LP.exp(), "x": X1}, values=[None, "x", LP[:5]],
  x=[1, "x", X1[:5]])
E("theory.optimal_d", theory.optimal_d, {"log_p_data": LP, "log_p_g": LQ}, log_p_data=[None, "x", LP[:5]],
  log_p_g=[None, "x", LQ[:5]])
E("theory.value", theory.value, {"d_logit": LP - LQ, "log_p_data": LP, "log_p_g": LQ, "x": X1},
  d_logit=[None, "x", LP[:5]], log_p_data=[None, "x", LP[:5]], log_p_g=[None, LQ[:5]], x=["x", X1[:5]],
  dx=[True, "x", NAN, -1.0, 0.0])
E("theory.value_mc", theory.value_mc, {"d_real": torch.randn(8), "d_fake": torch.randn(6)},
  d_real=bad_tensors(torch.randn(8), arrays=True, dtypes=False), d_fake=bad_tensors(torch.randn(6), arrays=True,
                                                                                   dtypes=False))
for _name in ("kl", "jsd"):
    E(f"theory.{_name}", getattr(theory, _name), {"log_p": LP, "log_q": LQ, "x": X1}, log_p=DENS,
      log_q=[None, "x", LQ[:5]], x=["x", X1[:5]], dx=[True, "x", NAN, -1.0, 0.0])
E("theory.wasserstein_1d", theory.wasserstein_1d, {"log_p": LP, "log_q": LQ, "x": X1}, log_p=DENS,
  log_q=[None, LQ[:5]], x=[None, "x", X1[:5]])
E("theory.wasserstein_1d_samples", theory.wasserstein_1d_samples, {"a": torch.randn(5), "b": torch.randn(5)},
  a=[None, "x", torch.zeros(0), torch.randn(4), torch.full((5,), NAN)], b=[None, torch.randn(6)])
E("theory.d_logits_on", theory.d_logits_on, lambda: {"D": mlp_pair()[1], "x": pts()}, D=MODULE,
  x=[None, "x", pts(8, 3)])
E("theory.soft_penalty_critic_1d", theory.soft_penalty_critic_1d,
  {"mu_real": 0.0, "std_real": 1.0, "mu_fake": 2.0, "std_fake": 1.0, "lam": 1.0, "n": 101, "n_eps": 20},
  mu_real=REAL, std_real=POSITIVE, mu_fake=REAL, std_fake=POSITIVE, lam=POSITIVE, n=COUNT + [1], n_eps=COUNT,
  width=POSITIVE)

# ---------------------------------------------------------------------------------------------- images
from gancourse import classifiers, images, img2img, plots, saturation  # noqa: E402
from gancourse.data import archives, digits, download, folder, mnist, scenes, translation  # noqa: E402

IMG_ARRAYS = [None, "x", imgs()[:0], torch.zeros(2, 2, 2, 2, 2), torch.full((2, 1, 4, 4), NAN)]
E("images.as_batch", images.as_batch, {"images": imgs()}, images=IMG_ARRAYS + [torch.zeros(4)])
E("images.make_grid", images.make_grid, {"images": imgs()}, images=IMG_ARRAYS + [imgs(4, 2)], nrow=COUNT,
  padding=INDEX, value_range=["x", (1, 1), (NAN, 1), (0,), (1, -1)], pad_value=PROB)
E("images.show_grid", images.show_grid, {"images": imgs()}, images=IMG_ARRAYS, nrow=COUNT, padding=INDEX,
  value_range=["x", (1, 1)], cmap=[3], ax=["x", 3])
E("images.resize", images.resize, {"images": imgs(), "size": 4}, names={"mode": "resize mode"},
  images=bad_tensors(imgs(), imgs()[0]), size=COUNT + [(4,), (4, 0), (4, 2.5)], mode=NAME, antialias=opt(FLAG))
E("images.center_crop", images.center_crop, {"images": imgs(), "size": 4},
  images=bad_tensors(imgs(), imgs()[0, 0, 0], dtypes=False), size=COUNT + [(4,), 9, (4, 9)])
E("images.to_signed", images.to_signed, {"x": imgs()}, x=bad_tensors(imgs(), dtypes=False))
E("images.to_unit", images.to_unit, {"x": imgs()}, x=bad_tensors(imgs(), dtypes=False))
E("images.random_hflip", images.random_hflip, {"images": imgs()}, names={"p": "p (a probability)"},
  images=bad_tensors(imgs(), imgs()[0], dtypes=False), p=PROB, generator=GEN)
E("img2img.l1_error", img2img.l1_error, {"fake": imgs(), "real": imgs()}, fake=bad_tensors(imgs(), imgs(3), dtypes="bool"),
  real=bad_tensors(imgs(), imgs(4, 3), dtypes="bool"))
E("img2img.hf_energy", img2img.hf_energy, {"x": imgs()}, x=bad_tensors(imgs(), imgs(4, 1, 2), imgs()[0], dtypes="bool"))
E("img2img.sharpness_ratio", img2img.sharpness_ratio, {"fake": imgs(), "real": imgs()},
  fake=bad_tensors(imgs(), imgs(4, 3), dtypes="bool"), real=bad_tensors(imgs(), imgs(4, 1, 2), dtypes="bool"))
E("img2img.patch_swd", img2img.patch_swd, {"x": imgs(), "y": imgs(), "patch": 3, "n_patches": 16, "n_proj": 8},
  x=bad_tensors(imgs(), imgs(4, 3), dtypes="bool"), y=bad_tensors(imgs(), imgs(4, 1, 2), dtypes="bool"), patch=COUNT + [9], n_patches=COUNT,
  n_proj=COUNT, seed=SEED)
E("img2img.optimal_constant_predictors", img2img.optimal_constant_predictors, {"samples": imgs()},
  samples=bad_tensors(imgs(), imgs()[0], dtypes="bool"))
E("img2img.DomainClassifier", img2img.DomainClassifier, channels=COUNT, width=COUNT)
E("DomainClassifier.prob_b", lambda **kw: img2img.DomainClassifier(1, 4).prob_b(**kw), {"x": imgs()},
  x=bad_tensors(imgs(), imgs(4, 3), imgs()[0], dtypes="bool"), batch_size=COUNT)
E("img2img.train_domain_classifier", img2img.train_domain_classifier,
  {"A": imgs(), "B": imgs(), "steps": 1, "batch_size": 2, "width": 2},
  A=bad_tensors(imgs(), imgs()[0], imgs(4, 3), dtypes="bool"), B=bad_tensors(imgs(), imgs(4, 1, 4), dtypes="bool"), steps=COUNT,
  batch_size=COUNT, lr=POSITIVE, width=COUNT, seed=SEED)

# ---------------------------------------------------------------------------------------------- classifiers
LABELS = torch.tensor([0, 1, 2, 3])


def clf():
    return classifiers.DigitClassifier(1, 10, 2)


E("classifiers.DigitClassifier", classifiers.DigitClassifier, {"width": 2}, channels=COUNT, n_classes=COUNT,
  width=COUNT)
E("DigitClassifier.predict_proba", lambda **kw: clf().predict_proba(**kw), {"images": imgs(4, 1, 16)},
  images=bad_tensors(imgs(4, 1, 16), imgs(4, 3, 16), imgs(4, 1, 16)[0], empty=False), batch_size=COUNT)
E("classifiers.accuracy", classifiers.accuracy, lambda: {"model": clf(), "images": imgs(4, 1, 16), "labels": LABELS},
  model=MODULE, images=bad_tensors(imgs(4, 1, 16), imgs(3, 1, 16)), labels=[None, "x", LABELS.float(), LABELS[:3],
                                                                            LABELS.numpy()])
E("classifiers.train_digit_classifier", classifiers.train_digit_classifier,
  {"images": imgs(4, 1, 16), "labels": LABELS, "epochs": 1, "batch_size": 2, "width": 2},
  images=bad_tensors(imgs(4, 1, 16), imgs(4, 1, 16)[0], imgs(3, 1, 16), nan=True),
  labels=[None, "x", LABELS.float(), LABELS[:3], torch.tensor([0, 1, 2, -1]), LABELS.numpy()],
  test_images=["x", imgs(4, 1, 8)], test_labels=["x", LABELS[:3]], epochs=COUNT, batch_size=COUNT, lr=POSITIVE,
  width=COUNT, max_shift=opt(INDEX) + [16], seed=SEED, device=["tpu", 3.5])
E("classifiers.digit_classifier", classifiers.digit_classifier, {"size": 8, "epochs": 1},
  names={"size": "size"}, size=COUNT + [4], seed=SEED, epochs=COUNT)
E("classifiers.class_counts", classifiers.class_counts, lambda: {"model": clf(), "images": imgs(4, 1, 16)},
  model=MODULE, images=bad_tensors(imgs(4, 1, 16), imgs(4, 3, 16), empty=False), min_confidence=PROB)

# ---------------------------------------------------------------------------------------------- data
E("digits.load_digits", digits.load_digits, {"size": 8, "classes": [0]}, names={"mode": "resize mode"},
  size=COUNT + [4], mode=NAME, classes=["x", [], [10], [0.5], [True], 3])
E("digits.train_test_split", digits.train_test_split, {"images": imgs(4), "labels": torch.tensor([0, 0, 1, 1])},
  images=[None, "x", imgs(3)], labels=[None, "x", torch.tensor([0, 1])], test_fraction=PROB + [0.0, 1.0], seed=SEED)
E("scenes.sample_layouts", scenes.sample_layouts, {"n": 2, "size": 8}, n=COUNT, size=COUNT + [4], generator=GEN)
E("scenes.label_image", scenes.label_image, {"labels": torch.zeros(2, 8, 8, dtype=torch.long)},
  labels=[None, "x", torch.zeros(2, 8, 8), torch.zeros(8, 8, dtype=torch.long), torch.full((2, 8, 8), 99)])
E("scenes.render", scenes.render, lambda: {"layouts": scenes.sample_layouts(2, 8)},
  layouts=[None, "x", torch.zeros(2, 8, 8)], style=NAME, generator=GEN)
E("scenes.paired_scenes", scenes.paired_scenes, {"n": 2, "size": 8}, n=COUNT, size=COUNT, seed=SEED, style=NAME,
  generator=GEN)
E("scenes.unpaired_scenes", scenes.unpaired_scenes, {"n": 2, "size": 8}, n=COUNT, size=COUNT, seed=SEED,
  styles=[None, "day", ("day",), ("day", "bogus"), (1, 2)], n_b=opt(COUNT), generator=GEN)
E("scenes.Unpaired", scenes.Unpaired, {"A": imgs(), "B": imgs()}, A=bad_tensors(imgs(), imgs()[0], dtypes=False),
  B=bad_tensors(imgs(), dtypes=False))
E("Unpaired.sample", lambda **kw: scenes.Unpaired(imgs(), imgs()).sample(**kw), {"n": 2}, n=COUNT, generator=GEN)
def at(**kwargs):
    files()  # build the fixture files first
    return kwargs


E("folder.load_image_folder", folder.load_image_folder, lambda: at(root=ROOT / "folder", size=4),
  also=(FileNotFoundError,), root=PATH + [ROOT / "nowhere"], size=COUNT, crop=opt(COUNT) + [99], grey=FLAG,
  limit=opt(COUNT), with_labels=FLAG, extensions=["png", [".png", 3], [], None])
E("folder.load_celeba", folder.load_celeba, lambda: at(root=ROOT / "celeba", size=4, crop=8), also=(FileNotFoundError,),
  root=PATH, size=COUNT, crop=COUNT, limit=opt(COUNT), url=["", 3, "ftp://x"], sha256=["", "abc", 3])
def _with_fake_hashes(load, spec):
    def call(**kwargs):
        published = spec["files"]
        spec["files"] = MNIST_FILES
        try:
            return load(**kwargs)
        finally:
            spec["files"] = published
    return call


for _load, _spec in ((mnist.load_mnist, mnist.MNIST), (mnist.load_fashion_mnist, mnist.FASHION_MNIST)):
    E(f"mnist.{_load.__name__}", _with_fake_hashes(_load, _spec), lambda: at(root=ROOT / "mnist", size=8),
      also=(FileNotFoundError,), root=PATH, train=FLAG, size=opt(COUNT), download=FLAG, limit=opt(COUNT),
      timeout=POSITIVE)
E("mnist.read_idx", mnist.read_idx, lambda: at(path=ROOT / "mnist" / "t10k-labels-idx1-ubyte.gz"),
  also=(FileNotFoundError, IsADirectoryError), path=PATH + [ROOT / "nowhere", ROOT])
E("translation.load_side_by_side", translation.load_side_by_side, lambda: at(folder=ROOT / "facades" / "train"),
  also=(FileNotFoundError,), folder=PATH + [ROOT / "nowhere"], size=opt(COUNT), limit=opt(COUNT), swap=FLAG)
E("translation.load_facades", translation.load_facades, lambda: at(root=ROOT / "facades"),
  also=(FileNotFoundError,), root=PATH, split=NAME, size=opt(COUNT), limit=opt(COUNT))
E("translation.load_horse2zebra", translation.load_horse2zebra, lambda: at(root=ROOT / "h2z", size=8),
  also=(FileNotFoundError,), root=PATH, split=NAME, size=COUNT, limit=opt(COUNT))
for _dl, _archive in ((translation.download_facades, "facades.tar.gz"),
                      (translation.download_horse2zebra, "horse2zebra.zip")):
    E(f"translation.{_dl.__name__}", _dl, lambda a=_archive: at(root=fresh("dl"), sha256=files()[a],
                                                               url=(ROOT / a).as_uri()),
      root=PATH, sha256=[None, "", "abc", 3], url=[None, "", 3, "ftp://x"])
E("download.download", download.download,
  lambda: at(url=(ROOT / "blob.bin").as_uri(), path=fresh("blob.bin"), sha256=files()["blob.bin"]),
  url=[None, "", 3, "ftp://x", "no url"], path=PATH + [ROOT], sha256=[None, "", "abc", 3], timeout=POSITIVE,
  chunk_size=COUNT, keep_partial=FLAG, progress=FLAG)
E("download.check_url", download.check_url, {"url": "https://example.org/a.zip"},
  url=[None, 3, True, "", "ftp://example.org/a.zip", "example.org/a.zip"])
E("download.check_sha256", download.check_sha256, {"sha256": "0" * 64}, sha256=[None, 3, True, "", "xyz", "0" * 63])
E("download.sha256sum", download.sha256sum, lambda: at(path=ROOT / "blob.bin"),
  also=(FileNotFoundError, IsADirectoryError), path=PATH + [ROOT / "nowhere", ROOT], chunk_size=COUNT)
E("archives.safe_extract", archives.safe_extract, lambda: at(archive=ROOT / "a.zip", dest=fresh("x")),
  also=(FileNotFoundError,), archive=PATH + [ROOT / "nowhere.zip"], dest=PATH, overwrite=FLAG, max_bytes=COUNT,
  max_members=COUNT)

# ---------------------------------------------------------------------------------------------- plots
HIST = {"step": [1, 2, 3], "loss_D": [1.0, 0.9, 0.8], "loss_G": [0.7, 0.8, 0.9]}
E("plots.plot_densities_1d", plots.plot_densities_1d, {"x": X1, "p_data": LP.exp(), "p_g": LQ.exp()},
  x=[None, "x", X1[:5]], p_data=[None, "x", LP[:5]], p_g=["x", LQ[:5]], d=["x", LQ[:5]], d_star=["x", LQ[:5]],
  ax=["x", 3])
E("plots.plot_samples_2d", plots.plot_samples_2d, {"real": pts(), "fake": pts(6), "centers": RING},
  real=["x", pts(8, 3), pts()[:, 0]], fake=["x", pts(6, 1)], centers=["x", RING[:, :1]], ax=["x", 3], lim=REAL[:2]
  + [NAN, -1.0, 0.0], s=[True, "x", NAN, -1.0])
E("plots.plot_d_heatmap_2d", plots.plot_d_heatmap_2d, lambda: {"D": mlp_pair()[1], "lim": 2.0, "n": 5},
  D=MODULE, lim=POSITIVE, ax=["x", 3], n=COUNT)
E("plots.plot_critic_2d", plots.plot_critic_2d, lambda: {"D": mlp_pair()[1], "lim": 2.0, "n": 5, "fake": pts(),
                                                      "arrows": 2},
  D=MODULE, lim=POSITIVE, ax=["x", 3], n=COUNT, fake=["x", pts(8, 3)], arrows=INDEX)
E("plots.plot_history", plots.plot_history, {"history": HIST}, history=[None, "x", {}, {"step": [1]}],
  keys=[["nope"], None, 3, []], ax=["x", 3], smooth=COUNT, logy=FLAG)
E("plots.plot_grad_norms", plots.plot_grad_norms, {"strengths": [1, 2], "norms": {"a": [1.0, 2.0]}},
  strengths=[None, "x"], norms=[None, "x", {"a": [1.0]}, {"a": "x"}], ax=["x", 3])
E("plots.LivePlot", plots.LivePlot, {"draw": lambda trainer, fig: None}, draw=[None, "x", 3], every=COUNT,
  figsize=[None, "x", (1,), (NAN, 2), (-1, 2)], ncols=COUNT)

# ---------------------------------------------------------------------------------------------- saturation, theory lab
SAT_DATA = toy.Mixture1D([0.0], std=0.5)
E("saturation.ShiftGenerator", saturation.ShiftGenerator, {"shift": [1.0]},
  shift=[None, "x", [], [NAN], [INF]], scale=POSITIVE)
E("saturation.g_grad_norms", saturation.g_grad_norms,
  lambda: {"G": saturation.ShiftGenerator([1.0]), "D": models.MLPDiscriminator(1, width=4), "z": torch.randn(8, 1)},
  G=MODULE, D=MODULE, z=bad_tensors(torch.randn(8, 1), torch.randn(8, 2)))
E("saturation.train_d_against", saturation.train_d_against,
  lambda: {"data": SAT_DATA, "G": saturation.ShiftGenerator([2.0]), "width": 4, "steps": 2, "batch_size": 8,
           "n_eval": 8}, data=[None, "x", 3], G=MODULE, width=COUNT, depth=INDEX, lr=POSITIVE, steps=INDEX,
  batch_size=COUNT, act=NAME, betas=BAD_BETAS, measure_at=["x", [-1], [2.5]], n_eval=COUNT, grid=["x", pts(4, 3)],
  seed=SEED, device=["tpu", 3.5], names={"act": "activation"})
E("saturation.sweep", saturation.sweep,
  lambda: {"data": SAT_DATA, "G": saturation.ShiftGenerator([2.0]), "name": "width", "values": [2, 4],
           "steps": 1, "batch_size": 8, "n_eval": 8}, name=NAME, values=[None, [], "x", [0]], names={"name": "sweep"})
E("saturation.default_measure_steps", saturation.default_measure_steps, {"steps": 10}, steps=INDEX)

# ---------------------------------------------------------------------------------------------- config, contexts
E("config.device", gc.device, {"prefer": "cpu"}, names={"prefer": "device"}, prefer=["tpu", 3.5, True, "cuda:x"])
E("config.seed_everything", gc.seed_everything, {"seed": 3}, seed=opt(SEED))
E("config.progress", gc.progress, {"iterable": [1, 2], "total": 2}, total=opt(INDEX))
E("contexts.torch_threads", lambda **kw: gc.contexts.torch_threads(**kw).__enter__(), {"n": 1}, n=opt(COUNT))
E("contexts.eval_mode", lambda modules: gc.contexts.eval_mode(*modules).__enter__(),
  lambda: {"modules": [mlp_pair()[1]]}, modules=[["x"], [3], [torch.zeros(2)]])


# The second half of the rows (trainers, widgets, the exercise checkers, the image lessons' models) lives in
# bad_input_entries_training.py; it imports the helpers above, so it comes last.
import bad_input_entries_training  # noqa: E402,F401
