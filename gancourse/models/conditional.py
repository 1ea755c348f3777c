"""GANs that are told what to draw: a class-conditional DCGAN and InfoGAN's code-aware D.

Conditional GAN (Mirza & Osindero 2014): G(z, y) receives the label y (here one-hot, concatenated to z), and D
judges the pair (x, y). The discriminator here is a *projection discriminator* (Miyato & Koyama 2018):

    D(x, y) = psi(phi(x)) + embed(y) . phi(x)

where phi(x) are the features of an unconditional DCGAN D, psi its last layer, and embed(y) a learned vector per
class. The inner product asks "do these features look like class y?", which works better than concatenating y
to the input.

InfoGAN (Chen et al. 2016) has no labels: G reads a latent code c (a categorical code and a few continuous ones)
besides the noise, and an auxiliary head Q on D's features must recover c from G(z, c). Maximising that
"mutual information" term makes each code value produce a recognisably different image, and on digits the
categorical code tends to pick up the digit class, learned without labels.

All discriminators return logits; the DCGAN layers are :mod:`gancourse.models.dcgan`'s.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import validation

from .dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init

__all__ = ["ConditionalGenerator", "ProjectionDiscriminator", "InfoGenerator", "InfoDiscriminator"]


def _check_labels(y: torch.Tensor, n: int, n_classes: int) -> torch.Tensor:
    if y.ndim != 1 or len(y) != n:
        raise validation.ArgumentError(f"labels must be (B,) = ({n},) class indices, got shape {tuple(y.shape)}")
    if y.dtype.is_floating_point:
        raise validation.ArgumentError(f"labels must be integer class indices in 0..{n_classes - 1}, got dtype {y.dtype}")
    return y


class ConditionalGenerator(nn.Module):
    """G(z, y): a DCGAN generator whose input is [z, one_hot(y)] (B, nz + n_classes) -> images in [-1, 1]."""

    def __init__(self, image_size: int = 16, nz: int = 32, n_classes: int = 10, ngf: int = 32, channels: int = 1,
                 batchnorm: bool = True):
        super().__init__()
        self.z_dim, self.n_classes = validation.positive_int("nz", nz), validation.positive_int("n_classes", n_classes)
        self.net = DCGANGenerator(image_size, self.z_dim + self.n_classes, ngf, channels, batchnorm)
        self.image_size = self.net.image_size

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise validation.ArgumentError(f"z must be (B, {self.z_dim}), got shape {tuple(z.shape)}")
        y = _check_labels(y, len(z), self.n_classes)
        return self.net(torch.cat([z, F.one_hot(y, self.n_classes).to(z.dtype)], dim=1))


def _split(d: DCGANDiscriminator):
    """A DCGAN D as (features phi: image -> (B, width, 4, 4), last layer psi: -> (B, 1, 1, 1)) and the width."""
    layers = list(d.net)
    return nn.Sequential(*layers[:-1]), layers[-1], layers[-1].in_channels


class ProjectionDiscriminator(nn.Module):
    """D(x, y) = psi(phi(x)) + <embed(y), phi(x)>: a DCGAN D plus a class embedding (projection discriminator)."""

    def __init__(self, image_size: int = 16, n_classes: int = 10, ndf: int = 32, channels: int = 1,
                 batchnorm: bool = True):
        super().__init__()
        self.n_classes = validation.positive_int("n_classes", n_classes)
        base = DCGANDiscriminator(image_size, ndf, channels, batchnorm)
        self.image_size = base.image_size
        self.features, self.psi, width = _split(base)
        self.embed = nn.Embedding(self.n_classes, width * 16)  # one vector per class, as long as phi(x)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[-1] != self.image_size:
            raise validation.ArgumentError(f"D expects (B, C, {self.image_size}, {self.image_size}) images, got {tuple(x.shape)}")
        y = _check_labels(y, len(x), self.n_classes)
        h = self.features(x)  # (B, width, 4, 4)
        return self.psi(h).flatten() + (self.embed(y) * h.flatten(1)).sum(1)  # (B,)


class InfoGenerator(nn.Module):
    """G(z, c_cat, c_cont): a DCGAN generator whose input is [z, one_hot(c_cat), c_cont].

    ``z_dim`` is the size of the whole input vector (noise + codes), so ``forward`` also accepts one
    pre-assembled (B, z_dim) tensor; :meth:`assemble` builds it from the three parts.
    """

    def __init__(self, image_size: int = 16, noise_dim: int = 32, n_cat: int = 10, n_cont: int = 2, ngf: int = 32,
                 channels: int = 1, batchnorm: bool = True):
        super().__init__()
        self.noise_dim, self.n_cat = validation.positive_int("noise_dim", noise_dim), validation.positive_int("n_cat", n_cat)
        self.n_cont = validation.nonneg_int("n_cont", n_cont)
        self.z_dim = self.noise_dim + self.n_cat + self.n_cont
        self.net = DCGANGenerator(image_size, self.z_dim, ngf, channels, batchnorm)
        self.image_size = self.net.image_size

    def assemble(self, z: torch.Tensor, c_cat: torch.Tensor, c_cont: torch.Tensor | None = None) -> torch.Tensor:
        """[z (B, noise_dim), one_hot(c_cat) (B, n_cat), c_cont (B, n_cont)] -> (B, z_dim)."""
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise validation.ArgumentError(f"z must be (B, {self.noise_dim}), got shape {tuple(z.shape)}")
        c_cat = _check_labels(c_cat, len(z), self.n_cat)
        if c_cont is None:
            c_cont = z.new_zeros(len(z), self.n_cont)
        if c_cont.shape != (len(z), self.n_cont):
            raise validation.ArgumentError(f"c_cont must be (B, {self.n_cont}), got shape {tuple(c_cont.shape)}")
        return torch.cat([z, F.one_hot(c_cat, self.n_cat).to(z.dtype), c_cont.to(z.dtype)], dim=1)

    def forward(self, z: torch.Tensor, c_cat: torch.Tensor | None = None,
                c_cont: torch.Tensor | None = None) -> torch.Tensor:
        if c_cat is not None:
            z = self.assemble(z, c_cat, c_cont)
        return self.net(z)


class InfoDiscriminator(nn.Module):
    """A DCGAN D with a second head Q on the shared features.

    ``forward(x)`` -> logits (B,) (so it works as any D); ``heads(x)`` -> (logits (B,), categorical logits
    (B, n_cat), continuous prediction (B, n_cont)): Q's guess of the code that made x.
    """

    def __init__(self, image_size: int = 16, n_cat: int = 10, n_cont: int = 2, ndf: int = 32, channels: int = 1,
                 batchnorm: bool = True, q_hidden: int = 128):
        super().__init__()
        self.n_cat = validation.positive_int("n_cat", n_cat)
        self.n_cont = validation.nonneg_int("n_cont", n_cont)
        base = DCGANDiscriminator(image_size, ndf, channels, batchnorm)
        self.image_size = base.image_size
        self.features, self.psi, width = _split(base)
        self.q = nn.Sequential(nn.Flatten(), nn.Linear(width * 16, validation.positive_int("q_hidden", q_hidden)),
                               nn.LeakyReLU(0.2), nn.Linear(q_hidden, self.n_cat + self.n_cont))
        self.q.apply(dcgan_init)

    def heads(self, x: torch.Tensor):
        if x.ndim != 4 or x.shape[-1] != self.image_size:
            raise validation.ArgumentError(f"D expects (B, C, {self.image_size}, {self.image_size}) images, got {tuple(x.shape)}")
        h = self.features(x)  # (B, width, 4, 4)
        q = self.q(h)
        return self.psi(h).flatten(), q[:, : self.n_cat], q[:, self.n_cat:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(x)[0]
