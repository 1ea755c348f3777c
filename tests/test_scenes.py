import pytest
import torch

from gancourse.data import scenes


def test_paired_shapes_range_and_determinism():
    A, B = scenes.paired_scenes(6, size=32, seed=3)
    assert A.shape == B.shape == (6, 3, 32, 32)
    assert A.min() >= -1 and A.max() <= 1 and B.min() >= -1 and B.max() <= 1
    A2, B2 = scenes.paired_scenes(6, size=32, seed=3)
    assert torch.equal(A, A2) and torch.equal(B, B2)
    A3, _ = scenes.paired_scenes(6, size=32, seed=4)
    assert not torch.equal(A, A3)


@pytest.mark.parametrize("size", [16, 24, 48, 128])
def test_any_size(size):
    A, B = scenes.paired_scenes(2, size=size, seed=0)
    assert A.shape == B.shape == (2, 3, size, size)


def test_label_image_uses_the_palette():
    layouts = scenes.sample_layouts(3, 32, torch.Generator().manual_seed(0))
    img = scenes.label_image(layouts.labels)
    for n, i, j in [(0, 0, 0), (1, 31, 5), (2, 16, 16)]:
        k = int(layouts.labels[n, i, j])
        assert torch.allclose(img[n, :, i, j], scenes.PALETTE[k] * 2 - 1)


def test_every_scene_has_every_part_and_geometry_is_scale_free():
    small = scenes.sample_layouts(64, 32, torch.Generator().manual_seed(0)).labels
    big = scenes.sample_layouts(64, 128, torch.Generator().manual_seed(0)).labels
    for k in range(len(scenes.LABELS)):
        present = (big == k).flatten(1).any(1)
        assert present.all(), f"class {scenes.LABELS[k]} missing from some 128x128 scenes"
        frac_small = (small == k).float().mean()
        frac_big = (big == k).float().mean()
        assert abs(frac_small - frac_big) < 0.03, (scenes.LABELS[k], float(frac_small), float(frac_big))


def test_windows_are_numbered_and_only_inside_windows():
    layouts = scenes.sample_layouts(16, 64, torch.Generator().manual_seed(1))
    is_window = layouts.labels == scenes.WINDOW
    assert torch.equal(layouts.window >= 0, is_window)
    assert layouts.window.max() < 16


def test_night_is_darker_and_has_more_lit_windows():
    g = torch.Generator().manual_seed(0)
    layouts = scenes.sample_layouts(64, 32, g)
    day, night = scenes.render(layouts, "day", g), scenes.render(layouts, "night", g)
    assert night.mean() < day.mean() - 0.4
    win = (layouts.labels == scenes.WINDOW).unsqueeze(1).expand_as(day)
    # lit windows are yellow: red channel well above blue
    def lit_fraction(img):
        rb = (img[:, 0] - img[:, 2])[layouts.labels == scenes.WINDOW]
        return (rb > 0.5).float().mean()
    assert lit_fraction(night) > 0.5 > 0.3 > lit_fraction(day)
    assert win.any()


def test_photo_is_not_determined_by_the_label_map():
    g = torch.Generator().manual_seed(0)
    layouts = scenes.sample_layouts(1, 32, g)
    many = scenes.Layouts(layouts.labels.expand(32, -1, -1), layouts.window.expand(32, -1, -1))
    photos = scenes.render(many, "day", g)
    assert photos.std(0).mean() > 0.05  # same layout, different photos (colour, brick phase, lit windows, grain)


def _edges(x):
    e = (x[..., 1:, :-1] - x[..., :-1, :-1]).abs().sum(1) + (x[..., :-1, 1:] - x[..., :-1, :-1]).abs().sum(1)
    e = e.flatten(1)
    return e - e.mean(1, keepdim=True)


def _corr(a, b):
    return ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).mean()


def test_unpaired_domains_do_not_pair_by_index():
    X, Y = scenes.unpaired_scenes(256, size=32, seed=0)
    assert X.shape == Y.shape == (256, 3, 32, 32)
    # edge maps of images with the same layout correlate; across the two unpaired domains, index i of X is
    # no closer to index i of Y than to any other image
    same, shuffled = _corr(_edges(X), _edges(Y)), _corr(_edges(X), _edges(Y.roll(1, dims=0)))
    assert abs(same - shuffled) < 0.03, (float(same), float(shuffled))
    # the positive control: the same layouts rendered in both styles are clearly paired
    g = torch.Generator().manual_seed(0)
    layouts = scenes.sample_layouts(256, 32, g)
    px, py = _edges(scenes.render(layouts, "day", g)), _edges(scenes.render(layouts, "night", g))
    assert _corr(px, py) > _corr(px, py.roll(1, dims=0)) + 0.15


def test_unpaired_sampler_draws_independent_indices():
    A = torch.arange(100.0).view(100, 1, 1, 1)
    B = torch.arange(100.0).view(100, 1, 1, 1) + 1000
    a, b = scenes.Unpaired(A, B).sample(200, torch.Generator().manual_seed(0))
    assert a.shape == (200, 1, 1, 1) and (b >= 1000).all()
    assert (a.flatten() == b.flatten() - 1000).float().mean() < 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="style"):
        scenes.paired_scenes(2, style="dusk")
    with pytest.raises(ValueError, match="size"):
        scenes.paired_scenes(2, size=4)
    with pytest.raises(ValueError, match="n must"):
        scenes.paired_scenes(0)
    with pytest.raises(ValueError, match="two styles"):
        scenes.unpaired_scenes(2, styles=("day",))
    with pytest.raises(ValueError, match="labels"):
        scenes.label_image(torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match="must not be empty"):
        scenes.Unpaired(torch.zeros(0, 3, 8, 8), torch.zeros(2, 3, 8, 8))
