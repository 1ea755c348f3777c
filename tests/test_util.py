import pytest
import torch

from gancourse._util import eval_mode


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
