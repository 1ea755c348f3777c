"""Throughput of one DCGAN-64 training step: images/s and TFLOP/s, fp32 eager loop vs the trainer's fast path.

    python benchmarks/dcgan_throughput.py --out benchmarks/results/dcgan_throughput_cuda.md
    python benchmarks/dcgan_throughput.py --device cpu --steps 2 --warmup 1 --out benchmarks/results/dcgan_throughput_cpu.md

The model is the paper's 64x64 DCGAN (nz 100, ngf = ndf = 64, 3 channels). One step = one D update (G forward
without gradients, D forward and backward on a real and a fake batch) and one G update (G and D forward, backward
through D into G with D frozen). Both modes keep the data on the device and draw minibatch indices there.

- ``fp32 eager``: a plain hand-written loop in fp32 (contiguous NCHW tensors, Adam's default for-each
  implementation, no host synchronisation inside the loop).
- ``trainer fast path``: ``gc.trainers.dcgan_trainer(...).fit(...)``: bf16 autocast, channels_last and fused Adam on
  CUDA, one host-device synchronisation every ``sync_every`` steps (50 on CUDA). On the CPU the trainer runs fp32.

FLOPs are counted analytically, per convolution (2 x multiply-adds; a transposed convolution scatters every input
pixel through the whole kernel), ignoring BatchNorm and activations:

    FLOPs/image/step = 4 F_G + 8 F_D

with F_G, F_D the forward FLOPs of G and D on one image: the D step runs G forward once (1 F_G) and D forward and
backward (activation and weight gradients, 3 F_D) on real and on fake (6 F_D); the G step runs G forward and
backward (3 F_G) and D forward plus backward for activation gradients only (D is frozen: 2 F_D). cuDNN's autotuner
is on in both modes (``--no-cudnn-benchmark`` turns it off); PyTorch's default TF32 for cuDNN convolutions
applies to the fp32 loop on Ampere and later GPUs.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from common import fit_seconds_per_step, machine, seconds_per_step, table, write

import gancourse as gc
from gancourse.models.dcgan import DCGANDiscriminator, DCGANGenerator, conv_layers

IMAGE, NZ, NGF, NDF, CHANNELS = 64, 100, 64, 64, 3


def step_flops_per_image() -> tuple[float, float, float]:
    """(F_G, F_D, FLOPs per image per training step) from the conv layers' shapes."""
    G = DCGANGenerator(IMAGE, nz=NZ, ngf=NGF, channels=CHANNELS)
    D = DCGANDiscriminator(IMAGE, ndf=NDF, channels=CHANNELS)
    f_g = 2.0 * sum(r["macs"] for r in conv_layers(G, (1, NZ)))
    f_d = 2.0 * sum(r["macs"] for r in conv_layers(D, (1, CHANNELS, IMAGE, IMAGE)))
    return f_g, f_d, 4 * f_g + 8 * f_d


class DeviceImages:
    """Images kept on the device; minibatch indices drawn there too (no host round trip, no sync per step).

    ``sample(n, generator)`` is the interface ``Trainer.fit`` accepts; the CPU generator it passes is not used, the
    indices come from this object's own device generator (a benchmark needs speed, not a replayable stream).
    """

    def __init__(self, images: torch.Tensor, seed: int = 0):
        self.images = images
        self.gen = torch.Generator(device=images.device).manual_seed(seed)

    def sample(self, n: int, generator=None) -> torch.Tensor:
        idx = torch.randint(len(self.images), (n,), generator=self.gen, device=self.images.device)
        return self.images[idx]


def run_eager(data: DeviceImages, batch: int, warmup: int, steps: int, device: torch.device) -> float:
    """Seconds per step of a plain fp32 loop."""
    torch.manual_seed(0)
    G = DCGANGenerator(IMAGE, nz=NZ, ngf=NGF, channels=CHANNELS).to(device)
    D = DCGANDiscriminator(IMAGE, ndf=NDF, channels=CHANNELS).to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    z_gen = torch.Generator(device=device).manual_seed(1)

    losses = []

    def one_step():
        real = data.sample(batch)
        with torch.no_grad():
            fake = G(torch.randn(batch, NZ, generator=z_gen, device=device))
        loss_D = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
        D.requires_grad_(False)
        loss_G = F.softplus(-D(G(torch.randn(batch, NZ, generator=z_gen, device=device)))).mean()
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)
        losses.append(torch.stack([loss_D.detach(), loss_G.detach()]))

    sec = seconds_per_step(one_step, warmup=warmup, steps=steps, device=device)
    if not all(torch.isfinite(pair).all() for pair in losses):
        raise RuntimeError("fp32 eager loop produced non-finite losses")
    return sec


