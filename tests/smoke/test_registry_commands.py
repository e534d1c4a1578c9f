"""tasks add/remove, models add/remove, validate and export heareval, run as commands."""

import json
import pickle  # noqa: TID251 (reading the original kit's format, as it does)
import tarfile
from pathlib import Path

import numpy as np
import pytest

from tests import outside
from tests.helpers import BIN, MINI_TONES, env_for, register_tasks, run

pytestmark = pytest.mark.smoke


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "data").mkdir()
    mods = tmp_path / "mods"
    outside.write_module(mods, "good_numpy", outside.GOOD)
    outside.write_module(mods, "nan_numpy", outside.NAN)
    outside.write_module(mods, "wrong_shape_numpy", outside.WRONG_SHAPE)
    outside.write_module(mods, "seconds_numpy", outside.SECONDS)
    return env_for(tmp_path / "data", tmp_path / "dagster_home", PYTHONPATH=str(mods))


def cli(env: dict[str, str], *args: str):
    return run([str(BIN / "hear-assets"), *args], env)


def test_validate_reports_what_fails(env: dict[str, str]) -> None:
    ok = cli(env, "validate", "good_numpy")
    assert ok.returncode == 0 and "Looks good!" in ok.stdout
    for module, words in [
        ("nan_numpy", "NaN"),
        ("wrong_shape_numpy", "shape"),
        ("seconds_numpy", "ms"),
    ]:
        bad = cli(env, "validate", module)
        assert bad.returncode == 1, bad.stdout
        assert "FAIL" in bad.stdout and words in bad.stdout, bad.stdout


def test_models_add_validates_registers_and_evaluates(env: dict[str, str], tmp_path: Path):
    home = tmp_path / "data"
    refused = cli(env, "models", "add", "nanny", "--module", "nan_numpy")
    assert refused.returncode == 1 and "failed validation" in refused.stderr
    added = cli(env, "models", "add", "energy", "--module", "good_numpy")
    assert added.returncode == 0, added.stderr
    again = cli(env, "models", "add", "energy", "--module", "good_numpy")
    assert again.returncode == 0 and "identical" in again.stdout
    clash = cli(env, "models", "add", "energy", "--module", "seconds_numpy")
    assert clash.returncode == 1
    listed = json.loads(cli(env, "models", "list", "--json").stdout)
    energy = next(m for m in listed if m["name"] == "energy")
    card = energy.pop("card")
    assert energy == {
        "name": "energy",
        "family": "outside",
        "framework": "numpy",
        "module": "good_numpy",
    }
    assert card["framework"] == "numpy" and card["source"] == "module:good_numpy"
    assert card["licence"] == "unknown" and card["efficiency"]["rtf"] is None  # not run yet
    register_tasks(home, MINI_TONES)
    out = cli(env, "run", "--tasks", "mini_tones", "--models", "energy")
    assert out.returncode == 0, out.stderr
    assert (home / "scores" / "energy" / "mini_tones.json").exists()
    removed = cli(env, "models", "remove", "energy")
    assert removed.returncode == 0
    assert "energy" not in cli(env, "models", "list").stdout
    assert (home / "scores" / "energy" / "mini_tones.json").exists()  # files stay
    board = cli(env, "run", "--tasks", "mini_tones", "--models", "naive_torch")
    assert "energy" not in board.stdout


def test_export_heareval_reads_like_the_original_runner(env: dict[str, str], tmp_path: Path):
    home = tmp_path / "data"
    register_tasks(home, MINI_TONES)
    assert cli(env, "run", "--tasks", "mini_tones", "--models", "naive_torch").returncode == 0
    out_dir = tmp_path / "export"
    res = cli(
        env,
        "export",
        "heareval",
        "--model",
        "naive_torch",
        "--task",
        "mini_tones",
        "--out",
        str(out_dir),
    )
    assert res.returncode == 0, res.stderr
    ours = np.load(home / "embeddings" / "naive_torch" / "mini_tones" / "test.npy")
    index = json.loads(
        (home / "embeddings" / "naive_torch" / "mini_tones" / "test.index.json").read_text()
    )
    # As heareval.predictions reads it:
    dims = json.loads((out_dir / "test.embedding-dimensions.json").read_text())
    theirs = np.memmap(
        out_dir / "test.embeddings.npy", dtype=np.float32, mode="r", shape=tuple(dims)
    )
    with (out_dir / "test.target-labels.pkl").open("rb") as fh:
        labels = pickle.load(fh)
    assert tuple(dims) == ours.shape and len(labels) == dims[0]
    split = json.loads((out_dir / "test.json").read_text())
    # every exported row is one of ours, with that clip's label
    for row, lab in zip(theirs, labels, strict=True):
        i = int(np.flatnonzero((ours == row).all(axis=1))[0])
        assert lab == [str(x) for x in split[index["files"][i]]]
    assert (out_dir / "task_metadata.json").exists() and (out_dir / "labelvocabulary.csv").exists()


