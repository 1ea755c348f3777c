"""The budget follows where a lesson's models run; lesson_start prints measured costs only; the measured table and
the instructors' table are in step with the claims sweep; every measured lesson fits Binder's memory."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch

import gancourse as gc
from gancourse import config, course

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lesson_times", ROOT / "scripts" / "lesson_times.py")
lt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lt)


@pytest.fixture(autouse=True)
def _no_lesson(monkeypatch):
    """Each test starts with no lesson declared and no budget or device in the environment."""
    monkeypatch.setattr(config, "_lesson_device", None)
    monkeypatch.delenv("GANCOURSE_BUDGET", raising=False)
    monkeypatch.delenv("GANCOURSE_DEVICE", raising=False)


@pytest.fixture
def cuda_present(monkeypatch):
    """A machine with a CUDA GPU, as far as the course can tell (nothing is put on it)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


def test_a_cpu_lesson_on_a_gpu_machine_gets_default_sizes(cuda_present, capsys):
    assert gc.budget() == "full"                     # nothing declared: gc.device() would pick the GPU
    gc.lesson_start("03", device="cpu")
    assert gc.lesson_device() == torch.device("cpu")
    assert gc.budget() == "default" and gc.pick(1, 2, 3) == 2
    out = capsys.readouterr().out
    assert "budget default: GANCOURSE_BUDGET is not set and the models run on the CPU" in out
    assert "a GPU is present; this lesson does not use it" in out


def test_a_gpu_lesson_on_a_gpu_machine_gets_full_sizes(cuda_present, capsys):
    gc.lesson_start("06")                            # device: gc.device(), the GPU here
    assert gc.lesson_device() == torch.device("cuda")
    assert gc.budget() == "full" and gc.pick(1, 2, 3) == 3
    assert "models run on a CUDA GPU" in capsys.readouterr().out


def test_without_a_gpu_every_lesson_gets_default(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device in (None, "cpu"):
        gc.lesson_start("06", device=device)
        assert gc.budget() == "default"


def test_the_environment_wins_over_the_device(cuda_present, monkeypatch, capsys):
    monkeypatch.setenv("GANCOURSE_BUDGET", "full")
    gc.lesson_start("04", device="cpu")
    assert gc.budget() == "full"
    assert "budget full: GANCOURSE_BUDGET=full" in capsys.readouterr().out
    monkeypatch.setenv("GANCOURSE_BUDGET", "smoke")
    assert gc.pick(1, 2, 3) == 1


def test_an_explicit_device_overrides_the_lesson(cuda_present):
    gc.lesson_start("06")
    assert gc.budget(device="cpu") == "default" and gc.pick(1, 2, 3, device="cpu") == 2
    assert gc.budget(device=torch.device("cuda")) == "full"


def test_gancourse_device_cpu_on_a_gpu_machine_gives_default(cuda_present, monkeypatch):
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    assert gc.budget() == "default"


TABLE = {
    "source": {"cpu": {"file": "benchmarks/results/claims_cpu.json", "machine": {"cpus": 2}, "threads": 1}},
    "lessons": {"03_js_saturation": {"cpu": {"default": {"seconds": 65.4, "peak_mb": 430, "runs": 3}}}},
}


@pytest.fixture
def table(tmp_path, monkeypatch):
    path = tmp_path / "lesson_times.json"
    path.write_text(json.dumps(TABLE))
    monkeypatch.setattr(course, "TIMES_FILE", path)
    return path


def test_lesson_start_prints_the_measured_time_and_memory(table, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gc.lesson_start("03", device="cpu") is None
    out = capsys.readouterr().out
    assert "lesson 03_js_saturation | budget default" in out
    assert ("expected at this budget on the CPU: about 1 min 05 s and 0.42 GB of memory (the whole notebook: median "
            "time of 3 runs on a 2-CPU machine, 1 torch thread; the largest peak memory)") in out


def test_lesson_start_never_makes_up_a_number(table, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("GANCOURSE_BUDGET", "smoke")
    gc.lesson_start("03_js_saturation", device="cpu")         # measured at default only
    gc.lesson_start("11", device="cpu")                       # not in the table at all
    out = capsys.readouterr().out
    assert out.count("expected at this budget on the CPU: not measured yet") == 2
    assert "lesson 11 |" in out


def test_the_table_summarises_one_thread_medians_and_the_largest_peak():
    runs = [dict(notebook="02_x.ipynb", budget="smoke", threads=1, seed=s, ok=True, seconds=t, peak_mb=m)
            for s, t, m in ((0, 20.0, 300), (1, 30.0, 310), (2, 25.0, 305))]
    runs += [dict(notebook="02_x.ipynb", budget="smoke", threads=2, seed=0, ok=True, seconds=99.0, peak_mb=350),
             dict(notebook="02_x.ipynb", budget="smoke", threads=1, seed=3, ok=False, seconds=1.0, peak_mb=900),
             dict(notebook="02_x.ipynb", budget="smoke", threads=1, seed=4, ok=True, seconds=1.0, peak_mb=900,
                  isa="avx2"),
             dict(notebook="05_y.ipynb", budget="default", threads=2, seed=0, ok=True, seconds=50.0, peak_mb=400)]
    out = lt.summarise(runs)
    # time: median of the passing native 1-thread runs; memory: largest peak of the passing native runs
    assert out == {"02_x": {"smoke": {"seconds": 25.0, "peak_mb": 350, "runs": 3}}}


def test_the_table_keeps_other_devices_entries():
    old = {"source": {"cuda": {"file": "gpu.json"}},
           "lessons": {"06_dcgan": {"cuda": {"full": {"seconds": 80.0, "peak_mb": 2000, "runs": 1}}}}}
    claims = {"machine": {"cpus": 2}, "runs": [dict(notebook="06_dcgan.ipynb", budget="default", threads=1, seed=0,
                                                    ok=True, seconds=100.0, peak_mb=500)]}
    table = lt.build_table(claims, "cpu", "claims.json", old)
    assert table["lessons"]["06_dcgan"] == {"cuda": old["lessons"]["06_dcgan"]["cuda"],
                                            "cpu": {"default": {"seconds": 100.0, "peak_mb": 500, "runs": 1}}}
    assert set(table["source"]) == {"cpu", "cuda"}
    md = lt.markdown(table, ["06_dcgan", "07_pix2pix"])
    assert "| `06_dcgan` | not measured | 1:40 | 0.49 GB | yes | 1:20 |" in md
    assert "| `07_pix2pix` | not measured | not measured | not measured | not measured | not measured |" in md


def test_the_committed_tables_are_what_the_script_writes():
    """gancourse/lesson_times.json and the guide's table come from the committed claims sweep, not from a hand."""
    assert lt.main(["--check"]) == 0, "run python scripts/lesson_times.py"


def test_every_measured_lesson_fits_binder_at_the_default_budget():
    """mybinder.org restarts the kernel above 2 GB (and guarantees 1 GB): every measured default-budget peak is
    below the limit, with room for JupyterLab itself (about 0.15 GB)."""
    table = json.loads(lt.TABLE.read_text())
    peaks = {stem: d["cpu"]["default"]["peak_mb"] for stem, d in table["lessons"].items()
             if "default" in d.get("cpu", {})}
    if not peaks:
        pytest.skip("no lesson measured at the default budget yet (benchmarks/claims.py)")
    too_big = {stem: mb for stem, mb in peaks.items() if mb > lt.BINDER_LIMIT_MB - 150}
    assert not too_big, f"these lessons would not fit in Binder's 2 GB at the default budget: {too_big}"
