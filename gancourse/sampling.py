"""Using D after training: its logit estimates log p_data / p_g, so it can correct G's samples (lesson 12).

For the standard GAN, D*(x) = p_data / (p_data + p_g) (lesson 02), so D*'s logit is exactly
l*(x) = log D*/(1 - D*) = log p_data(x) / p_g(x). Two samplers turn that into better samples from a fixed G:

- **discriminator rejection sampling** (DRS, Azadi et al. 2019): draw x ~ p_g and keep it with probability
  p_data(x) / (M p_g(x)) = exp(l(x) - log M), M = max p_data/p_g. With the exact ratio the kept samples follow
  p_data exactly, and on average M draws buy one sample. log M is estimated as the largest logit seen (first on a
  burn-in batch, then raised whenever a larger one appears), or, with ``log_m_quantile`` q < 1, fixed at the
  q-quantile of the burn-in's logits: a sharp D's largest logits come from a few regions that G under-samples,
  and their M would make every draw nearly worthless; above the quantile a sample is always kept, so those
  regions stay under-represented (Azadi et al.'s shift gamma trades the same way).
- **the Metropolis-Hastings GAN** (Turner et al. 2019): an independence sampler with G as the proposal; from state
  x it moves to a fresh x' ~ p_g with probability min(1, exp(l(x') - l(x))). No bound M is needed; each output
  costs ``chain_length`` draws.

Both count what they cost honestly: every sample drawn from G (burn-in included) and the CPU seconds spent.
A trained D is not D*: :func:`refine_discriminator` trains it further against the frozen G (as Azadi et al. do)
so that its logit gets closer to the log-ratio.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import torch

from . import losses, validation

__all__ = ["SamplerStats", "acceptance_probability", "rejection_sample", "metropolis_hastings",
           "refine_discriminator"]


@dataclasses.dataclass
class SamplerStats:
    """What a sampler spent: ``drawn`` samples from G (all of them), ``kept`` returned, CPU ``seconds``
    (``time.process_time``, all threads), and the final ``log_m`` (DRS) or the acceptance rate of moves (MH)."""

    drawn: int
    kept: int
    seconds: float
    log_m: float | None = None
    move_rate: float | None = None

    @property
    def draws_per_sample(self) -> float:
        return self.drawn / max(self.kept, 1)


def acceptance_probability(logits: torch.Tensor, log_m: float) -> torch.Tensor:
    """DRS's rule: min(1, exp(l - log M)), computed without overflow (the exponent is clamped at 0 first).

    With l = log p_data/p_g this is p_data / (M p_g): rejection sampling of p_data with p_g as the proposal."""
    return _accept(validation.tensor("logits", logits), validation.number("log_m", log_m))


def _accept(logits: torch.Tensor, log_m: float) -> torch.Tensor:
    return (logits - log_m).clamp(max=0).exp()


def _check_fns(sample_fn, logit_fn, generator):
    """The samplers' shared arguments: sample_fn(m) -> (m, ...) samples, logit_fn(x) -> (m,) logits of D."""
    validation.function("sample_fn", sample_fn)
    validation.function("logit_fn", logit_fn)
    validation.generator("generator", generator)


