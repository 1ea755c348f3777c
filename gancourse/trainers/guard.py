"""Training that stops whole: what went non-finite when it diverged, and the last finite state to go back to.

The trainer keeps a :class:`LastFinite` copy of its models, optimizers, schedulers, step and history, refreshed
after every check that found everything finite (every step on the CPU, every ``sync_every`` steps on a GPU, in
the one transfer that also brings the logs). When a step fails (a NaN or infinite loss, datum or weight, an
overflow inside an update, or any other exception mid-step) the trainer goes back to that copy, so a step is
applied whole or not at all, and raises :class:`TrainingDiverged` saying what went wrong.
"""
from __future__ import annotations

import torch

__all__ = ["TrainingDiverged", "LastFinite", "diverged", "finite_sum", "first_nonfinite", "model_tensors",
           "optimizer_tensors"]


class TrainingDiverged(FloatingPointError):
    """Training produced NaN or infinite values. The message names the step and the cause:

    - ``cause="data"``: the batch held NaN or inf (clean the data; a lower learning rate will not help);
    - ``"loss"``: a logged loss was NaN or inf although the weights and data were finite (the forward pass
      overflowed: lower the learning rate);
    - ``"weights"``: an update left NaN or inf in the weights;
    - ``"overflow"``: torch could not even represent a number of the update (a learning rate near 1e38).

    ``step`` is the step that failed, ``restored_step`` the step the models and optimizers are back at.
    """

    def __init__(self, message: str, *, step: int | None = None, cause: str | None = None,
                 restored_step: int | None = None):
        super().__init__(message)
        self.step, self.cause, self.restored_step = step, cause, restored_step


def _floats(tensors):
    return [t.detach() for t in tensors if t.is_floating_point() and t.numel()]


def finite_sum(tensors) -> torch.Tensor:
    """One float64 scalar on the tensors' device that is finite exactly when every floating tensor is (a NaN or an
    infinity anywhere propagates; float32 values cannot overflow a float64 sum). No host synchronisation."""
    sums = [t.sum(dtype=torch.float64) for t in _floats(tensors)]
    if not sums:
        return torch.zeros((), dtype=torch.float64)
    return torch.stack([s.to(sums[0].device) for s in sums]).sum()


def first_nonfinite(named) -> str | None:
    """The name of the first tensor of ``named`` ((name, tensor) pairs) holding a NaN or an infinity, else None."""
    for name, t in named:
        if t.is_floating_point() and t.numel() and not bool(torch.isfinite(t.detach()).all()):
            return name
    return None


def model_tensors(trainer):
    """(name, tensor) of every parameter and buffer of the trainer's models, e.g. ``("D net.0.weight", ...)``."""
    for mname, model in trainer.models.items():
        for name, t in model.named_parameters():
            yield f"{mname} {name}", t
        for name, t in model.named_buffers():
            yield f"{mname} {name}", t


def optimizer_tensors(trainer):
    for oname, opt in trainer.optimizers.items():
        for i, st in enumerate(opt.state.values()):
            for key, v in st.items():
                if isinstance(v, torch.Tensor):
                    yield f"optimizer {oname} parameter {i} {key}", v


