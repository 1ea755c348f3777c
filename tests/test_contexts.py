import pytest
import torch

from gancourse.contexts import eval_mode, torch_threads


@pytest.mark.parametrize("training", [True, False])
def test_eval_mode_puts_back_the_mode_it_found(training):
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    net.train(training)
    with eval_mode(net):
        assert not net.training and not net[1].training
    assert net.training is training and net[1].training is training


def test_eval_mode_puts_back_the_mode_when_the_block_raises():
    net = torch.nn.BatchNorm1d(3).train()
    with pytest.raises(RuntimeError, match="boom"), eval_mode(net):
        raise RuntimeError("boom")
    assert net.training


def test_eval_mode_switches_several_modules_each_back_to_its_own_mode():
    a, b = torch.nn.Dropout().train(), torch.nn.Dropout().eval()
    with eval_mode(a, b) as first:
        assert first is a and not a.training and not b.training
    assert a.training and not b.training


def test_torch_threads_restores_the_count_also_on_error():
    old = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == old
    with torch_threads(None):
        assert torch.get_num_threads() == old
