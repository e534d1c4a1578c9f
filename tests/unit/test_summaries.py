"""Label histograms, clip durations, confusion matrices and validation curves, worked by hand."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from hear_assets.lib.report import summaries


def write_task(task_dir: Path, meta: dict, vocab: list[str], splits: dict[str, dict]) -> None:
    task_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "task_metadata.json").write_text(json.dumps(meta))
    pd.DataFrame({"idx": range(len(vocab)), "label": vocab}).to_csv(
        task_dir / "labelvocabulary.csv", index=False
    )
    for split, labels in splits.items():
        (task_dir / f"{split}.json").write_text(json.dumps(labels))


def write_predictions(pred_dir: Path, name: str, vocab: list[str], rows: dict) -> None:
    pred_dir.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(list(rows.values()), columns=vocab)
    table.insert(0, "filename", list(rows))
    table.to_csv(pred_dir / name, index=False)


SCENE = {"task_type": "scene", "prediction_type": "multiclass", "split_mode": "trainvaltest"}


def test_confusion_matrix_counts_argmax_against_the_truth(tmp_path: Path) -> None:
    vocab = ["cat", "dog", "owl"]
    task, pred = tmp_path / "task", tmp_path / "pred"
    truth = {"1.wav": ["cat"], "2.wav": ["cat"], "3.wav": ["dog"], "4.wav": ["owl"]}
    write_task(task, {**SCENE, "splits": ["train", "valid", "test"]}, vocab, {"test": truth})
    write_predictions(
        pred,
        "predicted-test.csv",
        vocab,
        {
            "1.wav": [0.7, 0.2, 0.1],  # cat -> cat
            "2.wav": [0.1, 0.6, 0.3],  # cat -> dog
            "3.wav": [0.2, 0.5, 0.3],  # dog -> dog
            "4.wav": [0.5, 0.1, 0.4],  # owl -> cat
        },
    )
    labels, counts = summaries.confusion_matrix(task, pred)
    assert labels == vocab
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 0]])
    md = summaries.confusion_markdown(labels, counts)
    assert md.splitlines()[0] == "| true \\ predicted | cat | dog | owl |"
    assert "| **cat** | 1 | 1 | 0 |" in md


def test_k_fold_confusion_sums_the_folds(tmp_path: Path) -> None:
    vocab = ["a", "b"]
    task, pred = tmp_path / "task", tmp_path / "pred"
    meta = {**SCENE, "split_mode": "new_split_kfold", "splits": ["fold00", "fold01", "fold02"]}
    folds = {"fold00": {"x.wav": ["a"]}, "fold01": {"y.wav": ["a"]}, "fold02": {"z.wav": ["b"]}}
    write_task(task, meta, vocab, folds)
    write_predictions(pred, "predicted-fold00.csv", vocab, {"x.wav": [0.9, 0.1]})
    write_predictions(pred, "predicted-fold01.csv", vocab, {"y.wav": [0.2, 0.8]})
    write_predictions(pred, "predicted-fold02.csv", vocab, {"z.wav": [0.3, 0.7]})
    _, counts = summaries.confusion_matrix(task, pred)
    np.testing.assert_array_equal(counts, [[1, 1], [0, 1]])


def test_multilabel_tasks_have_no_confusion_matrix(tmp_path: Path) -> None:
    write_task(tmp_path, {**SCENE, "prediction_type": "multilabel", "splits": ["test"]}, ["a"], {})
    assert summaries.confusion_matrix(tmp_path, tmp_path) is None


def test_large_confusion_keeps_the_most_frequent_labels_and_sums_the_rest() -> None:
    labels = ["a", "b", "c", "d"]
    counts = np.array([[5, 1, 0, 0], [0, 1, 0, 0], [0, 0, 3, 1], [1, 0, 0, 0]])
    md = summaries.confusion_markdown(labels, counts, limit=2)
    lines = md.splitlines()
    assert lines[0] == "| true \\ predicted | a | c | (other) |"
    assert lines[2:5] == [
        "| **a** | 5 | 0 | 1 |",
        "| **c** | 0 | 3 | 1 |",
        "| **(other)** | 1 | 0 | 1 |",
    ]
    assert "2 of 4 labels shown" in md


def test_label_counts_per_task_type(tmp_path: Path) -> None:
    scene = tmp_path / "scene"
    write_task(
        scene,
        {**SCENE, "prediction_type": "multilabel", "splits": ["train", "test"]},
        ["x", "y"],
        {"train": {"1": ["x", "y"], "2": ["x"]}, "test": {"3": ["y"]}},
    )
    meta = json.loads((scene / "task_metadata.json").read_text())
    assert summaries.label_counts(scene, meta) == (
        "clips per label",
        {"train": {"x": 2, "y": 1}, "test": {"y": 1}},
    )
    event = tmp_path / "event"
    ev = {"1": [{"label": "beep", "start": 0, "end": 1}, {"label": "beep", "start": 2, "end": 3}]}
    write_task(event, {"task_type": "event", "splits": ["test"]}, ["beep"], {"test": ev})
    assert summaries.label_counts(event, {"task_type": "event", "splits": ["test"]}) == (
        "events per label",
        {"test": {"beep": 2}},
    )
    jnd = tmp_path / "jnd"
    jnd.mkdir()
    pd.DataFrame(
        {"filename1": ["a", "b", "c"], "filename2": ["d", "e", "f"], "label": [0, 1, 1]}
    ).to_csv(jnd / "test.csv", index=False)
    assert summaries.label_counts(jnd, {"task_type": "jnd", "splits": ["test"]}) == (
        "pairs per label",
        {"test": {"0": 1, "1": 2}},
    )
    rank = tmp_path / "rank"
    rank.mkdir()
    pd.DataFrame({"group": [0, 0, 1, 1], "filename": list("abcd"), "rank": [0, 1, 0, 1]}).to_csv(
        rank / "test.csv", index=False
    )
    assert summaries.label_counts(rank, {"task_type": "ranking", "splits": ["test"]}) == (
        "clips per rank",
        {"test": {"0": 2, "1": 2}},
    )


def test_counts_table_follows_the_vocabulary_and_sums_what_it_leaves_out() -> None:
    counts = {"train": {"b": 5, "a": 1, "c": 3}, "test": {"b": 1, "c": 2}}
    md = summaries.counts_markdown("clips per label", counts, ["a", "b", "c"], limit=2)
    assert md.splitlines()[2:] == [
        "| label | train | test |",
        "|---|---:|---:|",
        "| b | 5 | 1 |",
        "| c | 3 | 2 |",
        "| (other) | 1 | 0 |",
        "",
        "_2 most frequent of 3 values shown; the rest summed_",
    ]


def test_clip_durations_come_from_the_wav_headers(tmp_path: Path) -> None:
    (tmp_path / "16000" / "test").mkdir(parents=True)
    for name, seconds in (("a.wav", 0.5), ("b.wav", 1.5)):
        sf.write(tmp_path / "16000" / "test" / name, np.zeros(int(16000 * seconds)), 16000)
    (tmp_path / "test.json").write_text(json.dumps({"a.wav": [], "b.wav": []}))
    got = summaries.clip_durations(tmp_path, {"splits": ["test"]})
    assert got == {"test": {"clips": 2, "min_s": 0.5, "mean_s": 1.0, "max_s": 1.5, "total_s": 2.0}}
    assert "| test | 2 | 0.5 | 1 | 1.5 | 2 |" in summaries.durations_markdown(got)


def test_validation_curve_marks_the_chosen_point() -> None:
    probe = {
        "folds": {
            "test": {
                "hparams": {"C": 0.1},
                "curve": [{"C": 0.01, "valid_score": 0.5}, {"C": 0.1, "valid_score": 0.75}],
            }
        }
    }
    assert summaries.curve_markdown(probe).splitlines() == [
        "| test fold | C | valid score | chosen |",
        "|---|---:|---:|:-:|",
        "| test | 0.01 | 0.5 |  |",
        "| test | 0.1 | 0.75 | ✓ |",
    ]
    distance = {"folds": {"test": {"kind": "distance", "hparams": {"distance": "mean_abs"}}}}
    assert "no grid" in summaries.curve_markdown(distance)
