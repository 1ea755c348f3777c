import numpy as np
import pytest
import torch

from gancourse.classifiers import DigitClassifier, accuracy, class_counts, digit_classifier, train_digit_classifier


def test_shapes_any_size_and_bad_arguments():
    m = DigitClassifier()
    for size in (8, 16, 32):
        assert m(torch.zeros(3, 1, size, size)).shape == (3, 10)
    assert DigitClassifier(channels=3, n_classes=4)(torch.zeros(2, 3, 16, 16)).shape == (2, 4)
    with pytest.raises(ValueError, match="width"):
        DigitClassifier(width=0)
    with pytest.raises(ValueError, match="epochs"):
        train_digit_classifier(torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), epochs=0)
    with pytest.raises(ValueError, match=r"labels must hold one integer class index per row of the images, \(4,\)"):
        train_digit_classifier(torch.zeros(4, 1, 8, 8), torch.zeros(3, dtype=torch.long))


def test_learns_the_digits_on_held_out_data():
    clf = digit_classifier(size=16)
    assert clf.test_accuracy > 0.95, clf.test_accuracy
    assert not clf.training
    assert digit_classifier(size=16) is clf  # cached


def test_learns_a_synthetic_task_it_was_not_tuned_for():
    # class = which quadrant holds a bright square: an independent check that training works
    gen = torch.Generator().manual_seed(0)
    n = 400
    y = torch.randint(4, (n,), generator=gen)
    x = -torch.ones(n, 1, 16, 16) + 0.1 * torch.randn(n, 1, 16, 16, generator=gen)
    for i, q in enumerate(y.tolist()):
        r, c = divmod(q, 2)
        x[i, 0, r * 8 + 2:r * 8 + 6, c * 8 + 2:c * 8 + 6] = 1.0
    m = train_digit_classifier(x[:300], y[:300], test_images=x[300:], test_labels=y[300:], epochs=5, max_shift=0)
    assert m.test_accuracy > 0.9 and accuracy(m, x[300:], y[300:]) == m.test_accuracy


def test_class_counts_respects_confidence():
    m = DigitClassifier(n_classes=3)
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
        m.head.bias.copy_(torch.tensor([5.0, 0.0, 0.0]))  # every image -> class 0 with p = e^5 / (e^5 + 2)
    x = torch.zeros(7, 1, 16, 16)
    assert class_counts(m, x).tolist() == [7, 0, 0]
    p0 = np.exp(5) / (np.exp(5) + 2)
    assert class_counts(m, x, min_confidence=p0 - 1e-4).tolist() == [7, 0, 0]
    assert class_counts(m, x, min_confidence=p0 + 1e-4).tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="min_confidence"):
        class_counts(m, x, min_confidence=2)
