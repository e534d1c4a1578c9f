"""Importing HEAR 2021 task folders: every kind of bad input is refused, naming the file."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hear_assets.lib.grid.catalog import import_task
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.layout import Layout


def hear_task(root: Path, rate: int = 16000) -> Path:
    task = root / "toy-v1-full"
    for split, n in {"train": 4, "valid": 2, "test": 2}.items():
        (task / str(rate) / split).mkdir(parents=True)
        listing = {}
        for i in range(n):
            name = f"{split}{i}.wav"
            sf.write(task / str(rate) / split / name, np.zeros(rate // 4), rate, subtype="PCM_16")
            listing[name] = [str(i % 2)]
        (task / f"{split}.json").write_text(json.dumps(listing))
    (task / "labelvocabulary.csv").write_text("idx,label\n0,0\n1,1\n")
    (task / "task_metadata.json").write_text(
        json.dumps(
            {
                "task_name": "toy",
                "version": "v1",
                "embedding_type": "scene",
                "prediction_type": "multiclass",
                "sample_duration": 0.25,
                "evaluation": ["top1_acc"],
                "splits": ["train", "valid", "test"],
            }
        )
    )
    return task


def refused(task: Path, tmp_path: Path, *words: str) -> None:
    layout = Layout(tmp_path / "home")
    with pytest.raises(TaskDataError) as err:
        import_task(task, layout)
    for word in words:
        assert word in str(err.value)
    assert not (tmp_path / "home" / "raw").exists() or not any(
        (tmp_path / "home" / "raw").iterdir()
    )


def test_a_good_task_imports_once(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    layout = Layout(tmp_path / "home")
    spec, changed = import_task(task, layout)
    assert changed and spec.name == "toy-v1-full" and spec.params["present_rates"] == [16000]
    assert import_task(task, layout)[1] is False  # identical again: a no-op
    (task / "test.json").write_text(json.dumps({"test0.wav": ["1"], "test1.wav": ["1"]}))
    with pytest.raises(TaskDataError, match="taken"):
        import_task(task, layout)


def test_wrong_sample_rate_in_a_rate_folder(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    sf.write(task / "16000" / "valid" / "valid1.wav", np.zeros(2205), 22050, subtype="PCM_16")
    refused(task, tmp_path, "valid1.wav", "22050 Hz")


def test_stereo_file(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    sf.write(task / "16000" / "train" / "train2.wav", np.zeros((4000, 2)), 16000)
    refused(task, tmp_path, "train2.wav", "2 channel")


def test_truncated_wav(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    path = task / "16000" / "train" / "train1.wav"
    path.write_bytes(path.read_bytes()[:30])
    refused(task, tmp_path, "train1.wav")


def test_label_not_in_vocabulary(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    (task / "test.json").write_text(json.dumps({"test0.wav": ["7"], "test1.wav": ["1"]}))
    refused(task, tmp_path, "'7'", "test0.wav")


def test_listed_file_missing(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    (task / "16000" / "test" / "test1.wav").unlink()
    refused(task, tmp_path, "test1.wav")


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        ("evaluation", "top1_acc", "evaluation"),
        ("embedding_type", "frames", "embedding_type"),
        ("sample_duration", "long", "sample_duration"),
        ("splits", None, "splits"),
    ],
)
def test_metadata_fields_and_types(tmp_path: Path, field: str, value, word: str) -> None:
    task = hear_task(tmp_path)
    meta = json.loads((task / "task_metadata.json").read_text())
    if value is None:
        del meta[field]
    else:
        meta[field] = value
    (task / "task_metadata.json").write_text(json.dumps(meta))
    refused(task, tmp_path, word)


def test_a_wav_cut_mid_data_is_refused(tmp_path: Path) -> None:
    task = hear_task(tmp_path)
    path = task / "16000" / "valid" / "valid0.wav"  # 4000 frames declared
    path.write_bytes(path.read_bytes()[: 44 + 2 * 3000])
    refused(task, tmp_path, "valid0.wav", "declares 4000 frames", "holds 3000")


def test_pair_tasks_import_with_their_pairs_and_groups(tmp_path: Path) -> None:
    from tests.pairtasks import jnd_task, ranking_task

    layout = Layout(tmp_path / "home")
    jnd = jnd_task(tmp_path / "src", pairs=2, rates=(16000,))
    spec, _ = import_task(jnd, layout)
    assert (spec.task_type, spec.prediction_type) == ("jnd", "multiclass")  # none was given
    pairs = (tmp_path / "home" / "raw" / "pitch_jnd" / "pairs.csv").read_text().splitlines()
    assert pairs[0] == "filename1,filename2,label" and len(pairs) == 1 + 3 * 2
    rank = ranking_task(tmp_path / "src", groups=1, size=3, rates=(16000,))
    spec, _ = import_task(rank, layout)
    assert spec.task_type == "ranking" and spec.evaluation == ("spearman", "triplet_acc")
    groups = (tmp_path / "home" / "raw" / "pitch_rank" / "groups.csv").read_text().splitlines()
    assert groups[0] == "group,filename,rank" and len(groups) == 1 + 3 * 3


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda t: (t / "test.csv").unlink(), ["test.csv", "missing"]),
        (
            lambda t: (t / "test.csv").write_text("a,b,label\nx,y,1\n"),
            ["test.csv", "filename1,filename2,label"],
        ),
        (
            lambda t: (t / "test.csv").write_text(
                "filename1,filename2,label\ntest0a.wav,nope.wav,1\n"
            ),
            ["nope.wav", "not listed in test.json"],
        ),
        (
            lambda t: (t / "valid.csv").write_text(
                "filename1,filename2,label\nvalid0a.wav,valid0b.wav,2\n"
            ),
            ["valid.csv", "'2'", "0 or 1"],
        ),
    ],
)
def test_bad_pair_files_are_refused(tmp_path: Path, edit, words: list[str]) -> None:
    from tests.pairtasks import jnd_task

    task = jnd_task(tmp_path / "src", pairs=2, rates=(16000,))
    edit(task)
    refused(task, tmp_path, *words)


def test_the_originals_per_task_probe_settings_are_kept(tmp_path: Path) -> None:
    # MAESTRO's task_metadata.json: early stopping on the validation loss, 50 epochs.
    task = hear_task(tmp_path)
    meta = json.loads((task / "task_metadata.json").read_text())
    meta["use_scoring_for_early_stopping"] = False
    meta["evaluation_params"] = {
        "task_specific_param_grid": {"max_epochs": [50], "check_val_every_n_epoch": [1]}
    }
    (task / "task_metadata.json").write_text(json.dumps(meta))
    spec, _ = import_task(task, Layout(tmp_path / "home"))
    written = spec.metadata()
    assert written["use_scoring_for_early_stopping"] is False
    grid = written["evaluation_params"]["task_specific_param_grid"]
    assert grid == {"max_epochs": [50], "check_val_every_n_epoch": [1]}
    from hear_assets.lib.evaluation import probe

    points = probe.ProbeSettings(kind="hear").hear_points(written, None)
    assert {(p.max_epochs, p.check_val_every_n_epoch) for p in points} == {(50, 1)}
    # A task without them writes neither (its identity is unchanged).
    plain, _ = import_task(hear_task(tmp_path / "b"), Layout(tmp_path / "home2"))
    assert "use_scoring_for_early_stopping" not in plain.metadata()
    assert "evaluation_params" not in plain.metadata()
