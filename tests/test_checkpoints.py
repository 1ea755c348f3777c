"""Checkpoints are whole or refused, and a diverged step is undone: every fault of issue 15, each of which the code
before it let through (changed weights loaded from a damaged file, a half-loaded trainer, KeyError/EOFError/OSError
instead of a message, stale temporary files, mode 0600, non-finite weights saved, the wrong advice for NaN data)."""
import os
import random
import signal
import subprocess
import sys
import time
import warnings

import pytest
import torch

from gancourse.data import toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.trainers import (Checkpoint, CheckpointError, GANTrainer, TrainingDiverged, WGANTrainer,
                                atomic_save, load_state)
from gancourse.trainers.checkpoint import encode
from gancourse.trainers.state import write_atomically
from gancourse.validation import ArgumentError

pytestmark = pytest.mark.usefixtures("one_thread")


def make(seed=0, width=16, cls=GANTrainer, **kwargs):
    torch.manual_seed(seed)
    G = MLPGenerator(z_dim=2, out_dim=2, width=16, depth=2)
    D = MLPDiscriminator(in_dim=2, width=width, depth=2)
    return cls(G, D, device="cpu", seed=seed, **kwargs)


def snapshot(t) -> dict:
    """Every tensor and number of a trainer's state, copied (RNG states included)."""
    import copy
    return copy.deepcopy(t.state_dict())


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture
def saved(tmp_path):
    t = make(seed=1)
    t.fit(toy.ring(), steps=3, batch_size=16, progress=False)
    path = tmp_path / "run.pt"
    t.save_checkpoint(path)
    return path, t


def fresh_trained():
    t = make(seed=5)
    t.fit(toy.ring(), steps=2, batch_size=8, progress=False)
    return t


# ---------------------------------------------------------------------------------------------- damaged files
def test_every_single_bit_flip_and_an_overwrite_is_refused_and_changes_nothing(saved):
    path, _ = saved
    good = path.read_bytes()
    rng = random.Random(15)
    offsets = sorted(rng.sample(range(len(good)), 40))
    target = fresh_trained()
    before = snapshot(target)
    for offset in offsets:
        bad = bytearray(good)
        bad[offset] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(bad))
        with pytest.raises(CheckpointError, match="damaged|truncated|not a gancourse") as info:
            target.load_checkpoint(path)
        assert str(path) in str(info.value), offset
        assert same(snapshot(target), before), offset
    start = rng.randrange(len(good) - 64)
    bad = bytearray(good)
    bad[start:start + 64] = bytes(rng.randrange(256) for _ in range(64))
    path.write_bytes(bytes(bad))
    with pytest.raises(CheckpointError, match="damaged"):
        target.load_checkpoint(path)
    assert same(snapshot(target), before)
    path.write_bytes(good)
    target.load_checkpoint(path)  # the intact file still loads
    assert target.global_step == 3


