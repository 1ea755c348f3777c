"""Training a class-conditional GAN: the same game as :class:`GANTrainer`, with a label on every sample.

Real batches are ``(images, labels)`` pairs. D learns to tell real pairs (x, y) from generated pairs
(G(z, y'), y'), with y' drawn uniformly over the classes; G learns to make D accept G(z, y') *as class y'*:

    loss_D = d_loss(D(x, y), D(G(z, y'), y'))        loss_G = g_loss(D(G(z, y'), y'))
"""
from __future__ import annotations

import torch

from .. import validation
from .gan import GANTrainer

__all__ = ["ConditionalGANTrainer"]


class ConditionalGANTrainer(GANTrainer):
    """Train ``G(z, y)`` and ``D(x, y)`` (e.g. :class:`gancourse.models.conditional.ConditionalGenerator` and
    :class:`~gancourse.models.conditional.ProjectionDiscriminator`) on ``(images, labels)`` batches.

    The hooks it changes: :meth:`forward` (batches are pairs), :meth:`sample_inputs` (G reads a label too) and
    the two loss terms (D reads the label beside the image).

    Args:
        n_classes: number of classes; defaults to ``G.n_classes``.
        Everything else as :class:`GANTrainer` (losses, k, learning rates, device, seed, amp).
    """

    def __init__(self, G, D, *, n_classes: int | None = None, **kwargs):
        super().__init__(G, D, **kwargs)
        n_classes = n_classes if n_classes is not None else getattr(G, "n_classes", None)
        self.n_classes = validation.integer("n_classes (pass n_classes=... or give G one)", n_classes, low=2)

    labelled = True

    def forward(self, batch):
        """``(images, labels)``: floating images and integer labels 0..n_classes-1, one per image."""
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise validation.ArgumentError(
                "batch must be a pair (images, labels): a conditional GAN trains on fit((images, labels), ...)")
        labels = batch[1]
        if isinstance(labels, torch.Tensor) and (labels.is_floating_point() or labels.is_complex()
                                                 or labels.dtype == torch.bool or labels.ndim != 1):
            raise validation.ArgumentError(f"batch labels must be a 1-D integer tensor (B,), got shape "
                                           f"{tuple(labels.shape)} and dtype {labels.dtype}")
        x, y = super().forward(batch)
        if y.device.type == "cpu" and len(y) and not 0 <= int(y.min()) <= int(y.max()) < self.n_classes:
            raise validation.ArgumentError(f"batch labels must lie in 0..{self.n_classes - 1}, got "
                                           f"{int(y.min())}..{int(y.max())}")
        return x, y

    def sample_labels(self, n: int) -> torch.Tensor:
        """n labels drawn uniformly from 0..n_classes-1 with the trainer's generator."""
        return torch.randint(self.n_classes, (n,), generator=self.rng, device=self.device)

    def sample_inputs(self, n: int) -> tuple:
        """``(z, y)``: noise and uniform labels (the labels drawn first)."""
        y = self.sample_labels(n)
        return self.sample_z(n), y

    def d_loss_terms(self, real, fake, inputs):
        """D on real pairs (x, y) and detached fake pairs (G(z, y'), y')."""
        (x, labels), (_, y_fake) = real, inputs
        with self.autocast():
            return self.d_terms(self.D(x, labels), self.D(fake, y_fake))

    def g_loss_terms(self, fake, inputs):
        """Make D accept G(z, y) as a real sample of class y."""
        with self.autocast():
            loss = self.g_loss(self.D(fake, inputs[1]).float())
        return loss, {"loss_G": loss.detach()}

    def sample(self, n: int, labels=None, z: torch.Tensor | None = None) -> torch.Tensor:
        """n samples of the given class(es) (an int, or a (n,) tensor; default: uniform) as float32 on the CPU."""
        n = validation.positive_int("n", n)
        if labels is None:
            y = self.sample_labels(n)
        elif not isinstance(labels, torch.Tensor):
            label = validation.integer("label", labels, low=0,
                                       high=self.n_classes - 1)
            y = torch.full((n,), label, dtype=torch.long, device=self.device)
        else:
            y = validation.tensor("labels", labels, floating=False, finite=False)
            if y.is_floating_point() or y.dtype == torch.bool or y.shape != (n,) or not (
                    0 <= int(y.min()) <= int(y.max()) < self.n_classes):
                raise validation.ArgumentError(f"labels must be ({n},) integers in 0..{self.n_classes - 1}, got "
                                               f"{validation.shown(labels)}")
        return self.infer(self.G, self.sample_z(n) if z is None else self.check_noise(z, n), y, what="z and labels")
