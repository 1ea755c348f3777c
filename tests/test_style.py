import math

import pytest
import torch
import torch.nn.functional as F

from gancourse.models import style


def test_adain_sets_the_style_statistics_exactly():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 8, 8) * 5 + 2
    y_scale, y_bias = torch.rand(3, 4) + 0.5, torch.randn(3, 4)
    out = style.adain(x, y_scale, y_bias, eps=0.0)
    mean = out.mean(dim=(2, 3))
    std = out.var(dim=(2, 3), unbiased=False).sqrt()
    torch.testing.assert_close(mean, y_bias, atol=1e-5, rtol=0)
    torch.testing.assert_close(std, y_scale, atol=1e-5, rtol=0)


def test_adain_by_hand_on_one_map():
    x = torch.tensor([1.0, 2.0, 3.0, 6.0]).reshape(1, 1, 2, 2)  # mean 3, biased var (4 + 1 + 0 + 9) / 4 = 3.5
    out = style.adain(x, torch.tensor([[2.0]]), torch.tensor([[10.0]]), eps=0.0)
    expected = [10 + 2 * (v - 3) / math.sqrt(3.5) for v in (1.0, 2.0, 3.0, 6.0)]
    assert out.flatten().tolist() == pytest.approx(expected, rel=1e-6)


