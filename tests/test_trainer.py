import math
import os

import pytest
import torch

import gancourse as gc
from gancourse.data import toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.trainers import Callback, Checkpoint, GANTrainer, TrainingDiverged, make_sampler


def make_trainer(seed=0, **kwargs):
    torch.manual_seed(seed)
    G = MLPGenerator(z_dim=2, out_dim=2, width=16, depth=2)
    D = MLPDiscriminator(in_dim=2, width=16, depth=2)
    return GANTrainer(G, D, device="cpu", seed=seed, **kwargs)


def test_step_returns_plain_floats_and_counts():
    t = make_trainer()
    logs = t.step(toy.ring().sample(32))
    assert logs["step"] == 1 and t.global_step == 1
    assert all(type(v) in (int, float) for v in logs.values())
    assert {"loss_D", "loss_G", "grad_G", "D_real", "D_fake"} <= set(logs)


def test_k_d_steps_per_g_step():
    t = make_trainer(k=3)
    t.fit(toy.ring(), steps=4, batch_size=16, progress=False)
    d_state = t.opt_D.state[next(iter(t.D.parameters()))]
    g_state = t.opt_G.state[next(iter(t.G.parameters()))]
    assert int(d_state["step"]) == 12 and int(g_state["step"]) == 4


def test_g_step_leaves_d_untouched_and_d_step_leaves_g_untouched():
    t = make_trainer()
    d_before = [p.clone() for p in t.D.parameters()]
    t.g_step(toy.ring().sample(16))  # the same argument as d_step: the batch (G makes as many fakes)
    assert all(torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))
    assert all(p.grad is None for p in t.D.parameters())
    assert all(p.requires_grad for p in t.D.parameters())  # switched back on
    g_before = [p.clone() for p in t.G.parameters()]
    t.opt_G.zero_grad(set_to_none=True)
    t.d_step(toy.ring().sample(16))
    assert all(torch.equal(a, b) for a, b in zip(g_before, t.G.parameters()))
    assert all(p.grad is None for p in t.G.parameters())  # fakes were detached


def test_loss_names_choose_the_functions():
    assert make_trainer(g_loss="minimax").g_loss is gc.losses.minimax_g_loss
    with pytest.raises(ValueError, match="unknown generator loss"):
        make_trainer(g_loss="bogus")
    with pytest.raises(ValueError, match="k \\(D steps per G step\\)"):
        make_trainer(k=0)
    with pytest.raises(ValueError, match="learning rate"):
        make_trainer(lr_d=0.0)


def test_fit_learns_a_1d_gaussian():
    torch.manual_seed(0)
    G, D = MLPGenerator(z_dim=1, out_dim=1, width=32), MLPDiscriminator(in_dim=1, width=32)
    t = GANTrainer(G, D, lr_d=2e-3, lr_g=2e-3, device="cpu")
    target = toy.Mixture1D([3.0], std=0.5)
    start = t.sample(2000)
    t.fit(target, steps=800, batch_size=128, progress=False)
    fake = t.sample(4000)
    assert abs(start.mean().item() - 3.0) > 1.5
    assert abs(fake.mean().item() - 3.0) < 0.3
    assert 0.1 < fake.std().item() < 1.0  # spread out, not collapsed to a point (GANs tend to narrow)


def test_callbacks_run_every_n_steps():
    seen = []

    class Every(Callback):
        every = 5

        def on_step(self, trainer, logs):
            seen.append(logs["step"])

    t = make_trainer()
    t.fit(toy.ring(), steps=12, batch_size=8, callbacks=[Every(), lambda tr, logs: None], progress=False)
    assert seen == [5, 10]
    assert t.history["step"] == list(range(1, 13))


def test_resume_is_bit_identical(tmp_path):
    data = toy.grid()
    full = make_trainer(seed=3)
    full.fit(data, steps=30, batch_size=32, progress=False)

    first = make_trainer(seed=3)
    first.fit(data, steps=12, batch_size=32, callbacks=[Checkpoint(tmp_path / "run.pt", every=5)], progress=False)
    torch.manual_seed(999)  # disturb the global RNG: the checkpoint must restore it
    resumed = make_trainer(seed=77).load_checkpoint(tmp_path / "run.pt")
    assert resumed.global_step == 12
    resumed.fit(data, steps=18, batch_size=32, progress=False)
    for key in ("loss_D", "loss_G", "grad_G"):
        assert resumed.history[key] == full.history[key]  # exact equality, not allclose
    for a, b in zip(resumed.G.parameters(), full.G.parameters()):
        assert torch.equal(a, b)


