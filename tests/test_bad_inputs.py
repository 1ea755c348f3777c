"""Every public function and class against bad arguments, from one table (tests/bad_input_entries.py and its
second half, bad_input_entries_training.py): each bad value must raise an ArgumentError whose message names the
argument (or a documented error: TrainingDiverged naming the data, FileNotFoundError naming the path). Nothing bad
may be accepted silently.

The counts for any checkout: ``cd tests && PYTHONPATH=/path/to/checkout:. python bad_input_table.py``. On the
code before issue 15 (98bd735) the table as it then stood, 201 callables and 3990 bad inputs, gave 2016 clear
errors, 1440 obscure ones (1290 raw errors from deep inside torch or Python, 150 messages not naming the argument)
and 534 silent acceptances; now all are clear (232 callables and 4345 bad inputs with the exercises' checkers and
progressive growing)."""
import collections

import pytest

from bad_input_entries import ENTRIES
from bad_input_table import run_entry

pytestmark = pytest.mark.usefixtures("one_thread")

COUNTS: collections.Counter = collections.Counter()
SEEN: set = set()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.label for e in ENTRIES])
def test_every_bad_argument_is_refused_by_name(entry):
    outcomes = run_entry(entry)
    SEEN.add(entry.label)
    COUNTS.update(o.kind for o in outcomes)
    wrong = [f"{o.kind}: {o.arg}={o.value}: {o.detail[:200]}" for o in outcomes if o.kind != "clear"]
    assert not wrong, "\n".join(wrong)


def test_the_table_covers_the_public_api_and_counts_no_silent_acceptance():
    """Runs after the rows (file order): every public callable of the package has a row, and the totals print."""
    labels = {e.label.split(" ")[0].split(".")[-1] for e in ENTRIES}
    missing = [f"{module.__name__}.{name}" for module, name in public_callables()
               if name not in labels and name not in NOT_CALLED]
    assert not missing, f"no row in the bad-input table for {missing}"
    if len(SEEN) == len(ENTRIES):  # the whole table ran in this session
        print(f"\nbad-input table: {len(ENTRIES)} callables, {sum(COUNTS.values())} bad inputs: {dict(COUNTS)}")
        assert set(COUNTS) == {"clear"}


def public_callables():
    """(module, name) of every public function and class (exceptions aside) of the package's modules."""
    import inspect
    import pkgutil

    import gancourse

    for info in pkgutil.walk_packages(gancourse.__path__, "gancourse."):
        if info.name in INTERNAL:
            continue
        module = __import__(info.name, fromlist=["_"])
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if getattr(obj, "__module__", "") != module.__name__:
                continue  # re-exported: counted where it is defined
            if inspect.isfunction(obj) or (inspect.isclass(obj) and not issubclass(obj, BaseException)):
                yield module, name


# modules of plumbing that the rows reach through their callers: the checks themselves (test_validation*.py), the
# checkers' shared helpers, the checkpoint and divergence machinery (test_checkpoints.py), the lab's view
INTERNAL = {"gancourse.validation", "gancourse.checks.core", "gancourse.trainers.checkpoint", "gancourse.trainers.guard",
            "gancourse.widgets.lab_view"}
# public names without a row: base classes and records with no arguments to get wrong, and helpers of the trainers
NOT_CALLED = {
    "ToyDistribution", "Callback", "Trainer", "Persistent", "History", "Layouts", "SaturationResult", "CycleBatch",
    "Pix2PixBatch",
    "Setting", "available_methods", "method_labels", "as_callback", "to_device", "batch_size", "check_batch",
    "write_atomically", "remove_stale_temporaries", "rng_state", "set_rng_state", "SamplerStats", "DiracResult",
}
