"""Writes small outside HEAR API modules (NumPy) into a folder, for registration tests."""

from pathlib import Path

GOOD = '''"""A NumPy HEAR module: frame energies in 8 bands, 25 ms hop, 16 kHz."""
import numpy as np

class Model:
    sample_rate = 16000
    scene_embedding_size = 8
    timestamp_embedding_size = 8

def load_model(model_file_path=""):
    return Model()

def get_timestamp_embeddings(audio, model):
    audio = np.asarray(audio, dtype=np.float32)
    hop = 400
    n = audio.shape[1] // hop + 1
    padded = np.pad(audio, ((0, 0), (0, n * hop + 800 - audio.shape[1])))
    frames = np.stack([padded[:, i * hop:i * hop + 800] for i in range(n)], axis=1)
    spec = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
    bands = np.array_split(spec, 8, axis=-1)
    emb = np.log(np.stack([b.sum(-1) for b in bands], -1) + 1e-6).astype(np.float32)
    ts = np.tile(np.arange(n, dtype=np.float32) * 25.0, (audio.shape[0], 1))
    return emb, ts

def get_scene_embeddings(audio, model):
    emb, _ = get_timestamp_embeddings(audio, model)
    return emb.mean(axis=1)
'''

NAN = GOOD.replace("return emb.mean(axis=1)", "return emb.mean(axis=1) * np.nan")
WRONG_SHAPE = GOOD.replace("return emb.mean(axis=1)", "return emb.mean(axis=1)[:, :4]")
SECONDS = GOOD.replace("* 25.0", "* 0.025")


def write_module(folder: Path, name: str, source: str) -> str:
    """Write ``name.py`` into ``folder`` and return the module name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(source)
    return name


# Valid on the validator's noise, NaN on quiet clips (the tones tasks are quiet enough).
NAN_ON_QUIET = GOOD.replace(
    "    return emb.mean(axis=1)",
    "    out = emb.mean(axis=1)\n"
    "    out[np.abs(np.asarray(audio)).max(axis=1) < 0.9] = np.nan\n"
    "    return out",
)
