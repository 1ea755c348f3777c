"""Trainers: one contract (``step`` returns floats, ``fit`` with callbacks, exact checkpoints) for every GAN."""
from .base import (
    Callback, Checkpoint, History, LinearDecay, Trainer, TrainingDiverged, adam, atomic_save, load_state,
    make_sampler,
)
from .gan import GANTrainer, grad_norm
from .dcgan import dcgan_trainer
from .conditional import ConditionalGANTrainer
from .infogan import InfoGANTrainer, info_loss
from .cyclegan import CycleGANTrainer, ImagePool
from .pix2pix import Pix2PixTrainer
from .unrolled import UnrolledGANTrainer
from .wgan import WGANGPTrainer, WGANTrainer

__all__ = [
    "Callback", "Checkpoint", "History", "Trainer", "TrainingDiverged", "adam", "atomic_save", "load_state",
    "make_sampler", "GANTrainer", "grad_norm", "LinearDecay",
]
__all__ += ["CycleGANTrainer", "ImagePool", "Pix2PixTrainer"]
__all__ += ["dcgan_trainer"]
__all__ += ["ConditionalGANTrainer", "InfoGANTrainer", "info_loss"]
__all__ += ["UnrolledGANTrainer", "WGANTrainer", "WGANGPTrainer"]
from .r1 import R1GANTrainer
from .averaging import EMA

__all__ += ["R1GANTrainer", "EMA"]
