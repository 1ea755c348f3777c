"""The alternating GAN algorithm (Goodfellow et al. 2014, Algorithm 1): k D steps, then one G step.

The two updates, as :class:`GANTrainer` writes them (the loop around them is ``Trainer.train_step``)::

    d_step(real):  fake = G(z) without gradient;  D minimises  d_loss(D(real), D(fake))
    g_step(real):  with D frozen, G minimises  g_loss(D(G(z)))

Later GANs change one piece each: :meth:`GANTrainer.sample_inputs` (what G reads: labels, codes),
:meth:`GANTrainer.d_loss_terms` and :meth:`GANTrainer.g_loss_terms` (what each player minimises: a gradient
penalty, an information term), or a whole update (the unrolled G step, the clipped critic step).
"""
from __future__ import annotations

import torch

from .. import losses, validation
from .base import Trainer, adam, frozen, grad_norm
from .sampling import batch_size

__all__ = ["GANTrainer", "grad_norm", "d_beliefs"]


def d_beliefs(d_real: torch.Tensor, d_fake: torch.Tensor) -> dict[str, torch.Tensor]:
    """What D believes on average, to log: D_real = mean sigmoid(d_real), D_fake = mean sigmoid(d_fake)."""
    d_real = validation.tensor("d_real", d_real, finite=False)
    d_fake = validation.tensor("d_fake", d_fake, finite=False)
    return {"D_real": torch.sigmoid(d_real.detach().float()).mean(),
            "D_fake": torch.sigmoid(d_fake.detach().float()).mean()}


