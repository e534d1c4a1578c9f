"""Learned models train deterministically on CPU and learn an easy task."""

from itertools import pairwise

import numpy as np

from hear_models.flax_models import multitask
from hear_models.torch_models import learned_conv


def toy_set(seed: int, n: int = 24) -> dict:
    """Low versus high tones, 0.5 s at 16 kHz: trivially separable."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    t = np.arange(8000) / 16000
    audio = np.stack(
        [
            0.3 * np.sin(2 * np.pi * (300 if lab else 2000) * t) + rng.normal(0, 0.01, len(t))
            for lab in labels
        ]
    ).astype(np.float32)
    return {"audio": audio, "kind": "multiclass", "y": np.eye(2, dtype=np.float32)[labels]}


def test_learned_conv_is_deterministic_and_learns() -> None:
    a, curve_a = learned_conv.train(toy_set(0), toy_set(1), max_epochs=5)
    b, curve_b = learned_conv.train(toy_set(0), toy_set(1), max_epochs=5)
    assert curve_a == curve_b
    for key, value in a["encoder"].items():
        np.testing.assert_array_equal(value.numpy(), b["encoder"][key].numpy())
    # It learns: five epochs (patience 4 cannot stop it earlier), the training loss falls at
    # every epoch and by a clear margin, and the validation loss ends below where it began.
    train_loss = [p["train_loss"] for p in curve_a]
    assert len(curve_a) == 5
    assert all(b < a for a, b in pairwise(train_loss))
    assert train_loss[-1] < train_loss[0] - 0.05
    assert min(p["valid_loss"] for p in curve_a[1:]) < curve_a[0]["valid_loss"]


def test_multitask_trains_heads_for_every_task_deterministically() -> None:
    sets = {"one": (toy_set(0), toy_set(1)), "two": (toy_set(2, 16), toy_set(3, 8))}
    a, curve_a = multitask.train(sets, max_epochs=2)
    b, curve_b = multitask.train(sets, max_epochs=2)
    assert curve_a == curve_b
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert {"mel_mean", "mel_std"} <= set(a)
