"""Trainers: one contract (``d_step``/``g_step`` hooks, ``step`` returns floats, ``fit`` with callbacks, exact
checkpoints) for every GAN. Read ``base.py`` (the contract), then ``gan.py`` (the GAN that the rest extend)."""
from .base import (Callback, Checkpoint, CheckpointError, History, LinearDecay, Trainer, TrainingDiverged, adam,
                   frozen, grad_norm)
from .sampling import make_sampler
from .state import atomic_save, load_state
from .gan import GANTrainer
from .dcgan import dcgan_trainer
from .unrolled import UnrolledGANTrainer
from .wgan import WGANGPTrainer, WGANTrainer
from .conditional import ConditionalGANTrainer
from .infogan import InfoGANTrainer, info_loss
from .pix2pix import Pix2PixTrainer
from .cyclegan import CycleGANTrainer, ImagePool
from .r1 import R1GANTrainer
from .averaging import EMA
from .progressive import ProgressiveGANTrainer

__all__ = [
    "Callback", "Checkpoint", "CheckpointError", "History", "LinearDecay", "Trainer", "TrainingDiverged", "adam",
    "frozen",
    "grad_norm", "make_sampler", "atomic_save", "load_state",
    "GANTrainer", "dcgan_trainer", "UnrolledGANTrainer", "WGANTrainer", "WGANGPTrainer",
    "ConditionalGANTrainer", "InfoGANTrainer", "info_loss", "Pix2PixTrainer", "CycleGANTrainer", "ImagePool",
    "R1GANTrainer", "EMA",
    "ProgressiveGANTrainer",
]