def test_checkpoint_loads_with_weights_only(tmp_path, monkeypatch):
    t = make_trainer()
    t.step(toy.ring().sample(8))
    t.save_checkpoint(tmp_path / "a.pt")
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    make_trainer().load_checkpoint(tmp_path / "a.pt")
    assert calls == [True]


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_checkpoint_refuses_pickled_code(tmp_path):
    torch.save({"payload": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="(?i)weights_only|unsupported|global"):
        make_trainer().load_checkpoint(tmp_path / "evil.pt")


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    t = make_trainer()
    path = tmp_path / "run.pt"
    t.save_checkpoint(path)
    good = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        t.save_checkpoint(path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["run.pt"]  # no temporary file left behind


def test_missing_checkpoint_and_mismatched_models(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        make_trainer().load_checkpoint(tmp_path / "none.pt")
    t = make_trainer()
    t.save_checkpoint(tmp_path / "a.pt")
    other = make_trainer()
    other.models = {"G": other.G}
    with pytest.raises(ValueError, match="do not match"):
        other.load_checkpoint(tmp_path / "a.pt")


def test_divergence_names_the_step():
    t = make_trainer(lr_d=1e-3)
    t.fit(toy.ring(), steps=3, batch_size=8, progress=False)
    with torch.no_grad():
        next(t.D.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="training diverged at step 4: loss_D = nan"):
        t.fit(toy.ring(), steps=5, batch_size=8, progress=False)


def test_divergence_names_the_step_when_syncing_in_chunks():
    t = make_trainer(sync_every=10)
    calls = {"n": 0}
    original = t.d_step

    def d_step(real):
        calls["n"] += 1
        logs = original(real)
        if calls["n"] == 7:
            logs["loss_D"] = torch.tensor(float("inf"))
        return logs

    t.d_step = d_step
    before = [p.clone() for p in t.D.parameters()]
    with pytest.raises(TrainingDiverged, match="at step 7: loss_D = inf") as info:
        t.fit(toy.ring(), steps=20, batch_size=8, progress=False)
    # steps 1-6 were never checked on the host (sync_every=10): the trainer is back at its last check, step 0,
    # models, step and history alike, and the message says so
    assert "back at step 0" in str(info.value) and info.value.restored_step == 0
    assert t.global_step == 0 and t.history.get("step", []) == []
    assert all(torch.equal(a, b) for a, b in zip(before, t.D.parameters()))


def test_samplers():
    gen = torch.Generator().manual_seed(0)
    data = torch.arange(10.0)[:, None]
    draw = make_sampler(data, 4, gen, torch.device("cpu"))
    assert draw().shape == (4, 1)
    pair = make_sampler((data, torch.arange(10)), 3, gen, torch.device("cpu"))
    x, y = pair()
    assert torch.equal(x[:, 0].long(), y)  # rows stay aligned
    it = make_sampler([torch.zeros(2), torch.ones(2)], None, gen, torch.device("cpu"))
    assert [float(it()[0]) for _ in range(3)] == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="batch_size"):
        make_sampler(data, 0, gen, torch.device("cpu"))
    with pytest.raises(ValueError, match="equal length"):
        make_sampler((data, torch.arange(3)), 2, gen, torch.device("cpu"))
    with pytest.raises(ValueError, match="cannot draw batches"):
        make_sampler(42, 2, gen, torch.device("cpu"))


def test_bad_fit_arguments():
    with pytest.raises(ValueError, match="steps"):
        make_trainer().fit(toy.ring(), steps=-1, batch_size=8)
    with pytest.raises(ValueError, match="every"):
        Checkpoint("x.pt", every=0)


def test_sample_is_on_cpu_and_in_eval_mode_only_temporarily():
    t = make_trainer()
    out = t.sample(7)
    assert out.shape == (7, 2) and out.device.type == "cpu"
    assert t.G.training
    assert math.isfinite(out.sum().item())


def test_decay_learning_rates_holds_then_falls_to_zero():
    # lr 1e-3 held for 2 steps, then 1e-3 * (1 - j/5) after the j-th of 4 decay steps (LinearDecay's rule), by hand
    t = make_trainer(lr_d=1e-3, lr_g=1e-3).decay_learning_rates(4, constant_steps=2)
    assert set(t.schedulers) == set(t.optimizers)
    seen = []
    for _ in range(6):
        t.step(toy.ring().sample(8))
        seen.append(t.optimizers["G"].param_groups[0]["lr"])
    assert seen == pytest.approx([1e-3, 1e-3, 8e-4, 6e-4, 4e-4, 2e-4])
    assert not make_trainer().decay_learning_rates(0).schedulers


# ------------------------------------------------------------------ the contract: hooks, frozen, knobs
class _Recorder(gc.Trainer):
    """A trainer with no models that records which hook saw which batch."""

    def __init__(self, k=1, g_first=False):
        super().__init__(device="cpu")
        self.k, self.g_first, self.calls = k, g_first, []

    def forward(self, batch):
        self.calls.append(("forward", float(batch[0])))
        return {"batch": batch}

    def d_step(self, batch):
        self.calls.append(("D", float(batch["batch"][0])))
        return {"loss_D": torch.tensor(1.0)}

    def g_step(self, batch):
        self.calls.append(("G", float(batch["batch"][0])))
        return {"loss_G": torch.tensor(2.0)}


def test_train_step_runs_k_d_steps_then_one_g_step_on_what_forward_made():
    t = _Recorder(k=3)
    assert t.step(torch.tensor([5.0])) == {"step": 1, "loss_D": 1.0, "loss_G": 2.0}
    assert t.calls == [("forward", 5.0), ("D", 5.0), ("D", 5.0), ("D", 5.0), ("G", 5.0)]  # outside fit: same batch
    t.calls = []
    t.fit([torch.tensor([1.0]), torch.tensor([2.0]), torch.tensor([3.0])], steps=1, progress=False)
    assert t.calls == [("forward", 1.0), ("D", 1.0), ("forward", 2.0), ("D", 2.0), ("forward", 3.0), ("D", 3.0),
                       ("G", 1.0)]  # while fitting, each later D step on a fresh batch; G on the step's first


def test_g_first_runs_the_g_step_before_the_d_steps():
    t = _Recorder(g_first=True)
    t.step(torch.tensor([4.0]))
    assert t.calls == [("forward", 4.0), ("G", 4.0), ("D", 4.0)]


def test_frozen_switches_gradients_off_and_puts_each_flag_back_also_on_error():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    net[0].bias.requires_grad_(False)  # already frozen before: stays frozen after
    with pytest.raises(RuntimeError, match="boom"), gc.trainers.frozen(net, None):
        assert not any(p.requires_grad for p in net.parameters())
        raise RuntimeError("boom")
    assert [p.requires_grad for p in net.parameters()] == [True, False, True, True]


def test_knobs_are_validated_attributes():
    t = make_trainer()
    t.k = 4
    assert t.k == 4
    with pytest.raises(ValueError, match=r"k \(D steps per G step\) must be an integer >= 1, got 0"):
        t.k = 0
    t.g_loss = "minimax"
    assert t.g_loss is gc.losses.minimax_g_loss
    t.g_loss = gc.losses.nonsaturating_g_loss
    assert t.g_loss is gc.losses.nonsaturating_g_loss
    with pytest.raises(ValueError, match="unknown generator loss 'hinge'"):
        t.g_loss = "hinge"


def test_set_learning_rates_by_optimizer_name():
    t = make_trainer()
    assert t.set_learning_rates(D=1e-3, G=2e-3) is t
    assert t.opt_D.param_groups[0]["lr"] == 1e-3 and t.opt_G.param_groups[0]["lr"] == 2e-3
    with pytest.raises(ValueError, match="optimizer must be one of 'G', 'D', got 'Q'"):
        t.set_learning_rates(Q=1e-3)
    with pytest.raises(ValueError, match="lr of D must be a finite number > 0"):
        t.set_learning_rates(D=0.0)
    t.decay_learning_rates(2)  # under a schedule the new rate is the base the schedule decays from
    t.set_learning_rates(G=1e-2)
    t.step(toy.ring().sample(8))
    assert t.opt_G.param_groups[0]["lr"] == pytest.approx(1e-2 * (1 - 1 / 3))


def test_bad_batches_are_refused_by_name_before_any_update():
    t = make_trainer()
    before = [p.clone() for m in (t.G, t.D) for p in m.parameters()]
    cases = {
        "batch must hold samples of G's shape \\(2,\\)": (torch.zeros(4, 3), torch.zeros(2, 2, 2), torch.zeros(4)),
        "batch must be a floating-point tensor": (torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 2).bool()),
        "batch must be a torch.Tensor .*torch.as_tensor": (torch.zeros(4, 2).numpy(), [[0.0, 1.0], [1.0, 0.0]]),
        "batch must hold at least one sample": (torch.zeros(0, 2), torch.tensor(1.0)),
        "batch must be a tensor of real samples, got a tuple": ((torch.zeros(4, 2), torch.zeros(4)),),
    }
    for message, batches in cases.items():
        for batch in batches:
            with pytest.raises(gc.validation.ArgumentError, match=message):
                t.step(batch)
    assert all(torch.equal(a, b) for a, b in zip(before, (p for m in (t.G, t.D) for p in m.parameters())))
    assert t.global_step == 0 and t.step(torch.zeros(4, 2, dtype=torch.float16))["step"] == 1  # half: converted


def test_fit_refuses_data_it_cannot_draw_from():
    t = make_trainer()
    for data, message in (([], "data must hold at least one batch"), ("ring", r"gancourse.data.make\('ring'\)"),
                          (iter([]), "data yielded no batch"), (None, "data must be a toy distribution"),
                          ({"x": 1}, "data must be"), (torch.zeros(4, 2).numpy(), "torch.as_tensor")):
        with pytest.raises(gc.validation.ArgumentError, match=message):
            t.fit(data, steps=2, batch_size=4, progress=False)
    assert t.global_step == 0