@torch.no_grad()
def rejection_sample(sample_fn: Callable[[int], torch.Tensor], logit_fn: Callable[[torch.Tensor], torch.Tensor],
                     n: int, *, batch_size: int = 10_000, burn_in: int = 10_000, max_draws: int = 10_000_000,
                     log_m_quantile: float = 1.0, generator: torch.Generator | None = None,
                     ) -> tuple[torch.Tensor, SamplerStats]:
    """Discriminator rejection sampling: n samples of G, each kept with probability exp(l(x) - log M).

    Args:
        sample_fn: m -> (m, ...) samples from G (its own noise). logit_fn: samples -> (m,) D logits.
        n: samples to return. batch_size: samples drawn per round (at most; once the acceptance rate is known,
            about what is still needed). burn_in: samples drawn first only to estimate log M (counted in
            ``drawn``, never returned).
        max_draws: stop with an error rather than draw more than this (a D that rejects almost everything);
            more than ``burn_in``.
        log_m_quantile: 1 (the default): log M is the largest logit seen, raised as larger ones come; q in (0, 1):
            log M is the q-quantile of the burn-in's logits, fixed (samples above it are always kept).
        generator: for the uniform numbers of the accept/reject decisions.

    Returns (samples (n, ...), :class:`SamplerStats`).
    """
    _check_fns(sample_fn, logit_fn, generator)
    n = validation.positive_int("n", n)
    batch_size = validation.positive_int("batch_size", batch_size)
    burn_in = validation.positive_int("burn_in", burn_in)
    max_draws = validation.integer("max_draws", max_draws, low=burn_in + 1)  # the burn-in alone must not exhaust it
    q = validation.number("log_m_quantile", log_m_quantile, low=0, high=1, low_open=True)
    start = time.process_time()
    burn_logits = logit_fn(sample_fn(burn_in)).float().flatten()
    log_m = float(torch.kthvalue(burn_logits, max(1, math.ceil(q * len(burn_logits)))).values)  # q = 1: the max
    drawn, kept, count, seen = burn_in, [], 0, 0
    while count < n:
        if drawn >= max_draws:
            raise RuntimeError(f"rejection sampling drew {drawn} samples and kept only {count} of {n}: D rejects "
                               "almost everything (is it trained against this G?); raise max_draws to go on")
        # once the acceptance rate is known, draw about what is still needed (+20 %) rather than a full batch
        m = batch_size if count == 0 else min(batch_size, max(256, math.ceil(1.2 * (n - count) * seen / count)))
        x = sample_fn(m)
        logits = logit_fn(x).float()
        drawn, seen = drawn + m, seen + m
        if q == 1:
            log_m = max(log_m, float(logits.max()))  # a larger ratio than the burn-in saw: raise the bound
        u = torch.rand(len(logits), generator=generator)
        keep = x[u < _accept(logits, log_m)]
        kept.append(keep)
        count += len(keep)
    samples = torch.cat(kept)[:n]
    return samples, SamplerStats(drawn, n, time.process_time() - start, log_m=log_m)


@torch.no_grad()
def metropolis_hastings(sample_fn: Callable[[int], torch.Tensor], logit_fn: Callable[[torch.Tensor], torch.Tensor],
                        n: int, *, chain_length: int = 20, generator: torch.Generator | None = None,
                        ) -> tuple[torch.Tensor, SamplerStats]:
    """The MH-GAN's independence sampler: n chains, each started at a sample of G and offered ``chain_length``
    fresh proposals x' ~ p_g, each accepted with probability min(1, exp(l(x') - l(x))). Returns the chains' last
    states and the stats (``drawn`` = n (chain_length + 1)). With the exact ratio, p_data is the chains'
    stationary distribution; a finite chain only approaches it."""
    _check_fns(sample_fn, logit_fn, generator)
    n = validation.positive_int("n", n)
    chain_length = validation.positive_int("chain_length", chain_length)
    start = time.process_time()
    x = sample_fn(n)
    logit = logit_fn(x).float()
    moves = 0
    for _ in range(chain_length):
        proposal = sample_fn(n)
        logit_new = logit_fn(proposal).float()
        u = torch.rand(n, generator=generator)
        accept = u < (logit_new - logit).clamp(max=0).exp()
        x = torch.where(accept.reshape(-1, *[1] * (x.ndim - 1)), proposal, x)
        logit = torch.where(accept, logit_new, logit)
        moves += int(accept.sum())
    return x, SamplerStats(n * (chain_length + 1), n, time.process_time() - start,
                           move_rate=moves / (n * chain_length))


def refine_discriminator(D: torch.nn.Module, real_fn: Callable[[int], torch.Tensor],
                         sample_fn: Callable[[int], torch.Tensor], steps: int, *, batch_size: int = 256,
                         lr: float = 1e-3, betas=(0.5, 0.999)) -> list[float]:
    """Train D (in place) as a classifier of real against G's samples, G frozen: minimax D loss, Adam.

    At its optimum D's logit is log p_data / p_g (lesson 02). ``real_fn(m)`` and ``sample_fn(m)`` give batches.
    Returns the loss of every step. The caller owns the randomness (seed the functions' generators)."""
    D = validation.module("D", D)
    validation.function("real_fn", real_fn)
    validation.function("sample_fn", sample_fn)
    steps = validation.nonneg_int("steps", steps)
    batch_size = validation.positive_int("batch_size", batch_size)
    lr = validation.positive("lr", lr)
    betas = validation.betas("betas", betas)
    opt = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    was_training = D.training
    D.train()
    history = []
    try:
        for _ in range(steps):
            real = real_fn(batch_size)
            with torch.no_grad():
                fake = sample_fn(batch_size)
            loss = losses.minimax_d_loss(D(real), D(fake))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            history.append(float(loss.detach()))
            if not math.isfinite(history[-1]):
                raise FloatingPointError(f"D's loss became {history[-1]} at step {len(history)}; lower lr")
    finally:
        D.train(was_training)
    return history