def _hear_task(root: Path, rates: tuple[int, ...]) -> Path:
    """A HEAR 2021 preprocessed scene task folder, built from the mini tones task."""
    import soundfile as sf

    task = root / "tasks" / "toy_pitch-v1-full"
    rng = np.random.default_rng(0)
    splits = {"train": 12, "valid": 4, "test": 4}
    for split, n in splits.items():
        listing = {}
        for i in range(n):
            label = i % 2
            name = f"{split}{i:02d}.wav"
            for rate in rates:
                t = np.arange(rate // 2) / rate
                wave = 0.3 * np.sin(2 * np.pi * (220 if label else 330) * t) + rng.normal(
                    0, 0.01, len(t)
                )
                (task / str(rate) / split).mkdir(parents=True, exist_ok=True)
                sf.write(task / str(rate) / split / name, wave, rate, subtype="PCM_16")
            listing[name] = [label]
        (task / f"{split}.json").write_text(json.dumps(listing))
    (task / "labelvocabulary.csv").write_text("idx,label\n0,0\n1,1\n")
    (task / "task_metadata.json").write_text(
        json.dumps(
            {
                "task_name": "toy_pitch",
                "version": "v1",
                "embedding_type": "scene",
                "prediction_type": "multiclass",
                "split_mode": "trainvaltest",
                "sample_duration": 0.5,
                "evaluation": ["top1_acc"],
                "mode": "full",
                "splits": ["train", "valid", "test"],
            }
        )
    )
    return task


def test_tasks_add_imports_a_hear_tarball_and_scores_it(env: dict[str, str], tmp_path: Path):
    task = _hear_task(tmp_path / "hear", (16000,))
    tarball = tmp_path / "hear-2021.0.6-toy_pitch-v1-full-16000.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(task.parent.parent / "tasks", arcname="tasks")
    added = cli(env, "tasks", "add", str(tarball))
    assert added.returncode == 0, added.stderr
    again = cli(env, "tasks", "add", str(tarball))
    assert again.returncode == 0 and "identical" in again.stdout
    listed = json.loads(cli(env, "tasks", "list", "--json").stdout)
    assert {
        "name": "toy_pitch-v1-full",
        "task_type": "scene",
        "source": "imported",
        "state": "missing",
    } in listed
    out = cli(env, "run", "--tasks", "toy_pitch-v1-full", "--models", "naive_torch")
    assert out.returncode == 0, out.stderr
    home = tmp_path / "data"
    assert (home / "tasks" / "toy_pitch-v1-full" / "48000" / "test" / "test00.wav").exists()
    scores = json.loads((home / "scores" / "naive_torch" / "toy_pitch-v1-full.json").read_text())
    assert scores["primary"] > 0.9  # two clearly different pitches


def test_tasks_add_refuses_bad_input_in_one_line(env: dict[str, str], tmp_path: Path):
    task = _hear_task(tmp_path / "hear", (16000, 22050))
    (task / "22050" / "test" / "test01.wav").write_bytes(b"not audio at all")
    bad = cli(env, "tasks", "add", str(task))
    assert bad.returncode == 1
    assert "test01.wav" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data" / "raw" / "toy_pitch-v1-full").exists()
    other = _hear_task(tmp_path / "hear2", (16000,))
    meta = json.loads((other / "task_metadata.json").read_text())
    meta["evaluation"] = "top1_acc"
    (other / "task_metadata.json").write_text(json.dumps(meta))
    bad = cli(env, "tasks", "add", str(other))
    assert bad.returncode == 1 and "evaluation" in bad.stderr


def test_a_model_returning_nan_stops_its_pair_and_writes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "data"
    outside.write_module(tmp_path / "mods", "quiet_nan", outside.NAN_ON_QUIET)
    register_tasks(home, MINI_TONES)
    # registered by hand (as an edited registry would be), so validation never saw it
    (home / "registry" / "models.json").write_text(
        json.dumps(
            [
                {
                    "name": "quietnan",
                    "module": "quiet_nan",
                    "family": "outside",
                    "framework": "numpy",
                    "sample_rate": 16000,
                    "weights": "",
                    "options": {},
                    "retired": False,
                }
            ]
        )
    )
    out = cli(env, "run", "--tasks", "mini_tones", "--models", "quietnan,naive_torch")
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("hear-assets: error")]
    assert len(errors) == 1, out.stderr
    assert "quietnan" in errors[0] and "mini_tones" in errors[0] and ".wav" in errors[0]
    assert "NaN" in errors[0]
    assert not (home / "embeddings" / "quietnan").exists() or not any(
        (home / "embeddings" / "quietnan").iterdir()
    )
    assert (home / "scores" / "naive_torch" / "mini_tones.json").exists()  # others still scored
    assert "Traceback" not in out.stderr


def test_a_failed_blocking_check_keeps_the_pair_from_launching(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.unit.test_importer import hear_task

    task = hear_task(tmp_path / "hear")
    (task / "train.json").write_text(json.dumps({f"train{i}.wav": ["0"] for i in range(4)}))
    assert cli(env, "tasks", "add", str(task)).returncode == 0
    args = ["run", "--tasks", "toy-v1-full", "--models", "naive_torch"]
    first = cli(env, *args)
    assert first.returncode == 1
    assert "task_splits_labels_known" in first.stderr
    second = cli(env, *args)
    assert second.returncode == 1
    assert "not launched: blocking check failed" in second.stderr
    assert not (tmp_path / "data" / "embeddings" / "naive_torch" / "toy-v1-full").exists()
