"""Procedural facade scenes for image-to-image translation, generated offline in plain torch.

A scene is a label map of a building front (sky, ground, wall, cornice, windows, a door), drawn at any size
from a handful of random numbers per scene, then rendered in a *style*:

- ``"day"``: blue sky, brick walls with mortar joints, a cornice casting a shadow, mostly dark glass, light
  from the left, a little film grain;
- ``"night"``: dark sky with stars, dim walls, most windows lit.

Two data sets come out of it::

    A, B = gc.data.scenes.paired_scenes(512, size=32, seed=0)    # Pix2Pix: label image A -> photo B
    X, Y = gc.data.scenes.unpaired_scenes(512, size=32, seed=0)  # CycleGAN: day scenes, night scenes

Everything is deterministic under a seed, vectorised over the batch (thousands of scenes per second) and in
[-1, 1], shaped (N, 3, H, W). Part of each photo is *not* determined by its label map: the brick phase, the
wall colour, which windows are lit and the grain are drawn per scene. That is on purpose: it is what makes a
pure L1 regressor average several plausible photos into a blur, which the Pix2Pix lesson shows.

In the unpaired set the two domains are sampled independently (different layouts), so nothing pairs them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import validation

__all__ = [
    "LABELS", "PALETTE", "STYLES", "Layouts", "sample_layouts", "label_image", "render", "paired_scenes",
    "unpaired_scenes", "Unpaired",
]

LABELS = ("sky", "ground", "wall", "cornice", "window", "door")
SKY, GROUND, WALL, CORNICE, WINDOW, DOOR = range(len(LABELS))
# The label map is shown as flat colours, one per class (like the facades data set's input images).
PALETTE = torch.tensor([
    [0.05, 0.10, 0.55],  # sky: dark blue
    [0.45, 0.45, 0.45],  # ground: grey
    [0.10, 0.55, 0.95],  # wall: light blue
    [0.95, 0.85, 0.10],  # cornice: yellow
    [0.95, 0.35, 0.10],  # window: orange
    [0.55, 0.10, 0.55],  # door: purple
])
STYLES = ("day", "night")
_WALL_COLOURS = torch.tensor([[0.62, 0.30, 0.22], [0.80, 0.70, 0.52], [0.56, 0.56, 0.60]])  # brick, sand, stone
_MAX_GRID = 4  # at most 4 x 4 windows


def _style(style):
    return validation.lookup("style", style, STYLES)


def _generator(seed, generator):
    if validation.generator("generator", generator) is not None:
        return generator
    return torch.Generator().manual_seed(validation.seed("seed", seed))


@dataclass
class Layouts:
    """A batch of scene layouts: ``labels`` (N, H, W) int64 class ids (see ``LABELS``) and ``window`` (N, H, W)
    int64, the index (row * 4 + column) of the window each pixel belongs to, -1 outside windows."""

    labels: torch.Tensor
    window: torch.Tensor

    def __len__(self):
        return len(self.labels)


def _u(n, generator, low, high):
    return low + (high - low) * torch.rand(n, 1, 1, generator=generator)


def sample_layouts(n: int, size: int = 32, generator: torch.Generator | None = None) -> Layouts:
    """Draw ``n`` facade layouts at ``size`` x ``size`` pixels.

    Geometry is in fractions of the image, so the same random numbers give the same scene at any size: a
    building between ``x0`` and ``x1`` rising from the ground line to ``y0``, a cornice band on top, a grid of
    2-4 x 2-3 windows and a door standing on the ground.
    """
    n, size = validation.positive_int("n", n), validation.integer("size", size, low=8)
    g = validation.generator("generator", generator)
    pix = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    x, y = pix.view(1, 1, size), pix.view(1, size, 1)  # pixel centres in [0, 1)
    ground = _u(n, g, 0.84, 0.93)
    x0, x1, y0 = _u(n, g, 0.05, 0.22), _u(n, g, 0.78, 0.95), _u(n, g, 0.10, 0.30)
    cornice = 0.08
    cols = torch.randint(2, 5, (n, 1, 1), generator=g).float()
    rows = torch.randint(2, 4, (n, 1, 1), generator=g).float()
    win_w, win_h = _u(n, g, 0.45, 0.65), _u(n, g, 0.40, 0.60)
    door_w, door_h, door_x = _u(n, g, 0.10, 0.16), _u(n, g, 0.16, 0.24), _u(n, g, 0.40, 0.60)

    labels = torch.full((n, size, size), SKY, dtype=torch.long)
    labels = torch.where(y >= ground, GROUND, labels)
    building = (x >= x0) & (x < x1) & (y >= y0) & (y < ground)
    labels = torch.where(building, WALL, labels)
    labels = torch.where(building & (y < y0 + cornice), CORNICE, labels)
    # the window grid fills the wall between the cornice and the ground, with a margin m all round
    m = 0.04
    gx0, gx1, gy0, gy1 = x0 + m, x1 - m, y0 + cornice + m, ground - m
    pitch_x, pitch_y = (gx1 - gx0) / cols, (gy1 - gy0) / rows
    fx, fy = (x - gx0) / pitch_x, (y - gy0) / pitch_y  # (N, 1, W), (N, H, 1): grid coordinates
    col, row = fx.floor(), fy.floor()
    in_col = (col >= 0) & (col < cols) & ((fx - col - 0.5).abs() < win_w / 2)
    in_row = (row >= 0) & (row < rows) & ((fy - row - 0.5).abs() < win_h / 2)
    is_window = in_col & in_row
    labels = torch.where(is_window, WINDOW, labels)
    window = torch.where(is_window, row.long() * _MAX_GRID + col.long(), -1)
    door = ((x - door_x).abs() < door_w / 2) & (y >= ground - door_h) & (y < ground)
    labels = torch.where(door, DOOR, labels)
    window = torch.where(door, -1, window)
    return Layouts(labels, window)


def label_image(labels: torch.Tensor) -> torch.Tensor:
    """The label map (N, H, W) as a flat-colour image (N, 3, H, W) in [-1, 1] using ``PALETTE``."""
    labels = validation.tensor("labels", labels, floating=False, finite=False, nonempty=False)
    if labels.ndim != 3 or labels.dtype != torch.long:
        raise validation.ArgumentError(f"labels must be an int64 tensor (N, H, W), got {labels.dtype} "
                                       f"{tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= len(LABELS)):
        raise validation.ArgumentError(f"labels must lie in [0, {len(LABELS) - 1}]")
    return PALETTE.to(labels.device)[labels].permute(0, 3, 1, 2) * 2 - 1


def _shift_down(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """mask moved ``pixels`` rows down (rows that come in from the top are False)."""
    out = torch.zeros_like(mask)
    out[:, pixels:] = mask[:, :-pixels]
    return out


def render(layouts: Layouts, style: str = "day", generator: torch.Generator | None = None) -> torch.Tensor:
    """Render ``layouts`` as photos (N, 3, H, W) in [-1, 1] in the given ``style`` (``"day"`` or ``"night"``).

    What the label map fixes (learnable): where each part is, the cornice's shadow on the wall below it, the
    dark inset at the top of each window, light falling off from left to right. What it leaves to chance
    (drawn per scene from ``generator``): wall colour, brick phase, sky tint, which windows are lit, grain.
    """
    if not isinstance(layouts, Layouts):
        raise validation.ArgumentError(f"layouts must be Layouts (from sample_layouts), got "
                                       f"{validation.shown(layouts)}")
    generator = validation.generator("generator", generator)
    _style(style)
    g = generator
    labels, window = layouts.labels, layouts.window
    n, size = labels.shape[0], labels.shape[-1]
    pix = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    x, y = pix.view(1, 1, 1, size), pix.view(1, 1, size, 1)
    night = style == "night"
    mask = {k: (labels == i).unsqueeze(1) for i, k in enumerate(LABELS)}  # (N, 1, H, W) each

    # sky: a vertical gradient whose tint varies per scene; stars at night
    if night:
        top, bottom = torch.tensor([0.02, 0.03, 0.10]), torch.tensor([0.10, 0.10, 0.25])
    else:
        top, bottom = torch.tensor([0.25, 0.45, 0.85]), torch.tensor([0.70, 0.82, 0.95])
    tint = 0.08 * (torch.rand(n, 3, 1, 1, generator=g) - 0.5)
    sky = top.view(1, 3, 1, 1) * (1 - y) + bottom.view(1, 3, 1, 1) * y + tint
    if night:
        stars = (torch.rand(n, 1, size, size, generator=g) < 0.03).float()
        sky = sky + 0.8 * stars
    # wall: a random colour with brick courses (mortar every other brick height) at a random phase
    colour = _WALL_COLOURS[torch.randint(len(_WALL_COLOURS), (n,), generator=g)].view(n, 3, 1, 1)
    colour = colour + 0.06 * (torch.rand(n, 3, 1, 1, generator=g) - 0.5)
    brick_h, brick_w = 1 / 16, 1 / 8
    phase_y, phase_x = torch.rand(n, 1, 1, 1, generator=g) * brick_h, torch.rand(n, 1, 1, 1, generator=g) * brick_w
    course = (y - phase_y) / brick_h
    offset = 0.5 * (course.floor() % 2)  # every other course shifted by half a brick
    bed = (course - course.floor()) < 0.3
    head = ((x - phase_x) / brick_w + offset) % 1 < 0.15
    mortar = (bed | head).float()
    wall = colour * (1 - 0.35 * mortar) + 0.35 * mortar * 0.85
    shadow = _shift_down(mask["cornice"].squeeze(1), max(1, size // 32)).unsqueeze(1) & mask["wall"]
    shadow = shadow | (_shift_down(mask["cornice"].squeeze(1), max(1, size // 16)).unsqueeze(1) & mask["wall"])
    wall = torch.where(shadow, wall * 0.6, wall)
    cornice = (colour * 1.25 + 0.1).clamp(max=1.0)
    # windows: dark glass with a reflection gradient, or lit; the top row of each window is in shadow
    p_lit = 0.7 if night else 0.15
    lit_table = torch.rand(n, _MAX_GRID * _MAX_GRID, generator=g) < p_lit
    lit = torch.gather(lit_table, 1, window.clamp(min=0).flatten(1)).view(n, 1, size, size) & mask["window"]
    glass = torch.tensor([0.12, 0.18, 0.28]).view(1, 3, 1, 1) + 0.25 * (1 - y) * (1 - x)
    light = torch.tensor([0.98, 0.85, 0.40]).view(1, 3, 1, 1).expand(n, 3, size, size)
    windows = torch.where(lit, light, glass.expand(n, 3, size, size))
    inset = mask["window"] & ~_shift_down(mask["window"].squeeze(1), 1).unsqueeze(1)
    windows = torch.where(inset, windows * 0.55, windows)
    door = torch.tensor([0.36, 0.22, 0.12]).view(1, 3, 1, 1) * (0.8 + 0.4 * y)
    ground = torch.tensor([0.38, 0.37, 0.36]).view(1, 3, 1, 1).expand(n, 3, size, size)

    img = sky.expand(n, 3, size, size)
    img = torch.where(mask["ground"], ground, img)
    img = torch.where(mask["wall"], wall, img)
    img = torch.where(mask["cornice"], cornice, img)
    img = torch.where(mask["window"], windows, img)
    img = torch.where(mask["door"], door.expand(n, 3, size, size), img)
    building = ~(mask["sky"] | mask["ground"])
    sunlit = 1.1 - 0.3 * x  # light from the left
    img = torch.where(building & ~lit, img * sunlit, img)
    if night:  # everything but the lit windows and the stars is dim and blue
        dim = img * torch.tensor([0.30, 0.32, 0.45]).view(1, 3, 1, 1)
        img = torch.where(lit | mask["sky"], img, dim)
    img = img + 0.03 * torch.randn(n, 3, size, size, generator=g)  # film grain
    return (img.clamp(0, 1) * 2 - 1).contiguous()


def paired_scenes(n: int, size: int = 32, seed: int = 0, style: str = "day",
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` aligned pairs for Pix2Pix: ``A`` the label image, ``B`` the rendered photo, each (N, 3, H, W)."""
    _style(style)
    g = _generator(seed, generator)
    layouts = sample_layouts(n, size, g)
    return label_image(layouts.labels), render(layouts, style, g)


