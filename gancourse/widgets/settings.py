"""The lab's settings in one table: what each may be (checked by :mod:`gancourse.validation`) and the control
that shows it (built by :mod:`gancourse.widgets.lab_view`).

    SETTINGS["lr_d"].range.check("lr_d", 1.0)   # ArgumentError: lr_d must be a finite number >= 1e-05 and <= 0.1
    check("k", 3)                               # 3
    REBUILD                                     # the settings that rebuild G, D and the trainer from the seed

The training methods are a plain dict of trainer classes (:data:`METHODS`): the lab drives each only through the
public trainer contract (``fit``, ``forward``/``d_step``/``g_step``, ``k``, ``g_loss``, ``unroll``,
``set_learning_rates``).
"""
from __future__ import annotations

import dataclasses

from .. import config, validation
from ..data.toy import TOY
from ..trainers import GANTrainer, UnrolledGANTrainer, WGANGPTrainer, WGANTrainer
from ..validation import Range

__all__ = ["METHODS", "CRITICS", "GP_WEIGHT", "Setting", "SETTINGS", "REBUILD", "LabSettings", "check",
           "method_labels"]

METHODS = {"gan": GANTrainer, "unrolled": UnrolledGANTrainer, "wgan-gp": WGANGPTrainer, "wgan": WGANTrainer}
CRITICS = ("wgan-gp", "wgan")  # methods whose D is a critic f(x) (no sigmoid) with fixed Wasserstein losses
GP_WEIGHT = 0.1  # WGAN-GP's lambda on the toy data, as in the reference code's toy experiments
WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One row of the table.

    range: the allowed values (validation and the control's limits). widget: the control's kind (``dropdown``,
    ``toggle``, ``log_slider``, ``slider``, ``selection``, ``checkbox``), None for a setting without one.
    label: the control's text. names: value -> shown name, for dropdowns and toggles. rebuild: changing it
    rebuilds G, D and the trainer from the seed (the other settings act on the running training).
    """

    range: Range
    widget: str | None = None
    label: str = ""
    names: dict | None = None
    rebuild: bool = False


SETTINGS = {
    "data": Setting(Range(choices=tuple(TOY)), "dropdown", "data", rebuild=True),
    "method": Setting(Range(choices=tuple(METHODS)), "dropdown", "method", rebuild=True, names={
        "gan": "GAN (alternating updates)", "unrolled": "unrolled GAN", "wgan-gp": "WGAN-GP",
        "wgan": "WGAN (weight clipping)"}),
    "loss": Setting(Range(choices=("nonsaturating", "minimax")), "dropdown", "G loss",
                    names={"nonsaturating": "non-saturating", "minimax": "minimax (saturating)"}),
    "lr_d": Setting(Range(1e-5, 1e-1, log=True), "log_slider", "D lr"),
    "lr_g": Setting(Range(1e-5, 1e-1, log=True), "log_slider", "G lr"),
    "k": Setting(Range(1, 10), "slider", "D steps k"),
    "unroll": Setting(Range(1, 10), "slider", "unroll steps"),
    "d_width": Setting(Range(choices=WIDTHS), "selection", "D width", rebuild=True),
    "d_depth": Setting(Range(0, 4), "slider", "D hidden layers", rebuild=True),
    "g_width": Setting(Range(choices=WIDTHS), rebuild=True),
    "g_depth": Setting(Range(1, 4), rebuild=True),
    "train": Setting(Range(choices=("both", "D", "G")), "toggle", "train",
                     names={"both": "D + G", "D": "D only", "G": "G only"}),
    "steps_per_frame": Setting(Range(1, 50), "slider", "steps per frame"),
    "slow_motion": Setting(Range(kind=bool), "checkbox", "slow motion (D, then G)"),
    "batch_size": Setting(Range(1, 4096), rebuild=True),
    "seed": Setting(Range(0, validation.SEED_MAX - 1), rebuild=True),
}
REBUILD = tuple(name for name, s in SETTINGS.items() if s.rebuild)


@dataclasses.dataclass
class LabSettings:
    """Everything a user can change (see :data:`SETTINGS` for what each may be)."""

    data: str = "ring"
    method: str = "gan"
    loss: str = "nonsaturating"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    k: int = 1
    unroll: int = 5
    d_width: int = 64
    d_depth: int = 2
    g_width: int = 64
    g_depth: int = 2
    train: str = "both"
    steps_per_frame: int = 5
    slow_motion: bool = False
    batch_size: int = 256
    seed: int = dataclasses.field(default_factory=config.seed)  # GANCOURSE_SEED unless given

    def __post_init__(self):
        for field in dataclasses.fields(self):  # every value through its check, as the lab's controls do
            setattr(self, field.name, check(field.name, getattr(self, field.name)))


def check(name: str, value):
    """``value`` as the setting ``name`` stores it, or an ArgumentError saying what is allowed."""
    if name not in SETTINGS:
        raise validation.ArgumentError(f"no setting named {name!r}; settings: {', '.join(SETTINGS)}")
    return SETTINGS[name].range.check(name, value)


def method_labels() -> dict[str, str]:
    """Training method -> the name the lab shows."""
    return dict(SETTINGS["method"].names)
