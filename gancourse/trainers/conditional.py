"""Training a class-conditional GAN: the same game as :class:`GANTrainer`, with a label on every sample.

Real batches are ``(images, labels)`` pairs. D learns to tell real pairs (x, y) from generated pairs
(G(z, y'), y'), with y' drawn uniformly over the classes; G learns to make D accept G(z, y') *as class y'*:

    loss_D = d_loss(D(x, y), D(G(z, y'), y'))        loss_G = g_loss(D(G(z, y'), y'))
"""
from __future__ import annotations

import torch

from .gan import GANTrainer, grad_norm

__all__ = ["ConditionalGANTrainer"]


class ConditionalGANTrainer(GANTrainer):
    """Train ``G(z, y)`` and ``D(x, y)`` (e.g. :class:`gancourse.models.conditional.ConditionalGenerator` and
    :class:`~gancourse.models.conditional.ProjectionDiscriminator`) on ``(images, labels)`` batches.

    Args:
        n_classes: number of classes; defaults to ``G.n_classes``.
        Everything else as :class:`GANTrainer` (losses, k, learning rates, device, seed, amp).
    """

    def __init__(self, G, D, *, n_classes: int | None = None, **kwargs):
        super().__init__(G, D, **kwargs)
        n_classes = n_classes if n_classes is not None else getattr(G, "n_classes", None)
        if isinstance(n_classes, bool) or n_classes is None or int(n_classes) != n_classes or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2 (pass n_classes=... or give G one), got {n_classes!r}")
        self.n_classes = int(n_classes)

    def sample_labels(self, n: int) -> torch.Tensor:
        """n labels drawn uniformly from 0..n_classes-1 with the trainer's generator."""
        return torch.randint(self.n_classes, (n,), generator=self.rng, device=self.device)

    def d_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """One update of D on real pairs (x, y) and detached fake pairs (G(z, y'), y')."""
        real = self._prepare(real)
        y_fake = self.sample_labels(real.shape[0])
        with torch.no_grad(), self.autocast():
            fake = self.G(self.sample_z(real.shape[0]), y_fake)
        with self.autocast():
            d_real, d_fake = self.D(real, labels), self.D(fake.float(), y_fake)
            loss = self.d_loss(d_real.float(), d_fake.float())
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_D.step()
        return {"loss_D": loss.detach(), "D_real": torch.sigmoid(d_real.detach().float()).mean(),
                "D_fake": torch.sigmoid(d_fake.detach().float()).mean()}

    def g_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        """One update of G: make D accept G(z, y) as a real sample of class y (D frozen)."""
        self.D.requires_grad_(False)
        try:
            y = self.sample_labels(batch_size)
            with self.autocast():
                loss = self.g_loss(self.D(self.G(self.sample_z(batch_size), y), y).float())
            self.opt_G.zero_grad(set_to_none=True)
            loss.backward()
            norm = grad_norm(self.G.parameters())
            self.opt_G.step()
        finally:
            self.D.requires_grad_(True)
        return {"loss_G": loss.detach(), "grad_G": norm}

    def train_step(self, batch):
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError("a conditional GAN trains on (images, labels) batches: fit((images, labels), ...)")
        real, labels = batch
        logs = {}
        for i in range(self.k):
            if i > 0 and self._draw is not None:
                real, labels = self.next_batch()
            logs = self.d_step(real, labels)
        return {**logs, **self.g_step(real.shape[0])}

    @torch.no_grad()
    def sample(self, n: int, labels=None, z: torch.Tensor | None = None) -> torch.Tensor:
        """n samples of the given class(es) (an int, or a (n,) tensor; default: uniform) as float32 on the CPU."""
        if labels is None:
            y = self.sample_labels(n)
        elif isinstance(labels, int):
            if not 0 <= labels < self.n_classes:
                raise ValueError(f"label must be in 0..{self.n_classes - 1}, got {labels}")
            y = torch.full((n,), labels, dtype=torch.long, device=self.device)
        else:
            y = torch.as_tensor(labels, device=self.device).long()
            if y.shape != (n,) or y.min() < 0 or y.max() >= self.n_classes:
                raise ValueError(f"labels must be ({n},) integers in 0..{self.n_classes - 1}")
        self.G.eval()
        z = self.sample_z(n) if z is None else z.to(self.device)
        with self.autocast():
            out = self.G(z, y)
        self.G.train()
        return out.float().cpu()
