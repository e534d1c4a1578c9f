"""The embeddings stage reads the next batch in a background thread while the model runs."""

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hear_assets.lib.embedding import embed


def test_items_arrive_in_order_and_errors_where_they_happened() -> None:
    def items():
        yield from range(5)
        raise ValueError("clip 5 is broken")

    got: list[int] = []
    with pytest.raises(ValueError, match="clip 5"):
        got.extend(embed.prefetched(items()))
    assert got == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    made = []

    def items():
        for i in range(1000):
            made.append(i)
            yield i

    for item in embed.prefetched(items(), depth=2):
        if item == 3:
            break
    assert len(made) <= 3 + 2 + 2  # what was consumed, the queue, one blocked in put
    assert not [t for t in threading.enumerate() if t.name == "hear-prefetch"]


def test_each_clip_is_read_once_across_length_changes(tmp_path: Path, monkeypatch) -> None:
    lengths = [800, 800, 1200, 800, 1200, 1200]
    files = []
    for i, n in enumerate(lengths):
        sf.write(tmp_path / f"{i}.wav", np.zeros(n), 16000, subtype="PCM_16")
        files.append(f"{i}.wav")
    reads = []
    real = embed.load_wav
    monkeypatch.setattr(embed, "load_wav", lambda p, sr: reads.append(p.name) or real(p, sr))
    batches = list(embed._batches(files, tmp_path, 16000))
    assert [names for names, _ in batches] == [
        ["0.wav", "1.wav"],
        ["2.wav"],
        ["3.wav"],
        ["4.wav", "5.wav"],
    ]
    assert [a.shape for _, a in batches] == [(2, 800), (1, 1200), (1, 800), (2, 1200)]
    assert sorted(reads) == sorted(files)


def test_reading_ahead_starts_once_the_model_is_slower_than_the_reads() -> None:
    timing: dict[str, float] = {}
    threads = []
    for i in embed.read_ahead_when_slow(iter(range(6)), timing):
        threads.append(any(t.name == "hear-prefetch" for t in threading.enumerate()))
        timing["forward"] = 0.0 if i < 2 else 1.0  # the model turns slow at item 2
    # (the reading thread ends once it has queued the last item: look at item 3)
    assert threads[:4] == [False, False, False, True]
