"""A small digit classifier that labels generated digits (to count which classes a GAN covers).

    clf = gc.classifiers.digit_classifier(size=16)    # trained on scikit-learn's digits in a few seconds
    clf.test_accuracy                                 # held-out accuracy, about 0.98
    labels = clf.predict(fake)                        # (N,) int64
    counts = gc.classifiers.class_counts(clf, fake, min_confidence=0.9)

Or train one yourself: ``train_digit_classifier(images, labels, ...)`` on any (N, 1, H, W) images in [-1, 1].
"""
from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import validation
from .contexts import eval_mode

__all__ = ["DigitClassifier", "train_digit_classifier", "digit_classifier", "accuracy", "class_counts"]


class DigitClassifier(nn.Module):
    """Two strided conv blocks and a linear read-out: (N, C, H, W) -> (N, n_classes) logits.

    conv4x4/2(C -> w) -> LeakyReLU -> conv4x4/2(w -> 2w) -> LeakyReLU -> adaptive avg pool to 4x4 -> linear.
    Strided convolutions keep it cheap on a CPU; the adaptive pool lets it accept any input size >= 4.
    """

    def __init__(self, channels: int = 1, n_classes: int = 10, width: int = 16):
        super().__init__()
        channels, width = validation.positive_int("channels", channels), validation.positive_int("width", width)
        self.channels = channels
        self.n_classes = validation.positive_int("n_classes", n_classes)
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.1),  # (N, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.1),  # (N, 2w, H/4, W/4)
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),  # (N, 2w * 16)
        )
        self.head = nn.Linear(2 * width * 16, n_classes)
        self.test_accuracy: float | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    @torch.no_grad()
    def predict_proba(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Class probabilities (N, n_classes) as float32 on the CPU, in eval mode."""
        images = _images(self, "images", images, nonempty=False)
        batch_size = validation.positive_int("batch_size", batch_size)
        device = next(self.parameters()).device
        with eval_mode(self):
            out = [F.softmax(self(images[i:i + batch_size].to(device, torch.float32)).float(), dim=1).cpu()
                   for i in range(0, len(images), batch_size)]
        return torch.cat(out) if out else torch.zeros(0, self.n_classes)

    def predict(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Predicted labels (N,) int64 on the CPU."""
        return self.predict_proba(images, batch_size).argmax(1)


def _images(model, name: str, images, nonempty: bool = True) -> torch.Tensor:
    images = validation.tensor(f"{name} (N, C, H, W)", images, ndim=4, nonempty=nonempty)
    channels = getattr(model, "channels", images.shape[1])
    if images.shape[1] != channels:
        raise validation.ArgumentError(f"{name} must have {channels} channel(s), got shape {tuple(images.shape)}")
    return images


def _labels(labels, n: int, name: str = "labels") -> torch.Tensor:
    labels = validation.tensor(name, labels, ndim=1, floating=False)
    if labels.is_floating_point() or labels.dtype == torch.bool or len(labels) != n:
        raise validation.ArgumentError(f"{name} must hold one integer class index per row of the images, ({n},), got "
                                       f"shape "
                                       f"{tuple(labels.shape)} and dtype {labels.dtype}")
    if int(labels.min()) < 0:
        raise validation.ArgumentError(f"{name} must be >= 0, got {int(labels.min())}")
    return labels


def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``images`` that ``model`` labels correctly."""
    model = validation.module("model", model)
    images, labels = _images(model, "images", images), _labels(labels, len(images))
    return float((model.predict(images) == labels.cpu()).float().mean())


def _shift(x: torch.Tensor, gen: torch.Generator, max_shift: int) -> torch.Tensor:
    """Translate each image by up to ``max_shift`` pixels (zero padding is the background value -1)."""
    if max_shift == 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None].expand(n, x.shape[1], h, w + 2 * max_shift)
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :].expand(n, x.shape[1], h, w)
    return padded.gather(2, rows).gather(3, cols)


def train_digit_classifier(images: torch.Tensor, labels: torch.Tensor, *, test_images=None, test_labels=None,
                           epochs: int = 15, batch_size: int = 64, lr: float = 1e-2, width: int = 16,
                           max_shift: int | None = None, seed: int = 0, device=None) -> DigitClassifier:
    """Train a :class:`DigitClassifier` with Adam and a cosine learning rate; returns it in eval mode.

    Args:
        images: (N, C, H, W) float images (in [-1, 1] for the course's data); labels: (N,) int64.
        test_images, test_labels: optional held-out set; its accuracy is stored in ``model.test_accuracy``.
        max_shift: random translations (pixels) for augmentation; default H // 8 (so GAN digits that sit a
            little off-centre are still read correctly).
        seed: seeds the weights, minibatches and augmentation (the global RNG is not touched).
        device: where to train (default CPU: small enough that a GPU is not needed).
    """
    images = validation.tensor("images (N, C, H, W)", images, ndim=4)
    labels = _labels(labels, len(images))
    if (test_images is None) != (test_labels is None):
        raise validation.ArgumentError("test_images and test_labels go together: pass both, or neither")
    if test_images is not None:
        test_images = validation.tensor("test_images (N, C, H, W)", test_images, ndim=4)
        if test_images.shape[1:] != images.shape[1:]:
            raise validation.ArgumentError(f"test_images must be shaped like images, {tuple(images.shape[1:])}, got "
                                           f"{tuple(test_images.shape[1:])}")
        test_labels = _labels(test_labels, len(test_images), "test_labels")
    epochs, batch_size = validation.positive_int("epochs", epochs), validation.positive_int("batch_size", batch_size)
    lr, width = validation.positive("lr", lr), validation.positive_int("width", width)
    seed = validation.seed("seed", seed)
    device = validation.device("device", device or "cpu")
    n_classes = int(labels.max()) + 1
    max_shift = images.shape[-1] // 8 if max_shift is None else validation.integer(
        "max_shift", max_shift, low=0, high=images.shape[-1] - 1)
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitClassifier(images.shape[1], max(n_classes, 10), width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(images)
    steps_per_epoch = max(1, n // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    images, labels = images.float().cpu(), labels.long().cpu()
    model.train()
    for _ in range(int(epochs)):
        order = torch.randperm(n, generator=gen)
        for b in range(steps_per_epoch):
            idx = order[b * batch_size:(b + 1) * batch_size]
            x = _shift(images[idx], gen, max_shift).to(device)
            loss = F.cross_entropy(model(x), labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    if test_images is not None:
        model.test_accuracy = accuracy(model, test_images, test_labels)
    return model


@functools.lru_cache(maxsize=4)
def _cached_digit_classifier(size: int, seed: int, epochs: int) -> DigitClassifier:
    from .data.digits import load_digits, train_test_split

    images, labels = load_digits(size=size)
    xtr, ytr, xte, yte = train_test_split(images, labels, test_fraction=0.2, seed=seed)
    return train_digit_classifier(xtr, ytr, test_images=xte, test_labels=yte, epochs=epochs, seed=seed)


def digit_classifier(size: int = 16, seed: int = 0, epochs: int = 15) -> DigitClassifier:
    """A classifier for scikit-learn's digits at ``size`` x ``size``, trained on 80% of them (stratified) and
    scored on the other 20% (``.test_accuracy``). Cached per (size, seed, epochs) within a session; returned in
    eval mode on the CPU. Takes a few seconds on a laptop CPU at size 16."""
    size = validation.integer("size (the digits are 8x8)", size, low=8)
    return _cached_digit_classifier(size, validation.seed("seed", seed), validation.positive_int("epochs", epochs))


def class_counts(model: DigitClassifier, images: torch.Tensor, min_confidence: float = 0.0) -> np.ndarray:
    """How many ``images`` the classifier assigns to each class, counting only predictions whose probability
    is at least ``min_confidence`` (so blurry or ambiguous samples do not count as covering a class)."""
    min_confidence = validation.probability("min_confidence", min_confidence)
    model = validation.module("model", model)
    probs = model.predict_proba(images)
    conf, pred = probs.max(1)
    pred = pred[conf >= min_confidence]
    return np.bincount(pred.numpy(), minlength=model.n_classes)