def test_adain_module_is_instance_norm_then_the_affine_style():
    torch.manual_seed(1)
    layer = style.AdaIN(6, w_dim=5)
    with torch.no_grad():
        layer.affine.weight.zero_()  # style = the bias (1, 0): plain instance normalisation
    x, w = torch.randn(2, 6, 4, 4) * 3, torch.randn(2, 5)
    torch.testing.assert_close(layer(x, w), F.instance_norm(x, eps=1e-5), atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        layer.affine.weight.normal_()
    s = w @ layer.affine.weight.t() + layer.affine.bias
    expected = s[:, :6, None, None] * F.instance_norm(x, eps=1e-5) + s[:, 6:, None, None]
    torch.testing.assert_close(layer(x, w), expected, atol=1e-5, rtol=1e-5)


def test_adain_rejects_bad_shapes():
    with pytest.raises(ValueError, match="B, C"):
        style.adain(torch.randn(2, 3, 4, 4), torch.ones(2, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="H, W"):
        style.adain(torch.randn(2, 3, 4), torch.ones(2, 3), torch.zeros(2, 3))


def _reference_modconv(x, weight, style_, demodulate, padding):
    """One sample at a time with an ordinary convolution: the definition, written out."""
    outs = []
    for b in range(x.shape[0]):
        w = weight * style_[b][None, :, None, None]
        if demodulate:
            w = w / (w.pow(2).sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
        outs.append(F.conv2d(x[b : b + 1], w, padding=padding))
    return torch.cat(outs)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_conv_matches_per_sample_convolution(fused, demodulate):
    torch.manual_seed(2)
    x, weight, s = torch.randn(3, 4, 6, 6), torch.randn(5, 4, 3, 3), torch.randn(3, 4)
    out = style.modulated_conv2d(x, weight, s, demodulate=demodulate, padding=1, fused=fused)
    torch.testing.assert_close(out, _reference_modconv(x, weight, s, demodulate, 1), atol=1e-5, rtol=1e-5)


def test_demodulated_weights_have_unit_norm_so_unit_variance_in_gives_unit_variance_out():
    torch.manual_seed(3)
    weight, s = torch.randn(8, 16, 3, 3), torch.rand(2, 16) * 10
    # every output is a weighted sum of 16 * 9 independent N(0, 1) inputs; its variance is the sum of squared
    # weights, which demodulation sets to 1: check it on the impulse response (exact, no sampling)
    out = style.modulated_conv2d(torch.eye(16 * 9).reshape(144, 16, 3, 3), weight, s[:1].expand(144, -1),
                                 padding=0, fused=True)  # (144, 8, 1, 1): column j = weight on input j
    assert out.squeeze().pow(2).sum(0).tolist() == pytest.approx([1.0] * 8, rel=1e-5)
    x = torch.randn(2, 16, 64, 64)
    var = style.modulated_conv2d(x, weight, s, padding=0).var(dim=(2, 3))
    assert var.mean().item() == pytest.approx(1.0, abs=0.05)
    undemod = style.modulated_conv2d(x, weight, s, demodulate=False, padding=0).var(dim=(2, 3))
    assert undemod.mean().item() > 10  # styles of size ~5 blow the variance up without demodulation


def test_modulated_conv_rejects_bad_shapes():
    with pytest.raises(ValueError, match="style"):
        style.modulated_conv2d(torch.randn(2, 3, 4, 4), torch.randn(5, 3, 3, 3), torch.randn(2, 4))
    with pytest.raises(ValueError, match="odd"):
        style.ModulatedConv2d(3, 4, 8, kernel_size=2)


def test_pixel_norm_and_mapping_shapes():
    z = torch.tensor([[3.0, 4.0]])
    assert style.PixelNorm(eps=0)(z).tolist()[0] == pytest.approx([3 / math.sqrt(12.5), 4 / math.sqrt(12.5)])
    f = style.MappingNetwork(z_dim=7, w_dim=5, depth=3)
    assert f(torch.randn(4, 7)).shape == (4, 5)
    with pytest.raises(ValueError, match="z must be"):
        f(torch.randn(4, 6))
    with pytest.raises(ValueError, match="lr_mul"):
        style.MappingNetwork(lr_mul=0)


def test_generator_shapes_fused_equals_unfused_and_mixing_extremes():
    torch.manual_seed(4)
    G = style.StyleGenerator(z_dim=8, w_dim=8, size=16, channels=8).eval()
    G2 = style.StyleGenerator(z_dim=8, w_dim=8, size=16, channels=8, fused=True).eval()
    G2.load_state_dict(G.state_dict())
    assert G.num_ws == len(G.layer_resolutions()) == 6
    assert G.layer_resolutions() == [4, 4, 8, 8, 16, 16]
    assert style.StyleGenerator(size=32, channels=4).layer_resolutions() == [4, 4, 8, 8, 16, 16, 32, 32]
    z = torch.randn(3, 8)
    noise = [torch.randn(3, 1, r, r) for r in (4, 8, 8, 16, 16)]
    ws_a, ws_b = G.ws(z), G.ws(torch.randn(3, 8))
    img = G.synthesis(ws_a, noise)
    assert img.shape == (3, 1, 16, 16)
    torch.testing.assert_close(G2.synthesis(ws_a, noise), img, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(G.synthesis(style.mix_styles(ws_a, ws_b, G.num_ws), noise), img)
    torch.testing.assert_close(G.synthesis(style.mix_styles(ws_a, ws_b, 0), noise), G.synthesis(ws_b, noise))
    with pytest.raises(ValueError, match="crossover"):
        style.mix_styles(ws_a, ws_b, 7)


def test_rows_before_the_crossover_fix_every_coarse_feature_exactly():
    torch.manual_seed(6)
    G = style.StyleGenerator(z_dim=8, w_dim=8, size=16, channels=8).eval()
    ws_a, ws_b = G.ws(torch.randn(2, 8)), G.ws(torch.randn(2, 8))
    mixed = style.mix_styles(ws_a, ws_b, G.layer_resolutions().index(16))
    feats = {}
    hooks = [G.to_images[1].register_forward_hook(lambda m, i, o: feats.setdefault(len(feats), o))]
    noise = [torch.zeros(2, 1, r, r) for r in (4, 8, 8, 16, 16)]
    G.synthesis(ws_a, noise)
    G.synthesis(mixed, noise)
    hooks[0].remove()
    torch.testing.assert_close(feats[0], feats[1])  # the 8x8 image is A's, untouched by B's rows


def test_generator_trains_with_mixing_and_tracks_w_avg():
    torch.manual_seed(5)
    G = style.StyleGenerator(z_dim=8, w_dim=8, size=8, channels=8, mixing_prob=0.9)
    out = G(torch.randn(4, 8))
    out.mean().backward()
    assert all(p.grad is not None for p in G.mapping.parameters())
    assert G.w_avg.abs().sum() > 0
    w = torch.randn(2, 8)
    torch.testing.assert_close(style.truncate(w, G.w_avg, 0.0), G.w_avg.expand(2, -1))


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="power of two"):
        style.StyleGenerator(size=12)
    with pytest.raises(ValueError, match="mixing_prob"):
        style.StyleGenerator(mixing_prob=1.5)
