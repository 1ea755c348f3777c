"""CycleGAN (Zhu et al. 2017): translation between two domains from *unpaired* examples.

    G_AB, G_BA = ResNetGenerator(ngf=16), ResNetGenerator(ngf=16)
    D_A, D_B = PatchGAN(in_ch=3, ndf=16, norm="instance"), PatchGAN(in_ch=3, ndf=16, norm="instance")
    trainer = CycleGANTrainer(G_AB, G_BA, D_A, D_B, decay_steps=500)
    trainer.fit(gc.data.scenes.Unpaired(X, Y), steps=1000, batch_size=4)

One step, as in the reference code: ``forward`` lets both generators translate and translate back; ``g_step``
updates them together (Ds frozen) on

    loss_G = LSGAN(D_B(G_AB(a))) + LSGAN(D_A(G_BA(b)))                       fool both discriminators
           + lambda * (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)         cycle consistency
           + lambda * lambda_id * (|G_AB(b) - b|_1 + |G_BA(a) - a|_1)         identity on the target domain

then ``d_step`` updates each D on real images of its domain against fakes (made before G's update) drawn from an
:class:`ImagePool` of past generator outputs (so D does not chase only G's latest mistakes). The G step comes
first: ``g_first = True``.
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import torch

from .. import losses, validation
from .base import Trainer, adam, frozen

__all__ = ["CycleGANTrainer", "CycleBatch", "ImagePool"]


class ImagePool:
    """A buffer of up to ``size`` past fakes (Shrivastava et al. 2017), as in CycleGAN's reference code.

    ``query(fakes)`` returns a batch for D. While the pool is not full, each fake is stored and returned
    as is. Once full, each fake is, with probability 1/2, swapped for a random stored one (which it replaces
    in the pool), and otherwise returned as is. The randomness comes from ``generator`` (a CPU
    ``torch.Generator``) in a fixed order per call: ``u = rand(n)``, then ``j = randint(size, (n,))``; image i
    is swapped when ``u[i] < 0.5``, with slot ``j[i]``. ``size=0`` turns the pool off.
    """

    def __init__(self, size: int = 50, generator: torch.Generator | None = None, seed: int = 0):
        self.size = validation.nonneg_int("size (pool size)", size)
        generator = validation.generator("generator", generator)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(
            validation.seed("seed", seed))
        self.images: list[torch.Tensor] = []

    def __len__(self):
        return len(self.images)

    @torch.no_grad()
    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        """A batch for D in place of ``fakes`` (N, ...), drawn as described above."""
        fakes = validation.tensor("fakes", fakes, floating=False, finite=False)
        if self.size == 0:
            return fakes
        n = fakes.shape[0]
        u = torch.rand(n, generator=self.generator).tolist()  # CPU draws: no GPU synchronisation
        j = torch.randint(self.size, (n,), generator=self.generator).tolist()
        out = []
        for i in range(n):
            img = fakes[i].detach()
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif u[i] < 0.5:
                out.append(self.images[j[i]])
                self.images[j[i]] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)

    def state_dict(self) -> dict:
        images = torch.stack(self.images).cpu() if self.images else torch.zeros(0)
        return {"size": self.size, "images": images, "generator": self.generator.get_state()}

    def check_state(self, state, name: str = "") -> list[str]:
        """What stops ``state`` from loading into this pool (an empty list: it fits)."""
        what = f"pool {name}".strip()
        if not isinstance(state, dict) or set(state) != {"size", "images", "generator"}:
            return [f"{what}: not an image pool's state"]
        images, gen = state["images"], state["generator"]
        if state["size"] != self.size:
            return [f"{what}: the checkpoint's pool holds up to {state['size']} images, this one {self.size}"]
        if not isinstance(images, torch.Tensor) or (images.numel() and (images.ndim < 2 or len(images) > self.size)):
            return [f"{what}: its images are not a stack of at most {self.size} images"]
        if not isinstance(gen, torch.Tensor) or gen.shape != self.generator.get_state().shape:
            return [f"{what}: its generator state is not a CPU generator's"]
        return []

    def load_state_dict(self, state: dict, device=None) -> None:
        if int(state["size"]) != self.size:
            raise validation.ArgumentError(f"checkpoint pool holds up to {state['size']} images, this one {self.size}")
        self.images = [img.to(device) if device is not None else img for img in state["images"]]
        self.generator.set_state(state["generator"])


class CycleBatch(NamedTuple):
    """One step's batch after :meth:`CycleGANTrainer.forward`: the real images and every translation of them."""

    real_A: torch.Tensor
    real_B: torch.Tensor
    fake_B: torch.Tensor  # G_AB(real_A)
    rec_A: torch.Tensor   # G_BA(G_AB(real_A))
    fake_A: torch.Tensor  # G_BA(real_B)
    rec_B: torch.Tensor   # G_AB(G_BA(real_B))