class GANTrainer(Trainer):
    """Train ``G`` and ``D`` with k D updates per G update.

    Args:
        G, D: the generator (z -> x) and discriminator (x -> logits).
        z_dim: size of the noise; defaults to ``G.z_dim``.
        g_loss: ``"nonsaturating"`` (default), ``"minimax"``, ``"lsgan"``, ``"wasserstein"`` or a function.
        d_loss: ``"minimax"`` (default), ``"lsgan"``, ``"wasserstein"`` or a function.
        k: D steps per G step.
        lr_d, lr_g, betas: Adam's settings for each player.
        channels_last: store conv models and batches in NHWC (faster convolutions on tensor-core GPUs); off by
            default here, ``None`` turns it on for CUDA (what :func:`~gancourse.trainers.dcgan_trainer` does).
        device, seed, amp, sync_every: see :class:`Trainer`.

    The knobs the live lab turns are validated attributes: ``k``, ``g_loss`` (a name or a function) and, through
    :meth:`Trainer.set_learning_rates`, the learning rates ``D`` and ``G``.
    """

    g_loss = validation.Checked(lambda _, loss: losses.get_g_loss(loss),
                                doc="G's loss function; set it by name (``'minimax'``, ...) or as a function.")
    labelled = False  # batches are samples alone; ConditionalGANTrainer takes (images, labels)

    def __init__(self, G, D, *, z_dim: int | None = None, g_loss="nonsaturating", d_loss="minimax", k: int = 1,
                 lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999), channels_last: bool | None = False,
                 **kwargs):
        super().__init__(channels_last=channels_last, **kwargs)
        self.k = k
        self.g_loss = g_loss
        self.d_loss = losses.get_d_loss(d_loss)
        z_dim = z_dim if z_dim is not None else getattr(G, "z_dim", None)
        if z_dim is None:
            raise validation.ArgumentError("z_dim is needed: pass z_dim=... or give G a z_dim attribute")
        self.z_dim = validation.positive_int("z_dim", z_dim)
        self.G, self.D = self.place(validation.module("G", G)), self.place(validation.module("D", D))
        self.opt_G = adam(self.G.parameters(), lr_g, betas, self.device, name="lr_g (G's learning rate)")
        self.opt_D = adam(self.D.parameters(), lr_d, betas, self.device, name="lr_d (D's learning rate)")
        self.models = {"G": self.G, "D": self.D}
        self.optimizers = {"G": self.opt_G, "D": self.opt_D}

    def forward(self, batch):
        """A batch of real samples (a floating tensor, samples along dimension 0), checked and on the device."""
        if isinstance(batch, (tuple, list)) and any(isinstance(b, torch.Tensor) for b in batch) and not self.labelled:
            raise validation.ArgumentError(
                f"batch must be a tensor of real samples, got a {type(batch).__name__} of {len(batch)}: labels "
                "belong to ConditionalGANTrainer; pass the samples alone")
        return super().forward(batch)

    def check_like_fakes(self, real, fake: torch.Tensor | None = None) -> None:
        """The real samples must look like G's: a non-empty floating tensor (of G's sample shape, when ``fake`` is
        given). Shapes only, no values."""
        x = real[0] if isinstance(real, (tuple, list)) and real else real
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim == 0 or len(x) == 0:
            raise validation.ArgumentError(f"batch must be a non-empty floating-point torch.Tensor of real samples, "
                                           f"got {validation.shown(x)}")
        if fake is not None and x.shape[1:] != fake.shape[1:]:
            raise validation.ArgumentError(
                f"batch must hold samples of G's shape {tuple(fake.shape[1:])} (B first), got shape "
                f"{tuple(x.shape)}: the data and the models must agree")

    # ------------------------------------------------------------------ what G reads
    def sample_z(self, n: int) -> torch.Tensor:
        """Noise z ~ N(0, I), shape (n, z_dim), from the trainer's own generator."""
        return torch.randn(n, self.z_dim, generator=self.rng, device=self.device)

    def sample_inputs(self, n: int) -> tuple:
        """G's inputs for n fakes, as a tuple: here ``(z,)``; the conditional GAN adds labels, InfoGAN codes."""
        return (self.sample_z(n),)

    # ------------------------------------------------------------------ what each player minimises
    def d_loss_terms(self, real, fake: torch.Tensor, inputs: tuple = ()) -> tuple[torch.Tensor, dict]:
        """D's loss on a real and a (detached) fake batch, and what to log; subclasses add terms such as a
        gradient penalty. ``inputs`` are what G read to make ``fake``."""
        with self.autocast():
            return self.d_terms(self.D(real), self.D(fake))

    def d_terms(self, d_real: torch.Tensor, d_fake: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """``d_loss`` on D's logits, and the logs: the loss and D's mean belief on each batch."""
        loss = self.d_loss(d_real.float(), d_fake.float())
        return loss, {"loss_D": loss.detach(), **d_beliefs(d_real, d_fake)}

    def g_loss_terms(self, fake: torch.Tensor, inputs: tuple = ()) -> tuple[torch.Tensor, dict]:
        """G's loss on its fakes (D frozen), and what to log."""
        with self.autocast():
            loss = self.g_loss(self.D(fake).float())
        return loss, {"loss_G": loss.detach()}

    # ------------------------------------------------------------------ the two updates
    def d_step(self, real) -> dict[str, torch.Tensor]:
        """One update of D: minimise its loss on real data and on fakes that carry no gradient to G."""
        self.check_like_fakes(real)
        inputs = self.sample_inputs(batch_size(real))
        with torch.no_grad(), self.autocast():
            fake = self.G(*inputs)  # detached: this step trains D only
        self.check_like_fakes(real, fake)
        loss, logs = self.d_loss_terms(real, fake.float(), inputs)
        self.update("D", loss)
        return logs

    def g_step(self, real) -> dict[str, torch.Tensor]:
        """One update of G against the current D, with D's parameters frozen (``real`` gives the batch size)."""
        inputs = self.sample_inputs(batch_size(real))
        with frozen(self.D):
            with self.autocast():
                fake = self.G(*inputs)
            loss, logs = self.g_loss_terms(fake, inputs)
            norm = self.update("G", loss, norm=True)
        return {**logs, "grad_G": norm}

    def sample(self, n: int, z: torch.Tensor | None = None) -> torch.Tensor:
        """n samples from G in eval mode, as float32 on the CPU (from the noise ``z`` (n, z_dim) when given)."""
        n = validation.positive_int("n", n)
        return self.infer(self.G, self.sample_z(n) if z is None else self.check_noise(z, n), what="z")

    def check_noise(self, z, n: int, width: int | None = None, name: str = "z") -> torch.Tensor:
        """``z`` must be a floating (n, width) tensor (width: ``z_dim`` by default)."""
        width = self.z_dim if width is None else width
        z = validation.tensor(name, z, ndim=2, finite=False)
        if z.shape != (n, width):
            raise validation.ArgumentError(f"{name} must be ({n}, {width}), got shape {tuple(z.shape)}")
        return z
