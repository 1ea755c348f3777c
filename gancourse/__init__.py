"""gancourse: the helper package of an interactive course on Generative Adversarial Networks.

    import gancourse as gc
    SEED = gc.seed_everything()        # GANCOURSE_SEED, 0 by default
    gc.lesson_start("03", device="cpu")  # budget, device, measured time and memory; the models' device
    steps = gc.pick(smoke=200, default=3000, full=20000)   # set by GANCOURSE_BUDGET (or the device)
"""
from . import validation, contexts
from . import losses, theory, metrics, data, models, trainers
from . import checks, plots, saturation, classifiers, images, img2img, exercises
from . import dynamics, evaluation, sampling
from .config import BUDGETS, budget, device, lesson_device, pick, progress, seed, seed_everything
from . import course
from .course import lesson_start
from .trainers import Callback, Checkpoint, GANTrainer, Trainer, TrainingDiverged

__version__ = "0.1.0"

__all__ = [
    "validation", "contexts", "losses", "theory", "metrics", "data", "models", "trainers", "checks", "plots",
    "saturation", "classifiers", "images", "img2img", "exercises", "course", "dynamics", "evaluation", "sampling",
    "BUDGETS", "budget", "device", "lesson_device", "pick", "progress", "seed", "seed_everything", "lesson_start",
    "Callback", "Checkpoint", "GANTrainer", "Trainer", "TrainingDiverged",
]