class CycleGANTrainer(Trainer):
    """Train ``G_AB: A -> B`` and ``G_BA: B -> A`` with discriminators ``D_A`` (judges domain A) and ``D_B``.

    Batches are pairs ``(a, b)`` of *unrelated* images from each domain (e.g. from
    :class:`gancourse.data.scenes.Unpaired`).

    Args:
        lambda_cycle: weight of the cycle-consistency L1 terms (10 in the paper).
        lambda_identity: identity loss weight as a fraction of ``lambda_cycle`` (0.5 in the paper; 0 turns it off).
        pool_size: past fakes kept for each D (50 in the paper; 0 turns the pool off).
        lr, betas: Adam's settings (one optimizer for both Gs, one for both Ds).
        constant_steps, decay_steps: constant learning rate, then linear decay to 0 (see ``LinearDecay``).
        channels_last, device, seed, amp, sync_every: see :class:`gancourse.trainers.Trainer`.
    """

    g_first = True  # the reference order: G's update, then D's on the fakes made before it
    floating_parts = (0, 1)  # a and b are images

    def __init__(self, G_AB, G_BA, D_A, D_B, *, lambda_cycle: float = 10.0, lambda_identity: float = 0.5,
                 pool_size: int = 50, lr: float = 2e-4, betas=(0.5, 0.999), constant_steps: int = 0,
                 decay_steps: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.lambda_cycle = validation.nonneg("lambda_cycle", lambda_cycle)
        self.lambda_identity = validation.nonneg("lambda_identity", lambda_identity)
        self.g_loss, self.d_loss = losses.get_g_loss("lsgan_ref"), losses.get_d_loss("lsgan")
        seed = kwargs.get("seed", 0)
        pool_size = validation.nonneg_int("pool_size", pool_size)
        self.pool_A, self.pool_B = ImagePool(pool_size, seed=seed + 2), ImagePool(pool_size, seed=seed + 3)
        G_AB, G_BA, D_A, D_B = (validation.module(k, m) for k, m in (("G_AB", G_AB), ("G_BA", G_BA), ("D_A", D_A),
                                                                     ("D_B", D_B)))
        self.G_AB, self.G_BA = self.place(G_AB), self.place(G_BA)
        self.D_A, self.D_B = self.place(D_A), self.place(D_B)
        self.opt_G = adam(list(itertools.chain(self.G_AB.parameters(), self.G_BA.parameters())), lr, betas,
                          self.device, name="lr (the learning rate)")
        self.opt_D = adam(list(itertools.chain(self.D_A.parameters(), self.D_B.parameters())), lr, betas,
                          self.device, name="lr (the learning rate)")
        self.models = {"G_AB": self.G_AB, "G_BA": self.G_BA, "D_A": self.D_A, "D_B": self.D_B}
        self.optimizers = {"G": self.opt_G, "D": self.opt_D}
        self.decay_learning_rates(validation.nonneg_int("decay_steps", decay_steps),
                                  validation.nonneg_int("constant_steps", constant_steps))

    @staticmethod
    def _l1(x, y):
        return losses.l1_loss(x.float(), y.float())

    def forward(self, batch) -> CycleBatch:
        """``batch = (a, b)`` on the device; both generators translate it and translate back."""
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise validation.ArgumentError("CycleGANTrainer trains on (a, b) batches from the two domains, e.g. "
                                           "fit(gc.data.scenes.Unpaired(A, B), ...)")
        real_A, real_B = super().forward(batch)
        with self.autocast():  # the reference order of the four translations
            fake_B = self._like("b", self.translate_batch("batch a", self.G_AB, real_A, "G_AB"), real_B)
            rec_A = self.G_BA(fake_B)
            fake_A = self._like("a", self.translate_batch("batch b", self.G_BA, real_B, "G_BA"), real_A)
            rec_B = self.G_AB(fake_A)
        return CycleBatch(real_A, real_B, fake_B, rec_A, fake_A, rec_B)

    @staticmethod
    def _like(name: str, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        if fake.shape[1:] != real.shape[1:]:
            raise validation.ArgumentError(f"batch {name} must hold images of the shape the other generator makes, "
                                           f"{tuple(fake.shape[1:])}, got shape {tuple(real.shape)}")
        return fake

    def g_step(self, batch: CycleBatch) -> dict[str, torch.Tensor]:
        """Update both generators with both discriminators frozen."""
        b = batch
        with frozen(self.D_A, self.D_B):
            with self.autocast():
                gan_AB, gan_BA = self.g_loss(self.D_B(b.fake_B).float()), self.g_loss(self.D_A(b.fake_A).float())
            cycle = self.lambda_cycle * (self._l1(b.rec_A, b.real_A) + self._l1(b.rec_B, b.real_B))
            loss = gan_AB + gan_BA + cycle
            logs = {}
            if self.lambda_identity > 0:  # G_AB should leave an image that is already in B alone, and vice versa
                with self.autocast():
                    idt_B, idt_A = self.G_AB(b.real_B), self.G_BA(b.real_A)
                idt = self.lambda_cycle * self.lambda_identity * (self._l1(idt_B, b.real_B) +
                                                                   self._l1(idt_A, b.real_A))
                loss = loss + idt
                logs["loss_idt"] = idt.detach()
            self.update("G", loss)
        return {"loss_G": loss.detach(), "loss_G_AB": gan_AB.detach(), "loss_G_BA": gan_BA.detach(),
                "loss_cycle": cycle.detach(), **logs}

    def d_step(self, batch: CycleBatch) -> dict[str, torch.Tensor]:
        """Update D_A and D_B (LSGAN) on real images against fakes drawn through the image pools."""
        fake_A = self.prepare(self.pool_A.query(batch.fake_A.detach()))
        fake_B = self.prepare(self.pool_B.query(batch.fake_B.detach()))
        with self.autocast():
            d_A = self.d_loss(self.D_A(batch.real_A).float(), self.D_A(fake_A).float())
            d_B = self.d_loss(self.D_B(batch.real_B).float(), self.D_B(fake_B).float())
        self.update("D", d_A + d_B)
        return {"loss_D_A": d_A.detach(), "loss_D_B": d_B.detach()}

    def translate(self, x: torch.Tensor, direction: str = "AB", batch_size: int = 256) -> torch.Tensor:
        """G_AB(x) (``direction="AB"``) or G_BA(x) (``"BA"``) in eval mode, as float32 on the CPU."""
        validation.choice("direction", direction, ("AB", "BA"))
        x = validation.tensor("x (N, C, H, W)", x, ndim=4, finite=False)
        return self.infer(self.G_AB if direction == "AB" else self.G_BA, x, batch_size=batch_size, what="x")

    def state_dict(self) -> dict:
        return {**super().state_dict(), "pools": {"A": self.pool_A.state_dict(), "B": self.pool_B.state_dict()}}

    def check_extra_state(self, state: dict) -> list[str]:
        pools = state.get("pools")
        if not isinstance(pools, dict) or set(pools) != {"A", "B"}:
            return ["pools: the checkpoint has no image pools A and B"]
        return [p for name, pool in (("A", self.pool_A), ("B", self.pool_B))
                for p in pool.check_state(pools[name], name)]

    def load_extra_state(self, state: dict) -> None:
        self.pool_A.load_state_dict(state["pools"]["A"], self.device)
        self.pool_B.load_state_dict(state["pools"]["B"], self.device)
