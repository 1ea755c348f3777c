"""The alternating GAN algorithm (Goodfellow et al. 2014, Algorithm 1): k D steps, then one G step."""
from __future__ import annotations

import torch

from .. import losses
from .base import Trainer, adam

__all__ = ["GANTrainer", "grad_norm"]


def grad_norm(params) -> torch.Tensor:
    """The global L2 norm of the gradients of ``params`` (a tensor, so no GPU sync)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


class GANTrainer(Trainer):
    """Train ``G`` and ``D`` with k D updates per G update.

    Args:
        G, D: the generator (z -> x) and discriminator (x -> logits).
        z_dim: size of the noise; defaults to ``G.z_dim``.
        g_loss: ``"nonsaturating"`` (default), ``"minimax"``, ``"lsgan"``, ``"wasserstein"`` or a function.
        d_loss: ``"minimax"`` (default), ``"lsgan"``, ``"wasserstein"`` or a function.
        k: D steps per G step.
        lr_d, lr_g, betas: Adam's settings for each player.
        channels_last: store conv models and batches in NHWC (faster convolutions on tensor-core GPUs).
        device, seed, amp, sync_every: see :class:`Trainer`.
    """

    def __init__(self, G, D, *, z_dim: int | None = None, g_loss="nonsaturating", d_loss="minimax", k: int = 1,
                 lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999), channels_last: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise ValueError(f"k (D steps per G step) must be a positive integer, got {k!r}")
        self.k = int(k)
        self.g_loss = losses.get_g_loss(g_loss)
        self.d_loss = losses.get_d_loss(d_loss)
        self.z_dim = z_dim if z_dim is not None else getattr(G, "z_dim", None)
        if self.z_dim is None:
            raise ValueError("z_dim is needed: pass z_dim=... or give G a z_dim attribute")
        self.channels_last = channels_last
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.G = G.to(self.device, memory_format=fmt)
        self.D = D.to(self.device, memory_format=fmt)
        self.opt_G = adam(self.G.parameters(), lr_g, betas, self.device)
        self.opt_D = adam(self.D.parameters(), lr_d, betas, self.device)
        self.models = {"G": self.G, "D": self.D}
        self.optimizers = {"G": self.opt_G, "D": self.opt_D}

    def sample_z(self, n: int) -> torch.Tensor:
        """Noise z ~ N(0, I), shape (n, z_dim), from the trainer's own generator."""
        return torch.randn(n, self.z_dim, generator=self.rng, device=self.device)

    def _prepare(self, real: torch.Tensor) -> torch.Tensor:
        if self.channels_last and real.ndim == 4:
            return real.contiguous(memory_format=torch.channels_last)
        return real

    def d_loss_terms(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """D's loss on a real and a (detached) fake batch; subclasses add terms such as a gradient penalty."""
        with self.autocast():
            d_real, d_fake = self.D(real), self.D(fake)
            loss = self.d_loss(d_real.float(), d_fake.float())
        return {"loss_D": loss, "D_real": torch.sigmoid(d_real.detach().float()).mean(),
                "D_fake": torch.sigmoid(d_fake.detach().float()).mean()}

    def d_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """One update of D: minimise its loss on real data and on fakes that carry no gradient to G."""
        real = self._prepare(real)
        with torch.no_grad(), self.autocast():
            fake = self.G(self.sample_z(real.shape[0]))  # detached: this step trains D only
        terms = self.d_loss_terms(real, fake.float())
        self.opt_D.zero_grad(set_to_none=True)
        terms["loss_D"].backward()
        self.opt_D.step()
        return {k: v.detach() for k, v in terms.items()}

    def g_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        """One update of G against the current D, with D's parameters frozen."""
        self.D.requires_grad_(False)
        try:
            with self.autocast():
                fake = self.G(self.sample_z(batch_size))
                loss = self.g_loss(self.D(fake).float())
            self.opt_G.zero_grad(set_to_none=True)
            loss.backward()
            norm = grad_norm(self.G.parameters())
            self.opt_G.step()
        finally:
            self.D.requires_grad_(True)
        return {"loss_G": loss.detach(), "grad_G": norm}

    def train_step(self, real):
        """k D steps (each on a fresh real batch while fitting), then one G step."""
        logs = {}
        for i in range(self.k):
            batch = real if i == 0 else (self.next_batch() if self._draw is not None else real)
            logs = self.d_step(batch)
        return {**logs, **self.g_step(real.shape[0])}

    @torch.no_grad()
    def sample(self, n: int, z: torch.Tensor | None = None) -> torch.Tensor:
        """n samples from G in eval mode, as float32 on the CPU."""
        self.G.eval()
        z = self.sample_z(n) if z is None else z.to(self.device)
        with self.autocast():
            out = self.G(z)
        self.G.train()
        return out.float().cpu()
