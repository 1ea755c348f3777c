"""Image helpers written in plain torch (no torchvision): grids for display and simple transforms.

Images are float tensors shaped (N, C, H, W). The GANs in the course produce and consume values in
[-1, 1] (G ends in tanh), so the transforms convert between [0, 1] and [-1, 1]::

    x = gc.images.to_signed(pixels)              # [0, 1] -> [-1, 1]
    x = gc.images.resize(x, 16)                  # bilinear, via F.interpolate
    x = gc.images.random_hflip(x, generator=g)   # each image flipped with probability 1/2
    gc.images.show_grid(G(z))                    # an 8-wide grid, ready for imshow
"""
from __future__ import annotations

import math

import matplotlib.axes
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from . import validation

__all__ = [
    "make_grid", "show_grid", "resize", "center_crop", "to_signed", "to_unit", "random_hflip", "as_batch",
]

RESIZE_MODES = ("bilinear", "nearest", "bicubic", "area")


def as_batch(images) -> torch.Tensor:
    """A float32 CPU tensor (N, C, H, W) from a tensor or array shaped (N, C, H, W), (N, H, W), (C, H, W)
    with C in {1, 3}, or (H, W)."""
    x = validation.array("images", images, dtype=torch.float32)
    if x.ndim == 2:  # (H, W)
        x = x[None, None]
    elif x.ndim == 3:  # (C, H, W) for one colour/grey image, else (N, H, W)
        x = x[None] if x.shape[0] in (1, 3) else x[:, None]
    if x.ndim != 4:
        raise validation.ArgumentError(f"images must have 2, 3 or 4 dimensions (N, C, H, W), got shape "
                                       f"{tuple(x.shape)}")
    return x


def make_grid(images, nrow: int = 8, padding: int = 2, value_range=(-1, 1), pad_value: float = 1.0) -> np.ndarray:
    """Tile a batch into one image ready for ``plt.imshow``.

    Args:
        images: (N, C, H, W) tensor or array with C = 1 or 3 (see :func:`as_batch` for other shapes).
        nrow: images per row.
        padding: pixels between images (and around the border).
        value_range: (low, high) of the input; mapped to [0, 1] and clipped. ``None`` scales by the batch's
            own min and max.
        pad_value: colour of the padding in [0, 1] (1 = white).

    Returns:
        A float numpy array in [0, 1]: (H, W) for grey images, (H, W, 3) for colour ones.
    """
    x = as_batch(images)
    n, c, h, w = x.shape
    if c not in (1, 3):
        raise validation.ArgumentError(f"images must have 1 or 3 channels, got {c}")
    nrow, padding = validation.positive_int("nrow", nrow), validation.nonneg_int("padding", padding)
    if value_range is None:
        low, high = float(x.min()), float(x.max())
        high = high if high > low else low + 1.0
    else:
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise validation.ArgumentError(f"value_range must be (low, high) or None, got {value_range!r}")
        low, high = (validation.number("value_range", v) for v in value_range)
        if not high > low:
            raise validation.ArgumentError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    pad_value = validation.probability("pad_value", pad_value)
    x = ((x - low) / (high - low)).clamp(0, 1)
    ncol = min(int(nrow), n)
    nrows = math.ceil(n / ncol)
    grid = torch.full((c, nrows * (h + padding) + padding, ncol * (w + padding) + padding), float(pad_value))
    for i in range(n):
        r, q = divmod(i, ncol)
        top, left = padding + r * (h + padding), padding + q * (w + padding)
        grid[:, top:top + h, left:left + w] = x[i]
    out = grid.permute(1, 2, 0).numpy()  # (H, W, C)
    return out[:, :, 0] if c == 1 else out


