"""gancourse: the helper package of an interactive course on Generative Adversarial Networks.

    import gancourse as gc
    SEED = gc.seed_everything()        # GANCOURSE_SEED, 0 by default
    steps = gc.pick(smoke=200, default=3000, full=20000)   # set by GANCOURSE_BUDGET
"""
from . import validation, contexts
from . import losses, theory, metrics, data, models, trainers
from . import checks, plots, saturation, classifiers, images, img2img
from . import dynamics, evaluation, sampling
from .config import BUDGETS, budget, device, pick, progress, seed, seed_everything
from .trainers import Callback, Checkpoint, GANTrainer, Trainer, TrainingDiverged

__version__ = "0.1.0"

__all__ = [
    "validation", "contexts", "losses", "theory", "metrics", "data", "models", "trainers", "checks", "plots",
    "saturation", "classifiers", "images", "img2img", "dynamics", "evaluation", "sampling",
    "BUDGETS", "budget", "device", "pick", "progress", "seed", "seed_everything",
    "Callback", "Checkpoint", "GANTrainer", "Trainer", "TrainingDiverged",
]
