"""InfoGAN (Chen et al. 2016): codes that mean something, learned without labels.

G reads noise z and a code c = (c_cat, c_cont): c_cat uniform over ``n_cat`` classes, c_cont uniform in [-1, 1]^L.
A head Q on D's features guesses c from G(z, c). The game adds a variational lower bound L_I of the mutual
information I(c; G(z, c)), maximised by both G and Q:

    min_{G, Q} max_D  V(D, G) - lambda * L_I(G, Q),
    L_I = E[log Q(c_cat | x)] + E[log Q(c_cont | x)] + H(c)        (H(c) is a constant)

With Q's continuous guess a Gaussian of fixed unit variance, -L_I is (up to constants) the cross-entropy of the
categorical code plus half the squared error of the continuous one: :func:`info_loss`. D's update minimises its GAN
loss plus lambda * info_loss on the (detached) fakes, which trains Q and the shared features; G's update minimises
its GAN loss plus lambda * info_loss, which makes the codes recoverable from the images.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .gan import GANTrainer, grad_norm

__all__ = ["InfoGANTrainer", "info_loss"]


def info_loss(cat_logits: torch.Tensor, cat_code: torch.Tensor, cont_pred: torch.Tensor, cont_code: torch.Tensor,
              cont_weight: float = 1.0) -> torch.Tensor:
    """-L_I up to constants: CE(cat_logits, cat_code) + cont_weight * E[0.5 * sum_l (cont_pred_l - cont_code_l)^2].

    cat_logits (B, K), cat_code (B,) class indices, cont_pred and cont_code (B, L) (L may be 0).
    """
    ce = F.cross_entropy(cat_logits, cat_code)
    if cont_code.shape[1] == 0:
        return ce
    return ce + cont_weight * 0.5 * (cont_pred - cont_code).pow(2).sum(1).mean()


class InfoGANTrainer(GANTrainer):
    """Train an :class:`~gancourse.models.conditional.InfoGenerator` and an
    :class:`~gancourse.models.conditional.InfoDiscriminator` (D with a Q head).

    Args:
        lambda_info: weight of the mutual-information term (1 in the paper for discrete codes).
        cont_weight: weight of the continuous part inside :func:`info_loss` (the paper uses a smaller one).
        Everything else as :class:`GANTrainer`. ``z_dim`` is G's whole input (noise + codes).
    """

    def __init__(self, G, D, *, lambda_info: float = 1.0, cont_weight: float = 0.5, **kwargs):
        super().__init__(G, D, **kwargs)
        for name in ("noise_dim", "n_cat", "n_cont"):
            if not hasattr(G, name):
                raise ValueError(f"G needs a {name} attribute (use gancourse.models.conditional.InfoGenerator)")
        if not hasattr(D, "heads"):
            raise ValueError("D needs a heads(x) method returning (logits, cat_logits, cont_pred): "
                             "use InfoDiscriminator")
        if not lambda_info >= 0 or not cont_weight >= 0:
            raise ValueError(f"lambda_info and cont_weight must be >= 0, got {lambda_info!r} and {cont_weight!r}")
        self.lambda_info, self.cont_weight = float(lambda_info), float(cont_weight)

    def sample_codes(self, n: int):
        """(z, c_cat, c_cont): noise N(0, I), categorical code uniform, continuous code uniform in [-1, 1]."""
        z = torch.randn(n, self.G.noise_dim, generator=self.rng, device=self.device)
        c_cat = torch.randint(self.G.n_cat, (n,), generator=self.rng, device=self.device)
        c_cont = torch.rand(n, self.G.n_cont, generator=self.rng, device=self.device) * 2 - 1
        return z, c_cat, c_cont

    def sample_z(self, n: int) -> torch.Tensor:
        """G's whole input [z, one_hot(c_cat), c_cont] with freshly drawn codes."""
        return self.G.assemble(*self.sample_codes(n))

    def d_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """D's GAN loss, plus lambda * info_loss of Q on the detached fakes (trains Q and the shared features)."""
        real = self._prepare(real)
        z, c_cat, c_cont = self.sample_codes(real.shape[0])
        with torch.no_grad(), self.autocast():
            fake = self.G(z, c_cat, c_cont)
        with self.autocast():
            d_real = self.D(real)
            d_fake, q_cat, q_cont = self.D.heads(fake.float())
            gan = self.d_loss(d_real.float(), d_fake.float())
            info = info_loss(q_cat.float(), c_cat, q_cont.float(), c_cont, self.cont_weight)
        loss = gan + self.lambda_info * info
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_D.step()
        return {"loss_D": gan.detach(), "loss_info": info.detach(),
                "D_real": torch.sigmoid(d_real.detach().float()).mean(),
                "D_fake": torch.sigmoid(d_fake.detach().float()).mean()}

    def g_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        """G's GAN loss plus lambda * info_loss: fool D *and* make the code readable from the image (D frozen)."""
        self.D.requires_grad_(False)
        try:
            z, c_cat, c_cont = self.sample_codes(batch_size)
            with self.autocast():
                logit, q_cat, q_cont = self.D.heads(self.G(z, c_cat, c_cont))
                gan = self.g_loss(logit.float())
                info = info_loss(q_cat.float(), c_cat, q_cont.float(), c_cont, self.cont_weight)
            loss = gan + self.lambda_info * info
            self.opt_G.zero_grad(set_to_none=True)
            loss.backward()
            norm = grad_norm(self.G.parameters())
            self.opt_G.step()
        finally:
            self.D.requires_grad_(True)
        return {"loss_G": gan.detach(), "loss_info_G": info.detach(), "grad_G": norm}

    def train_step(self, batch):
        real = batch[0] if isinstance(batch, (tuple, list)) else batch  # labels, if given, are ignored
        logs = {}
        for i in range(self.k):
            if i > 0 and self._draw is not None:
                nxt = self.next_batch()
                real = nxt[0] if isinstance(nxt, (tuple, list)) else nxt
            logs = self.d_step(real)
        return {**logs, **self.g_step(real.shape[0])}

    @torch.no_grad()
    def sample_codes_grid(self, c_cat: torch.Tensor, c_cont: torch.Tensor | None = None,
                          z: torch.Tensor | None = None) -> torch.Tensor:
        """Images for the given codes (and noise), in eval mode, float32 on the CPU."""
        n = len(c_cat)
        z = torch.randn(n, self.G.noise_dim, generator=self.rng, device=self.device) if z is None else z.to(self.device)
        c_cont = torch.zeros(n, self.G.n_cont, device=self.device) if c_cont is None else c_cont.to(self.device)
        self.G.eval()
        with self.autocast():
            out = self.G(z, c_cat.to(self.device), c_cont)
        self.G.train()
        return out.float().cpu()