def show_grid(images, ax=None, nrow: int = 8, padding: int = 2, value_range=(-1, 1), title=None, cmap="gray_r"):
    """Draw :func:`make_grid` of ``images`` on ``ax`` (a new figure when None) and return the axes.

    Grey images use ``cmap`` (default ``gray_r``: dark ink on white, like the digits).
    """
    if not isinstance(cmap, (str, matplotlib.colors.Colormap)):
        raise validation.ArgumentError(f"cmap must be a colour map or its name, got {cmap!r}")
    if ax is not None and not isinstance(ax, matplotlib.axes.Axes):
        raise validation.ArgumentError(f"ax must be matplotlib axes or None, got {validation.shown(ax)}")
    grid = make_grid(images, nrow=nrow, padding=padding, value_range=value_range,
                     pad_value=0.0 if cmap == "gray_r" else 1.0)
    if ax is None:
        n = as_batch(images).shape[0]
        ncol = min(nrow, n)
        _, ax = plt.subplots(figsize=(max(2.0, 0.5 * ncol), max(2.0, 0.5 * math.ceil(n / ncol))))
    if grid.ndim == 2:
        ax.imshow(grid, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def resize(images: torch.Tensor, size, mode: str = "bilinear", antialias: bool | None = None) -> torch.Tensor:
    """Resize (N, C, H, W) images to ``size`` (an int for square outputs, or (H, W)) with ``F.interpolate``.

    ``mode``: bilinear, nearest, bicubic or area. Antialiasing (for shrinking) is on by default for
    bilinear/bicubic.
    """
    images = validation.tensor("images (N, C, H, W)", images, ndim=4, finite=False)
    validation.lookup("resize mode", mode, RESIZE_MODES)
    size = _size(size)
    if antialias is not None:
        antialias = validation.boolean("antialias", antialias)
    if tuple(images.shape[-2:]) == size:
        return images
    kwargs = {}
    if mode in ("bilinear", "bicubic"):
        kwargs = {"align_corners": False, "antialias": True if antialias is None else antialias}
    return F.interpolate(images, size=size, mode=mode, **kwargs)


def _size(size) -> tuple[int, int]:
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise validation.ArgumentError(f"size must be a positive int or a pair of them, got {size!r}")
        return tuple(validation.positive_int("size", s) for s in size)
    s = validation.positive_int("size", size)
    return s, s


def center_crop(images: torch.Tensor, size) -> torch.Tensor:
    """The central ``size`` (int or (H, W)) crop of (N, C, H, W) images."""
    images = validation.tensor("images (N, C, H, W)", images, ndim=4, floating=False, finite=False)
    size = _size(size)
    h, w = images.shape[-2:]
    if size[0] > h or size[1] > w:
        raise validation.ArgumentError(f"crop size {size} must fit inside the images ({h}, {w})")
    top, left = (h - size[0]) // 2, (w - size[1]) // 2
    return images[..., top:top + size[0], left:left + size[1]]


def to_signed(x: torch.Tensor) -> torch.Tensor:
    """Map pixels from [0, 1] to [-1, 1] (the range of G's tanh): 2x - 1."""
    x = validation.tensor("x", x, finite=False)
    return x * 2 - 1


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """Map from [-1, 1] back to [0, 1], clipped: (x + 1) / 2."""
    x = validation.tensor("x", x, finite=False)
    return ((x + 1) / 2).clamp(0, 1)


def random_hflip(images: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Flip each image of (N, C, H, W) left-right with probability ``p``, drawn from ``generator``.

    The coin flips are drawn on the generator's device (CPU by default) so a seeded CPU generator gives the
    same flips whatever device the images are on.
    """
    p = validation.probability("p (a probability)", p)
    images = validation.tensor("images (N, C, H, W)", images, ndim=4, floating=False, finite=False)
    generator = validation.generator("generator", generator)
    gen_device = generator.device if generator is not None else torch.device("cpu")
    flip = torch.rand(images.shape[0], generator=generator, device=gen_device) < p
    flip = flip.to(images.device)[:, None, None, None]
    return torch.where(flip, images.flip(-1), images)
