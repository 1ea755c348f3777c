import pytest
import torch

from gancourse.models import MLP, MLPDiscriminator, MLPGenerator


def test_shapes_and_logits():
    G, D = MLPGenerator(z_dim=3, out_dim=2, width=16, depth=2), MLPDiscriminator(in_dim=2, width=16, depth=3)
    x = G(torch.randn(5, 3))
    assert x.shape == (5, 2)
    assert D(x).shape == (5,)
    assert not isinstance(list(D.net)[-1], torch.nn.Sigmoid)  # logits, no sigmoid


def test_width_and_depth_set_capacity():
    def n_params(width, depth):
        return sum(p.numel() for p in MLP(2, 1, width, depth).parameters())

    # depth 2, width w: (2w + w) + (w*w + w) + (w + 1)
    assert n_params(8, 2) == (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1)
    assert n_params(4, 0) == 2 + 1
    assert n_params(64, 2) > n_params(8, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(width=0), "width"), (dict(depth=-1), "depth"), (dict(act="swish"), "unknown activation"),
    (dict(width=2.5), "width"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLPDiscriminator(**kwargs)
