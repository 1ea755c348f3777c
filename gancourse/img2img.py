"""Measuring image-to-image translation: fidelity (L1 to the target) and realism (texture statistics).

    gc.img2img.l1_error(fake, real)           # (N,) mean |fake - real| per image: fidelity to the one target
    gc.img2img.hf_energy(x)                    # (N,) energy of the high-frequency band: detail and texture
    gc.img2img.sharpness_ratio(fake, real)     # mean HF energy of fakes / of reals: 1 = as detailed, < 1 blurry
    gc.img2img.patch_swd(fake, real)           # sliced Wasserstein distance between sets of small patches

A blurry output can have a low L1 error (it hedges between the plausible targets) while looking nothing like a
photo, so translation is judged on both axes. ``hf_energy`` is the mean square of x minus its 3 x 3 box blur
(replicate padding): the part of the image that blurring removes. ``patch_swd`` compares the *distributions*
of p x p patches of two image sets (Rabin et al. 2011; the patch metric of Karras et al. 2018), so it is
sensitive to blur and wrong colours alike, and it needs no pairing.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import validation

__all__ = [
    "l1_error", "hf_energy", "sharpness_ratio", "patch_swd", "optimal_constant_predictors", "DomainClassifier",
    "train_domain_classifier",
]


def _images(name, x):
    """A batch (N, C, H, W) of any dtype, as float32 on the CPU."""
    x = validation.tensor(f"{name} (N, C, H, W)", x, ndim=4, floating=False, finite=False)
    if x.dtype == torch.bool:
        raise validation.ArgumentError(f"{name} must hold numbers (images of any numeric dtype), got dtype torch.bool")
    return x.detach().float().cpu()


def l1_error(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Per-image mean absolute error (N,) between aligned batches of the same shape."""
    fake, real = _images("fake", fake), _images("real", real)
    validation.same_shape("fake and real", fake, real)
    return (fake - real).abs().flatten(1).mean(1)


def hf_energy(x: torch.Tensor) -> torch.Tensor:
    """Per-image high-frequency energy (N,): mean over pixels and channels of (x - box3x3(x))^2."""
    x = _images("x", x)
    if min(x.shape[-2:]) < 3:
        raise validation.ArgumentError(f"x must hold images of at least 3 x 3, got {tuple(x.shape[-2:])}")
    blur = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    return ((x - blur) ** 2).flatten(1).mean(1)


def sharpness_ratio(fake: torch.Tensor, real: torch.Tensor) -> float:
    """mean hf_energy(fake) / mean hf_energy(real): about 1 when the fakes carry as much fine detail as real
    images, well below 1 for blurry outputs, above 1 for noisy ones."""
    fake, real = _images("fake", fake), _images("real", real)
    if fake.shape[1] != real.shape[1]:
        raise validation.ArgumentError(f"fake and real must have the same channels, got {fake.shape[1]} and "
                                       f"{real.shape[1]}")
    for name, x in (("fake", fake), ("real", real)):
        if min(x.shape[-2:]) < 3:
            raise validation.ArgumentError(f"{name} must hold images of at least 3 x 3, got {tuple(x.shape[-2:])}")
    return float(hf_energy(fake).mean() / hf_energy(real).mean().clamp_min(1e-12))