def unpaired_scenes(n: int, size: int = 32, seed: int = 0, styles=("day", "night"), n_b: int | None = None,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Two unpaired domains for CycleGAN: ``n`` photos in ``styles[0]`` and ``n_b`` (default ``n``) in
    ``styles[1]``, each (N, 3, H, W). The domains get *different* layouts (drawn one after the other from the
    same generator), so no image in one domain has a counterpart in the other."""
    if not isinstance(styles, (tuple, list)) or len(styles) != 2:
        raise validation.ArgumentError(f"styles must name two styles, got {styles!r}")
    for s in styles:
        validation.lookup("style in styles", s, STYLES)
    g = _generator(seed, generator)
    n_b = n if n_b is None else validation.positive_int("n_b", n_b)
    X = render(sample_layouts(n, size, g), styles[0], g)
    Y = render(sample_layouts(n_b, size, g), styles[1], g)
    return X, Y


class Unpaired:
    """Two image sets sampled *independently*: ``sample(n, generator)`` returns ``(a, b)`` with its own random
    indices into each, so batches never pair images by position. Pass it to ``CycleGANTrainer.fit``."""

    def __init__(self, A: torch.Tensor, B: torch.Tensor):
        A = validation.tensor("A (N, C, H, W)", A, ndim=4, finite=False)
        B = validation.tensor("B (N, C, H, W)", B, ndim=4, finite=False)
        self.A, self.B = A, B

    def __len__(self):
        return max(len(self.A), len(self.B))

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        n, generator = validation.positive_int("n", n), validation.generator("generator", generator)
        ia = torch.randint(len(self.A), (n,), generator=generator)
        ib = torch.randint(len(self.B), (n,), generator=generator)
        return self.A[ia.to(self.A.device)], self.B[ib.to(self.B.device)]
