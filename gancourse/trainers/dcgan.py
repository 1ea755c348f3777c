"""A DCGAN ready to train: G and D from :mod:`gancourse.models.dcgan` inside a :class:`GANTrainer`.

    trainer = dcgan_trainer(image_size=16, channels=1, nz=32, ngf=32, ndf=32, seed=0)
    trainer.fit(images, steps=500, batch_size=64)

On CUDA the trainer takes its fast path: bf16 autocast, channels_last tensors, fused Adam and one host-device
synchronisation every ``sync_every`` steps. On the CPU it runs the same code in fp32 and resumes bit-exactly.
"""
from __future__ import annotations

import torch

from .. import validation
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from .gan import GANTrainer

__all__ = ["dcgan_trainer"]


def dcgan_trainer(image_size: int = 64, *, nz: int = 100, ngf: int = 64, ndf: int = 64, channels: int = 3,
                  batchnorm: bool = True, leak: float = 0.2, seed: int = 0, device=None,
                  channels_last: bool | None = None, lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999),
                  **kwargs) -> GANTrainer:
    """Build a DCGAN G and D (weights drawn from a generator seeded with ``seed``, so the global RNG is left
    alone) and wrap them in a :class:`GANTrainer` with the paper's Adam settings.

    ``channels_last=None`` (the default) leaves the choice to :class:`~gancourse.trainers.Trainer`: on for CUDA,
    off elsewhere; ``kwargs`` go to :class:`GANTrainer` (``g_loss``, ``d_loss``, ``k``, ``amp``, ``sync_every``, ...).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(validation.seed("seed", seed))
        G = DCGANGenerator(image_size, nz=nz, ngf=ngf, channels=channels, batchnorm=batchnorm)
        D = DCGANDiscriminator(image_size, ndf=ndf, channels=channels, batchnorm=batchnorm, leak=leak)
    return GANTrainer(G, D, device=device, seed=seed, channels_last=channels_last, lr_d=lr_d, lr_g=lr_g,
                      betas=betas, **kwargs)