def patch_swd(x: torch.Tensor, y: torch.Tensor, patch: int = 5, n_patches: int = 4096, n_proj: int = 256,
              seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between the p x p patches of two image sets.

    ``n_patches`` patches are drawn at random positions from each set, flattened to vectors of length
    C p^2 and projected on ``n_proj`` random unit directions; for each direction the two sorted projections
    are compared (the exact 1-D Wasserstein-1 distance), and the result is the mean over directions.
    Deterministic under ``seed``. 0 for identical patch distributions.
    """
    x, y = _images("x", x), _images("y", y)
    if x.shape[1] != y.shape[1]:
        raise validation.ArgumentError(f"x and y must have the same channels, got {x.shape[1]} and {y.shape[1]}")
    patch, n_patches = validation.positive_int("patch", patch), validation.positive_int("n_patches", n_patches)
    n_proj = validation.positive_int("n_proj", n_proj)
    if patch > min(*x.shape[-2:], *y.shape[-2:]):
        raise validation.ArgumentError(f"patch {patch} is larger than the images of x or y ({tuple(x.shape[-2:])}, "
                                       f"{tuple(y.shape[-2:])})")
    g = torch.Generator().manual_seed(validation.seed("seed", seed))

    def draw(imgs):
        n, c, h, w = imgs.shape
        i = torch.randint(n, (n_patches,), generator=g)
        r = torch.randint(h - patch + 1, (n_patches,), generator=g)
        q = torch.randint(w - patch + 1, (n_patches,), generator=g)
        offs = torch.arange(patch)
        rows = (r[:, None] + offs)[:, None, :, None]  # (P, 1, p, 1)
        cols = (q[:, None] + offs)[:, None, None, :]  # (P, 1, 1, p)
        chans = torch.arange(c)[None, :, None, None]
        return imgs[i[:, None, None, None], chans, rows, cols].flatten(1)  # (P, C p^2)

    px, py = draw(x), draw(y)
    dirs = torch.randn(px.shape[1], n_proj, generator=g)
    dirs = dirs / dirs.norm(dim=0, keepdim=True)
    proj_x, _ = (px @ dirs).sort(dim=0)
    proj_y, _ = (py @ dirs).sort(dim=0)
    return float((proj_x - proj_y).abs().mean())


def optimal_constant_predictors(samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The best single guesses for many possible targets of one input, pixel by pixel.

    Given ``samples`` (S, C, H, W), S equally likely targets, return ``(median, mean)``, each (C, H, W):
    the per-pixel median minimises the expected L1 error and the per-pixel mean the expected L2 error. A
    regressor trained with L1 (L2) on ambiguous data converges towards these, whatever its architecture.
    """
    samples = _images("samples", samples)
    return samples.median(dim=0).values, samples.mean(dim=0)


class DomainClassifier(torch.nn.Module):
    """A small CNN that tells two image domains apart: (N, C, H, W) -> (N,) logits, positive for domain B.

    conv 4x4/2 (w) -> LReLU -> conv 4x4/2 (2w) -> LReLU -> global average pool -> linear. The global pool makes it
    judge overall appearance (colour, texture, lit windows), not where things are.
    """

    def __init__(self, channels: int = 3, width: int = 16):
        super().__init__()
        self.channels, width = validation.positive_int("channels", channels), validation.positive_int("width", width)
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(channels, width, 4, 2, 1), torch.nn.LeakyReLU(0.2),  # (N, w, H/2, W/2)
            torch.nn.Conv2d(width, 2 * width, 4, 2, 1), torch.nn.LeakyReLU(0.2),  # (N, 2w, H/4, W/4)
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(2 * width, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)

    @torch.no_grad()
    def prob_b(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """P(domain B | x) for each image, (N,) float32 on the CPU, in eval mode."""
        x = _images("x", x)
        if x.shape[1] != self.channels:
            raise validation.ArgumentError(f"x must have {self.channels} channels, got shape {tuple(x.shape)}")
        batch_size = validation.positive_int("batch_size", batch_size)
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        out = torch.cat([torch.sigmoid(self(x[i:i + batch_size].to(dev).float())).cpu()
                         for i in range(0, len(x), batch_size)])
        self.train(was)
        return out


def train_domain_classifier(A: torch.Tensor, B: torch.Tensor, steps: int = 300, batch_size: int = 64,
                            lr: float = 2e-3, width: int = 16, seed: int = 0) -> DomainClassifier:
    """Train a :class:`DomainClassifier` with logistic loss on images of domain A (label 0) and B (label 1).

    Balanced minibatches (half from each domain) drawn with a generator seeded by ``seed``; the global RNG is
    not touched. Returns the model in eval mode on the CPU.
    """
    A, B = _images("A", A), _images("B", B)
    if A.shape[1:] != B.shape[1:]:
        raise validation.ArgumentError(f"A and B must hold images of one shape, got {tuple(A.shape[1:])} and "
                                       f"{tuple(B.shape[1:])}")
    steps, batch_size = validation.positive_int("steps", steps), validation.integer("batch_size", batch_size, low=2)
    lr, seed = validation.positive("lr", lr), validation.seed("seed", seed)
    width = validation.positive_int("width", width)
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DomainClassifier(A.shape[1], width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    half = max(1, batch_size // 2)
    labels = torch.cat([torch.zeros(half), torch.ones(half)])
    for _ in range(int(steps)):
        x = torch.cat([A[torch.randint(len(A), (half,), generator=g)], B[torch.randint(len(B), (half,), generator=g)]])
        loss = F.binary_cross_entropy_with_logits(model(x), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()
