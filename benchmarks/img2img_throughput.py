"""Seconds per training step and images/s of Pix2Pix and CycleGAN at a few image sizes, fp32 vs the fast path.

    python benchmarks/img2img_throughput.py --out benchmarks/results/img2img_throughput_cuda.md
    python benchmarks/img2img_throughput.py --device cpu --out benchmarks/results/img2img_throughput_cpu.md

Both modes run the course's trainers (``Pix2PixTrainer``, ``CycleGANTrainer``) through ``fit`` with the data kept
on the device and minibatch indices drawn there by a device generator (no host round trip per step):

- ``fp32``: ``amp=False, channels_last=False`` (contiguous NCHW, fp32; Adam is fused on CUDA in both modes).
- ``fast``: the trainers' CUDA defaults: bf16 autocast, channels_last, fused Adam, one host-device
  synchronisation every 50 steps. On the CPU the fast path is the fp32 path, so only ``fp32`` runs there.

A Pix2Pix step = G forward, D update on (A, B) and (A, G(A)), G update (GAN + L1) through the frozen D. A CycleGAN
step = both generators forward three times (translate, translate back, identity), G update through both frozen
Ds, then a D update on real images and image-pool fakes. img/s counts the batch size per step (for CycleGAN:
images of each domain). The GPU is synchronised before the clock starts and after the last step.
"""
from __future__ import annotations

import argparse

import torch
from common import fit_seconds_per_step, machine, table, write

import gancourse as gc
from gancourse.models.cyclegan import ResNetGenerator
from gancourse.models.pix2pix import PatchGAN, UNetGenerator


class DevicePairs:
    """(A, B) minibatches from tensors already on the device; ``paired=False`` draws independent indices for A
    and B (CycleGAN). Indices come from this object's own device generator (the CPU generator ``fit`` passes is
    ignored: a benchmark needs speed, not a replayable stream)."""

    def __init__(self, A: torch.Tensor, B: torch.Tensor, paired: bool, seed: int = 0):
        self.A, self.B, self.paired = A, B, paired
        self.gen = torch.Generator(device=A.device).manual_seed(seed)

    def sample(self, n: int, generator=None):
        ia = torch.randint(len(self.A), (n,), generator=self.gen, device=self.A.device)
        ib = ia if self.paired else torch.randint(len(self.B), (n,), generator=self.gen, device=self.B.device)
        return self.A[ia], self.B[ib]


def make_pix2pix(size: int, ngf: int, fast: bool, device: torch.device):
    torch.manual_seed(0)
    G, D = UNetGenerator(3, 3, size=size, ngf=ngf), PatchGAN(in_ch=6, ndf=ngf, n_layers=3)
    extra = {} if fast else {"amp": False, "channels_last": False}
    return gc.trainers.Pix2PixTrainer(G, D, device=device, **extra)


def make_cyclegan(size: int, ngf: int, fast: bool, device: torch.device):
    torch.manual_seed(0)
    blocks = 9 if size >= 256 else 6
    Gs = [ResNetGenerator(ngf=ngf, n_blocks=blocks) for _ in range(2)]
    Ds = [PatchGAN(in_ch=3, ndf=ngf, n_layers=3, norm="instance") for _ in range(2)]
    extra = {} if fast else {"amp": False, "channels_last": False}
    return gc.trainers.CycleGANTrainer(*Gs, *Ds, device=device, **extra)


def time_trainer(trainer, data, batch: int, warmup: int, steps: int, device: torch.device) -> float:
    """Seconds per step of ``trainer.fit`` after ``warmup`` untimed steps."""
    elapsed = fit_seconds_per_step(trainer, data, batch, warmup=warmup, steps=steps, device=device)
    last = trainer.history["loss_G"][-1]
    if not torch.isfinite(torch.tensor(last)):
        raise RuntimeError(f"{type(trainer).__name__} produced a non-finite loss_G")
    return elapsed


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: the best available)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="image sides, powers of two >= 32 (default 64 128 256 GPU, 32 64 CPU)")
    parser.add_argument("--ngf", type=int, default=None, help="base width of every network (default 64 GPU, 32 CPU)")
    parser.add_argument("--batch-pix2pix", type=int, default=None, help="default 16 GPU, 8 CPU")
    parser.add_argument("--batch-cyclegan", type=int, default=None, help="default 4 on both")
    parser.add_argument("--models", nargs="+", default=["pix2pix", "cyclegan"], choices=["pix2pix", "cyclegan"])
    parser.add_argument("--modes", nargs="+", default=None, choices=["fp32", "fast"],
                        help="default: fp32 and fast on CUDA, fp32 elsewhere")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 10 GPU, 1 CPU)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 100 GPU, 3 CPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--note", default="", help="a line added under the table (e.g. how the machine was loaded)")
    parser.add_argument("--out", default=None, help="write the markdown table here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    device = gc.device(args.device)
    gpu = device.type == "cuda"
    sizes = args.sizes or ([64, 128, 256] if gpu else [32, 64])
    ngf = args.ngf or (64 if gpu else 32)
    batches = {"pix2pix": args.batch_pix2pix or (16 if gpu else 8), "cyclegan": args.batch_cyclegan or 4}
    modes = args.modes or (["fp32", "fast"] if gpu else ["fp32"])
    warmup = args.warmup if args.warmup is not None else (10 if gpu else 1)
    steps = args.steps if args.steps is not None else (100 if gpu else 3)
    if steps < 1 or warmup < 0 or any(s < 32 or s & (s - 1) for s in sizes):
        raise ValueError(f"need steps >= 1, warmup >= 0 and sizes powers of two >= 32, got {steps}, {warmup}, {sizes}")
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.deterministic = False

    rows = []
    for model in args.models:
        batch = batches[model]
        for size in sizes:
            gen = torch.Generator().manual_seed(size)
            A = (torch.rand(256, 3, size, size, generator=gen) * 2 - 1).to(device)
            B = (torch.rand(256, 3, size, size, generator=gen) * 2 - 1).to(device)
            data = DevicePairs(A, B, paired=model == "pix2pix")
            for mode in modes:
                make = make_pix2pix if model == "pix2pix" else make_cyclegan
                trainer = make(size, ngf, mode == "fast", device)
                sec = time_trainer(trainer, data, batch, warmup, steps, device)
                rows.append((model, size, batch, mode, sec, batch / sec))
                print(f"{model:9s} {size:4d}px batch {batch:3d} {mode:5s}: {sec * 1e3:9.1f} ms/step "
                      f"{batch / sec:9.1f} img/s", flush=True)
                del trainer
                if gpu:
                    torch.cuda.empty_cache()

    lines = [
        f"# Pix2Pix and CycleGAN training throughput ({device.type})",
        "",
        f"Device: {machine(device)}. Networks: U-Net (depth log2(size)) + 70x70 PatchGAN (n_layers 3) for Pix2Pix; "
        f"2 ResNet generators (6 blocks, 9 at 256 px) + 2 PatchGANs (instance norm) for CycleGAN with identity loss "
        f"and image pool; ngf = ndf = {ngf}. Warm-up {warmup} steps, then {steps} timed steps; data on the device.",
        "",
        *table(["model", "size", "batch", "mode", "ms/step", "img/s"],
               [(model, size, batch, mode, f"{sec * 1e3:.1f}", f"{ips:.1f}") for model, size, batch, mode, sec, ips
                in rows]),
    ]
    lines += ["", "fp32: amp off, NCHW. fast: bf16 autocast + channels_last + fused Adam (CUDA only).", ""]
    if args.note:
        lines += [args.note, ""]
    return write("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