class LastFinite:
    """A copy of a trainer's state at its last check that found everything finite; :meth:`restore` puts it back.

    The copy is refreshed in place (``torch._foreach_copy_``, no allocation and no host synchronisation) while the
    set of tensors stays the same, which it does once the optimizers have made their first step.
    """

    def __init__(self, trainer):
        self.trainer = trainer
        self.live: list[torch.Tensor] = []
        self.saved: list[torch.Tensor] = []
        self.step = None

    def _tensors(self) -> list[torch.Tensor]:
        t = self.trainer
        out = [x for m in t.models.values() for x in (*m.parameters(), *m.buffers())]
        for opt in t.optimizers.values():
            for st in opt.state.values():
                out += [v for v in st.values() if isinstance(v, torch.Tensor)]
        return out

    @torch.no_grad()
    def take(self) -> None:
        t = self.trainer
        live = self._tensors()
        if len(live) == len(self.live) and all(a is b for a, b in zip(live, self.live)):
            if live:
                torch._foreach_copy_(self.saved, live)
        else:
            self.live, self.saved = live, [x.detach().clone() for x in live]
        self.opt_state = [(opt, {p: dict(st) for p, st in opt.state.items()}) for opt in t.optimizers.values()]
        self.lrs = [[g["lr"] for g in opt.param_groups] for opt in t.optimizers.values()]
        self.schedulers = {k: s.state_dict() for k, s in t.schedulers.items()}
        self.step = t.global_step
        self.n_history = {k: len(v) for k, v in t.history.items()}

    @torch.no_grad()
    def restore(self) -> None:
        """Put the copy back: weights and buffers, optimizer state (entries made since are dropped), learning
        rates, schedulers, the step and the history."""
        if self.step is None:
            return
        t = self.trainer
        copies = dict(zip(map(id, self.live), self.saved))
        for opt, state in self.opt_state:  # entries made since the copy go; the others get their saved tensors
            opt.state.clear()
            for p, st in state.items():
                opt.state[p] = {k: copies[id(v)].clone() if isinstance(v, torch.Tensor) and id(v) in copies else v
                                for k, v in st.items()}
        models = [x for m in t.models.values() for x in (*m.parameters(), *m.buffers())]
        for x in models:
            if id(x) in copies:
                x.copy_(copies[id(x)])
        for opt, lrs in zip(t.optimizers.values(), self.lrs):
            for g, lr in zip(opt.param_groups, lrs):
                g["lr"] = lr
        for k, s in self.schedulers.items():
            t.schedulers[k].load_state_dict(s)
        t.global_step = self.step
        for k in list(t.history):
            n = self.n_history.get(k, 0)
            del t.history[k][n:]
            if not t.history[k]:
                del t.history[k]
        self.live, self.saved = [], []  # the optimizer state tensors are new objects now: copy afresh next time
        self.take()

    def nonfinite(self) -> str | None:
        """The name of a model tensor of the copy that is NaN or infinite (the weights were already so), or None."""
        names = [n for n, _ in model_tensors(self.trainer)]
        return first_nonfinite(zip(names, self.saved))


def diverged(trainer, step: int, cause: str, logs: dict | None = None, detail: str = "") -> TrainingDiverged:
    """Put ``trainer`` back at its last finite state and return the :class:`TrainingDiverged` that says what went
    wrong at ``step`` (``cause``: data, loss, weights or overflow)."""
    snap = trainer._last_finite
    broken = first_nonfinite(model_tensors(trainer)) if cause == "weights" else None
    before = snap.nonfinite() if snap is not None and cause != "data" else None
    advice = ("Try a lower learning rate (trainer.set_learning_rates(...); to resume a checkpoint with the "
              "rates given to the constructor: load_checkpoint(path, keep_optimizer_lr=False)), a smaller "
              "batch, or the non-saturating loss.")
    if cause == "data":
        what = ("the data contain NaN or infinite values (a batch of this step). Clean the data, e.g. keep "
                "x[torch.isfinite(x).flatten(1).all(1)]; a lower learning rate will not help.")
    elif before is not None:
        what = (f"{', '.join(f'{k} = {v}' for k, v in (logs or {}).items()) or detail or 'NaN or inf'}: the "
                f"weights were already NaN or infinite before this step ({before}); set them again or load a "
                "checkpoint.")
    elif cause == "loss":
        what = f"{', '.join(f'{k} = {v}' for k, v in logs.items())}. {advice}"
    elif cause == "weights":
        what = (f"the update left NaN or infinite values in {broken} although the losses were finite. "
                f"{advice}")
    else:
        what = f"a number overflowed inside the update ({detail}). {advice}"
    if snap is not None:
        snap.restore()
        where = (f" The models and optimizers are back at step {snap.step}, their last finite state"
                 + (" (the last synchronisation: sync_every=1 checks every step)." if snap.step < step - 1
                    else "."))
    else:
        where = ""
    return TrainingDiverged(f"training diverged at step {step}: {what}{where}", step=step, cause=cause,
                            restored_step=None if snap is None else snap.step)
