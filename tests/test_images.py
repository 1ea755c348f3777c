import numpy as np
import pytest
import torch

from gancourse import images as gi


def test_make_grid_layout_and_values_by_hand():
    # 3 grey 2x2 images in [-1, 1], 2 per row, padding 1 -> 2 rows x 2 cols: (2*3+1, 2*3+1) = (7, 7)
    x = torch.stack([torch.full((1, 2, 2), v) for v in (-1.0, 0.0, 1.0)])
    grid = gi.make_grid(x, nrow=2, padding=1, pad_value=0.5)
    assert isinstance(grid, np.ndarray) and grid.shape == (7, 7)
    assert np.all(grid[1:3, 1:3] == 0.0)  # -1 -> 0
    assert np.all(grid[1:3, 4:6] == 0.5)  # 0 -> 0.5
    assert np.all(grid[4:6, 1:3] == 1.0)  # 1 -> 1
    assert np.all(grid[4:6, 4:6] == 0.5)  # the empty slot is padding
    assert np.all(grid[0] == 0.5) and np.all(grid[:, 3] == 0.5)


def test_make_grid_colour_clips_and_accepts_numpy():
    x = np.zeros((2, 3, 4, 4), dtype=np.float32)
    x[0, 0] = 5.0  # out of range: clipped to 1
    grid = gi.make_grid(x, nrow=8, padding=0, value_range=(0, 1))
    assert grid.shape == (4, 8, 3)
    assert grid[..., 0][:, :4].max() == 1.0 and grid[:, 4:].max() == 0.0


def test_make_grid_bad_arguments():
    with pytest.raises(ValueError, match="channels"):
        gi.make_grid(torch.zeros(2, 2, 4, 4))
    with pytest.raises(ValueError, match="nrow"):
        gi.make_grid(torch.zeros(2, 1, 4, 4), nrow=0)
    with pytest.raises(ValueError, match="value_range"):
        gi.make_grid(torch.zeros(2, 1, 4, 4), value_range=(1, 1))
    with pytest.raises(ValueError, match="dimensions"):
        gi.make_grid(torch.zeros(1, 1, 1, 4, 4))


def test_show_grid_draws_an_image():
    ax = gi.show_grid(torch.rand(5, 1, 8, 8) * 2 - 1, nrow=3, title="t")
    assert len(ax.images) == 1 and ax.get_title() == "t"
    assert ax.images[0].get_array().shape == (2 * 10 + 2, 3 * 10 + 2)


def test_resize_nearest_repeats_pixels_and_bilinear_keeps_constants():
    x = torch.arange(4.0).reshape(1, 1, 2, 2)
    up = gi.resize(x, 4, mode="nearest")
    expected = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3.0]])
    assert torch.equal(up[0, 0], expected)
    const = torch.full((2, 3, 5, 7), 0.3)
    assert torch.allclose(gi.resize(const, (10, 3)), torch.full((2, 3, 10, 3), 0.3))
    with pytest.raises(ValueError, match="resize mode"):
        gi.resize(x, 4, mode="lanczos")
    with pytest.raises(ValueError, match="size"):
        gi.resize(x, 0)


def test_range_maps_round_trip():
    x = torch.tensor([0.0, 0.25, 1.0])
    assert torch.equal(gi.to_signed(x), torch.tensor([-1.0, -0.5, 1.0]))
    assert torch.equal(gi.to_unit(gi.to_signed(x)), x)
    assert torch.equal(gi.to_unit(torch.tensor([-3.0, 3.0])), torch.tensor([0.0, 1.0]))


def test_center_crop():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    assert torch.equal(gi.center_crop(x, 3)[0, 0], x[0, 0, 1:4, 1:4])
    with pytest.raises(ValueError, match="crop"):
        gi.center_crop(x, 6)


def test_random_hflip_is_seeded_and_flips_whole_images():
    x = torch.arange(2.0 * 3 * 4).reshape(2, 1, 3, 4).repeat(50, 1, 1, 1)
    a = gi.random_hflip(x, generator=torch.Generator().manual_seed(1))
    b = gi.random_hflip(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    flipped = torch.tensor([torch.equal(a[i], x[i].flip(-1)) for i in range(len(x))])
    kept = torch.tensor([torch.equal(a[i], x[i]) for i in range(len(x))])
    assert torch.all(flipped ^ kept) and 20 < int(flipped.sum()) < 80
    assert torch.equal(gi.random_hflip(x, p=1.0), x.flip(-1))
    assert torch.equal(gi.random_hflip(x, p=0.0), x)
    with pytest.raises(ValueError, match="probability"):
        gi.random_hflip(x, p=2)