def test_truncated_and_empty_files_say_so(saved):
    path, _ = saved
    good = path.read_bytes()
    target = fresh_trained()
    before = snapshot(target)
    for n in (len(good) - 1, len(good) // 2, 200, 100, 30, 5):
        path.write_bytes(good[:n])
        with pytest.raises(CheckpointError, match="truncated"):
            target.load_checkpoint(path)
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty \(0 bytes\)"):
        target.load_checkpoint(path)
    assert same(snapshot(target), before)


def test_a_plain_state_dict_an_old_checkpoint_and_other_files_are_told_apart(tmp_path):
    t = make()
    torch.save(t.G.state_dict(), tmp_path / "g.pt")
    with pytest.raises(CheckpointError, match=r"plain state_dict .*model\.load_state_dict"):
        t.load_checkpoint(tmp_path / "g.pt")
    torch.save(t.state_dict(), tmp_path / "old.pt")  # what save_checkpoint wrote before checksums
    with pytest.raises(CheckpointError, match="old format, which had no checksum"):
        t.load_checkpoint(tmp_path / "old.pt")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a gancourse checkpoint"):
        t.load_checkpoint(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        t.load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(IsADirectoryError):
        t.load_checkpoint(tmp_path)


# ---------------------------------------------------------------------------------------------- files that do not fit
def test_a_wider_d_is_refused_before_anything_is_copied(tmp_path):
    wide = make(seed=2, width=32)
    wide.fit(toy.ring(), steps=2, batch_size=8, progress=False)
    wide.save_checkpoint(tmp_path / "wide.pt")
    t = fresh_trained()
    before = snapshot(t)
    with pytest.raises(CheckpointError, match=r"model D net\.0\.weight: the checkpoint's tensor is \(32, 2\)"):
        t.load_checkpoint(tmp_path / "wide.pt")
    assert same(snapshot(t), before)  # G was not loaded either


def test_another_kind_of_trainer_is_refused(tmp_path):
    make().save_checkpoint(tmp_path / "gan.pt")
    w = make(cls=WGANTrainer)
    before = snapshot(w)
    with pytest.raises(CheckpointError, match="saved by a GANTrainer, and this is a WGANTrainer"):
        w.load_checkpoint(tmp_path / "gan.pt")
    assert same(snapshot(w), before)


def test_another_optimizer_is_refused_even_under_the_right_kind(tmp_path):
    w = make(cls=WGANTrainer, n_critic=1)
    w.step(toy.ring().sample(8))
    (tmp_path / "x.pt").write_bytes(encode(w.state_dict(), kind="GANTrainer", device="cpu"))  # valid checksum
    t = fresh_trained()
    before = snapshot(t)
    with pytest.raises(CheckpointError, match="another optimizer"):
        t.load_checkpoint(tmp_path / "x.pt")  # RMSprop's square_avg for Adam: was a KeyError at the next step
    assert same(snapshot(t), before)


def test_a_failure_midway_puts_the_trainer_back(saved, monkeypatch):
    path, _ = saved
    t = fresh_trained()
    before = snapshot(t)

    real_load, calls = t.opt_D.load_state_dict, []

    def broken(*args, **kwargs):  # fails once: after both models and G's optimizer have loaded
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk hiccup")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(t.opt_D, "load_state_dict", broken)
    with pytest.raises(CheckpointError, match="loading failed midway .*back as it was"):
        t.load_checkpoint(path)
    monkeypatch.undo()
    assert same(snapshot(t), before)


def test_a_checkpoint_of_another_device_type_loads_with_a_warning(tmp_path):
    t = make(seed=3)
    t.step(toy.ring().sample(8))
    state = t.state_dict()
    state["rng"]["trainer"] = torch.zeros(16, dtype=torch.uint8)  # a CUDA generator's state
    (tmp_path / "gpu.pt").write_bytes(encode(state, kind="GANTrainer", device="cuda"))
    u = make(seed=4)
    with pytest.warns(UserWarning, match="saved on cuda.*does not continue bit-for-bit"):
        u.load_checkpoint(tmp_path / "gpu.pt")
    assert u.global_step == 1 and all(torch.equal(a, b) for a, b in zip(u.G.parameters(), t.G.parameters()))


# ---------------------------------------------------------------------------------------------- writing
def test_checkpoints_follow_the_umask(tmp_path):
    t = make()
    for mask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(mask)
        try:
            t.save_checkpoint(tmp_path / f"m{mask:o}.pt")
        finally:
            os.umask(old)
        assert (tmp_path / f"m{mask:o}.pt").stat().st_mode & 0o777 == mode


def test_a_killed_save_leaves_a_temporary_file_that_the_next_save_removes(tmp_path):
    path = tmp_path / "run.pt"
    code = ("import os, sys, time; from gancourse.trainers import state; "
            "os.fsync = lambda fd: time.sleep(60); state.write_atomically(b'x' * 100000, sys.argv[1])")
    procs = []
    for _ in range(3):
        procs.append(subprocess.Popen([sys.executable, "-c", code, str(path)]))
    deadline = time.time() + 60
    while len([n for n in os.listdir(tmp_path) if n.startswith(".tmp-run.pt-")]) < 3 and time.time() < deadline:
        time.sleep(0.05)
    for p in procs:
        p.send_signal(signal.SIGKILL)
        p.wait()
    stale = sorted(n for n in os.listdir(tmp_path) if n.startswith(".tmp-"))
    assert len(stale) == 3 and not path.exists()
    # a live writer's file and another target's file must stay
    live = tmp_path / f".tmp-run.pt-{stale[0].split('-')[2]}-{os.getppid()}-0123abcd.pt"
    live.write_bytes(b"being written")
    other = tmp_path / f".tmp-other.pt-{stale[0].split('-')[2]}-{procs[0].pid}-0123abcd.pt"
    other.write_bytes(b"another target")
    make().save_checkpoint(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["run.pt", live.name, other.name])
    make().load_checkpoint(path)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    write_atomically(b"old", path)

    def full(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(b"new", path)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["run.pt"]


def test_atomic_save_and_load_state_round_trip(tmp_path):
    atomic_save({"w": torch.arange(3.0)}, tmp_path / "s.pt", kind="notes")
    assert torch.equal(load_state(tmp_path / "s.pt")["w"], torch.arange(3.0))


def test_non_finite_weights_are_never_saved(tmp_path):
    t = make()
    t.save_checkpoint(tmp_path / "run.pt")
    good = (tmp_path / "run.pt").read_bytes()
    with torch.no_grad():
        t.G.net[0].weight[0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"refusing to save .*G net\.0\.weight holds NaN"):
        t.save_checkpoint(tmp_path / "run.pt")
    assert (tmp_path / "run.pt").read_bytes() == good


# ---------------------------------------------------------------------------------------------- learning rates
def test_keep_optimizer_lr_false_keeps_the_constructor_rates(tmp_path):
    t = make(lr_d=1e-3, lr_g=2e-3)
    t.fit(toy.ring(), steps=2, batch_size=8, progress=False)
    t.save_checkpoint(tmp_path / "run.pt")
    kept = make(lr_d=1e-4, lr_g=3e-4).load_checkpoint(tmp_path / "run.pt")
    assert kept.opt_D.param_groups[0]["lr"] == 1e-3 and kept.opt_G.param_groups[0]["lr"] == 2e-3  # the default
    lower = make(lr_d=1e-4, lr_g=3e-4).load_checkpoint(tmp_path / "run.pt", keep_optimizer_lr=False)
    assert lower.opt_D.param_groups[0]["lr"] == 1e-4 and lower.opt_G.param_groups[0]["lr"] == 3e-4
    assert lower.global_step == 2 and int(lower.opt_D.state[lower.D.net[0].weight]["step"]) == 2
    with pytest.raises(ArgumentError, match="keep_optimizer_lr must be True or False"):
        lower.load_checkpoint(tmp_path / "run.pt", keep_optimizer_lr="no")


def test_keep_optimizer_lr_false_with_a_schedule(tmp_path):
    t = make(lr_d=1e-3, lr_g=1e-3).decay_learning_rates(decay_steps=9, constant_steps=0)
    t.fit(toy.ring(), steps=5, batch_size=8, progress=False)
    t.save_checkpoint(tmp_path / "run.pt")
    u = make(lr_d=1e-4, lr_g=1e-4).decay_learning_rates(decay_steps=9, constant_steps=0)
    u.load_checkpoint(tmp_path / "run.pt", keep_optimizer_lr=False)
    factor = 1 - 5 / 10
    assert u.schedulers["D"].base_lrs == [1e-4] and u.opt_D.param_groups[0]["lr"] == pytest.approx(1e-4 * factor)
    u.fit(toy.ring(), steps=1, batch_size=8, progress=False)
    assert u.opt_D.param_groups[0]["lr"] == pytest.approx(1e-4 * (1 - 6 / 10))


def test_a_constructor_rate_that_is_not_finite_is_refused():
    for bad in (float("inf"), float("nan"), True, "1e-3", 0.0, -1e-3):
        with pytest.raises(ArgumentError, match="learning rate"):
            make(lr_g=bad)


# ---------------------------------------------------------------------------------------------- diverging
def test_an_overflowing_update_is_training_diverged_and_undone():
    t = make(lr_d=3e38, lr_g=3e38)
    before = snapshot(t)
    with pytest.raises(TrainingDiverged, match="at step 1: a number overflowed inside the update") as info:
        t.step(toy.ring().sample(8))
    assert info.value.cause == "overflow" and info.value.restored_step == 0
    after = snapshot(t)
    assert same(after["models"], before["models"]) and same(after["optimizers"], before["optimizers"])
    assert t.global_step == 0


def test_nan_data_say_so_and_leave_the_models_finite():
    t = fresh_trained()
    before = snapshot(t)
    data = toy.ring().sample(64)
    data[10, 1] = float("nan")
    with pytest.raises(TrainingDiverged, match="at step 3: the data contain NaN or infinite values") as info:
        t.fit(data, steps=200, batch_size=64, progress=False)
    assert info.value.cause == "data" and "lower learning rate will not help" in str(info.value)
    assert "Try a lower learning rate" not in str(info.value)
    assert same(snapshot(t)["models"], before["models"]) and t.global_step == 2
    inf = toy.ring().sample(8)
    inf[0, 0] = float("inf")
    with pytest.raises(TrainingDiverged, match="the data contain NaN"):
        t.step(inf)


def test_weights_that_go_non_finite_stop_training_before_a_checkpoint_is_saved(tmp_path):
    t = make()
    original = t.g_step

    def g_step(batch):  # an update that leaves inf in G while every logged loss is finite
        logs = original(batch)
        with torch.no_grad():
            t.G.net[2].weight[0, 0] = float("inf")
        return logs

    t.g_step = g_step
    g0 = [p.clone() for p in t.G.parameters()]
    with pytest.raises(TrainingDiverged, match=r"at step 1: the update left NaN or infinite values in G net\.2\.w"):
        t.fit(toy.ring(), steps=5, batch_size=8, callbacks=[Checkpoint(tmp_path / "run.pt", every=1)],
              progress=False)
    assert not (tmp_path / "run.pt").exists()  # the callback never ran on the non-finite state
    assert all(torch.equal(a, b) for a, b in zip(g0, t.G.parameters())) and t.global_step == 0


def test_a_step_that_raises_midway_is_undone():
    t = fresh_trained()
    before = snapshot(t)
    original = t.g_step

    def g_step(batch):
        original(batch)  # G's update happens, then the user presses stop
        raise KeyboardInterrupt

    t.g_step = g_step
    with pytest.raises(KeyboardInterrupt):
        t.step(toy.ring().sample(8))
    after = snapshot(t)
    assert same(after["models"], before["models"]) and same(after["optimizers"], before["optimizers"])
    assert t.global_step == 2 and t.history["step"] == [1, 2]


def test_resuming_a_diverged_run_with_a_lower_rate(tmp_path):
    data = toy.ring()
    t = make(lr_d=1e-3, lr_g=1e-3)
    t.fit(data, steps=3, batch_size=8, callbacks=[Checkpoint(tmp_path / "run.pt", every=3)], progress=False)
    t.set_learning_rates(D=3e38, G=3e38)
    with pytest.raises(TrainingDiverged, match="keep_optimizer_lr=False"):
        t.fit(data, steps=3, batch_size=8, progress=False)
    assert t.global_step == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed = make(lr_d=1e-4, lr_g=1e-4).load_checkpoint(tmp_path / "run.pt", keep_optimizer_lr=False)
    resumed.fit(data, steps=3, batch_size=8, progress=False)
    assert resumed.global_step == 6 and resumed.opt_G.param_groups[0]["lr"] == 1e-4