def run_trainer(data: DeviceImages, batch: int, warmup: int, steps: int, device: torch.device) -> float:
    """Seconds per step of ``dcgan_trainer(...).fit``: the course's fast path on CUDA."""
    trainer = gc.trainers.dcgan_trainer(IMAGE, nz=NZ, ngf=NGF, ndf=NDF, channels=CHANNELS, seed=0, device=device)
    return fit_seconds_per_step(trainer, data, batch, warmup=warmup, steps=steps, device=device)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: the best available)")
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 20 GPU, 1 CPU)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 200 GPU, 3 CPU)")
    parser.add_argument("--modes", nargs="+", default=["eager", "trainer"], choices=["eager", "trainer"])
    parser.add_argument("--no-cudnn-benchmark", action="store_true")
    parser.add_argument("--out", default=None, help="write the markdown table here")
    args = parser.parse_args(argv)

    device = gc.device(args.device)
    gpu = device.type == "cuda"
    warmup = args.warmup if args.warmup is not None else (20 if gpu else 1)
    steps = args.steps if args.steps is not None else (200 if gpu else 3)
    if steps < 1 or warmup < 0:
        raise ValueError(f"need steps >= 1 and warmup >= 0, got {steps} and {warmup}")
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
    torch.backends.cudnn.deterministic = False

    f_g, f_d, per_image = step_flops_per_image()
    images = (torch.rand(4096, CHANNELS, IMAGE, IMAGE, generator=torch.Generator().manual_seed(0)) * 2 - 1).to(device)
    data = DeviceImages(images)
    names = {"eager": "fp32 eager loop", "trainer": "trainer fast path (bf16, channels_last, fused Adam)" if gpu
             else "trainer (CPU: fp32)"}
    rows = []
    for batch in args.batches:
        for mode in args.modes:
            if gpu:
                torch.cuda.reset_peak_memory_stats(device)
            sec = (run_eager if mode == "eager" else run_trainer)(data, batch, warmup, steps, device)
            mem = f"{torch.cuda.max_memory_allocated(device) / 2**30:.1f}" if gpu else "-"
            rows.append((batch, names[mode], sec * 1e3, batch / sec, per_image * batch / sec / 1e12, mem))
            print(f"batch {batch:4d} {names[mode]:52s} {sec * 1e3:9.2f} ms/step {batch / sec:10.0f} img/s "
                  f"{per_image * batch / sec / 1e12:8.3f} TFLOP/s", flush=True)

    lines = [
        f"# DCGAN-64 training step throughput ({device.type})",
        "",
        f"Device: {machine(device)}. Model: DCGAN 64x64, nz {NZ}, ngf = ndf = {NGF}, {CHANNELS} channels. "
        f"{warmup} warm-up and {steps} timed steps per row; data on the device.",
        f"FLOPs per image per step = 4 F_G + 8 F_D = {per_image / 1e9:.3f} GFLOP "
        f"(F_G = {f_g / 1e6:.1f} MFLOP, F_D = {f_d / 1e6:.1f} MFLOP forward; convolutions only).",
        (f"cuDNN benchmark: {'off' if args.no_cudnn_benchmark else 'on'}. " if gpu else "") + "Measured with "
        "`python benchmarks/dcgan_throughput.py" + (f" --device {args.device}" if args.device else "")
        + f" --warmup {warmup} --steps {steps}`.",
        "",
        *table(["batch", "mode", "ms/step", "images/s", "TFLOP/s", "peak GPU memory (GiB)"],
               [(b, m, f"{ms:.2f}", f"{ips:,.0f}", f"{tf:.3f}", mem) for b, m, ms, ips, tf, mem in rows], "rlrrrr"),
    ]
    print()
    return write("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
