"""The HEAR validator's checks (hear-validator 2021.0.6) plus determinism and batch checks.

Works on any HEAR API module, PyTorch, JAX/Flax or NumPy, through ``runtime``. Every check
adds an error (the module breaks the API) or a warning (the validator only warns) to a report.
"""

from dataclasses import dataclass, field

import numpy as np

from hear_models.api import HEAR_SAMPLE_RATES
from hear_models.registry import ModelSpec
from hear_models.runtime import LoadedModel, open_model

TIMESTAMP_CLIP_SECONDS = (1.07, 1.98, 4.0)
SCENE_CLIP_SECONDS = 2.74


@dataclass
class Report:
    """What validation found."""

    module: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    framework: str = "unknown"
    sample_rate: int = 0

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.errors

    def text(self) -> str:
        """A readable multi-line report."""
        lines = [f"validating {self.module}"]
        lines += [f"  ok    {p}" for p in self.passed]
        lines += [f"  WARN  {w}" for w in self.warnings]
        lines += [f"  FAIL  {e}" for e in self.errors]
        lines.append("Looks good!" if self.ok else f"{len(self.errors)} check(s) failed")
        return "\n".join(lines)


def _noise(n_sounds: int, seconds: float, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((n_sounds, int(seconds * sr))) * 2 - 1).astype(np.float32)


def _check_timestamps(model: LoadedModel, rep: Report) -> None:
    sr, dim = model.sample_rate, model.timestamp_embedding_size
    for i, seconds in enumerate(TIMESTAMP_CLIP_SECONDS):
        emb, ts = model.timestamps(_noise(2, seconds, sr, i))
        where = f"timestamp embeddings of 2 clips of {seconds} s"
        if emb.dtype != np.float32:
            rep.errors.append(f"{where}: dtype {emb.dtype}, expected float32")
            return
        if emb.ndim != 3 or ts.ndim != 2 or emb.shape[0] != 2 or emb.shape[:2] != ts.shape:
            rep.errors.append(f"{where}: shapes {emb.shape} and {ts.shape} are inconsistent")
            return
        if emb.shape[2] != dim:
            rep.errors.append(f"{where}: width {emb.shape[2]}, declared {dim}")
            return
        if not np.isfinite(emb).all():
            rep.errors.append(f"{where}: NaN or inf in embeddings")
        if ts.shape[1] > 1:
            d = np.diff(ts)
            if np.abs(d - d.mean()).max() > 1.0:
                rep.errors.append(f"{where}: hop varies by more than 1 ms")
            if (d <= 0).any():
                rep.errors.append(f"{where}: timestamps are not increasing (they must be in ms)")
            if d.max() > 50.0:
                rep.warnings.append(f"{where}: hop {d.max():.1f} ms exceeds the suggested 50 ms")
            if ts.max() > 1000 * seconds:
                rep.errors.append(f"{where}: last timestamp {ts.max():.1f} ms is past the clip end")
            if ts.min() > d.mean():
                rep.warnings.append(f"{where}: first timestamp {ts.min():.1f} ms is late")
            # The original validator only warns here; timestamps that stop far short of the
            # clip's end are almost always seconds where milliseconds are due.
            if ts.max() < 1000 * seconds - max(50.0, 2 * float(d.mean())):
                rep.errors.append(
                    f"{where}: timestamps end at {ts.max():.3f} for a {1000 * seconds:.0f} ms "
                    "clip; timestamps must be window centres in ms"
                )
        emb2, ts2 = model.timestamps(_noise(2, seconds, sr, i))
        if not (np.array_equal(emb, emb2) and np.array_equal(ts, ts2)):
            rep.errors.append(f"{where}: two identical calls gave different outputs")
    if not any(e.startswith("timestamp embeddings") for e in rep.errors):
        rep.passed.append("timestamp embeddings: dtype, shapes, ms timestamps, hop, determinism")


def _check_scene(model: LoadedModel, rep: Report) -> None:
    audio = _noise(4, SCENE_CLIP_SECONDS, model.sample_rate, 7)
    emb = model.scene(audio)
    if emb.dtype != np.float32:
        rep.errors.append(f"scene embeddings: dtype {emb.dtype}, expected float32")
        return
    if emb.shape != (4, model.scene_embedding_size):
        rep.errors.append(
            f"scene embeddings: shape {emb.shape}, expected (4, {model.scene_embedding_size})"
        )
        return
    if not np.isfinite(emb).all():
        rep.errors.append("scene embeddings: NaN or inf in embeddings")
        return
    single = np.concatenate([model.scene(audio[i : i + 1]) for i in range(4)])
    if not np.allclose(emb, single, rtol=1e-4, atol=1e-5):
        rep.errors.append("scene embeddings: a clip's embedding depends on the rest of its batch")
        return
    rep.passed.append("scene embeddings: dtype, shape, finite, batch independence")


def validate(spec: ModelSpec, device: str = "cpu") -> Report:
    """Run every check on ``spec``'s module; exceptions inside a check become errors."""
    rep = Report(spec.module)
    try:
        with open_model(spec, device) as model:
            rep.passed.append(f"load_model: {type(model.model).__name__} ({model.framework})")
            rep.framework, rep.sample_rate = model.framework, model.sample_rate
            if model.sample_rate not in HEAR_SAMPLE_RATES:
                rep.errors.append(f"sample_rate {model.sample_rate} not in {HEAR_SAMPLE_RATES}")
                return rep
            rep.passed.append(
                f"attributes: sample_rate {model.sample_rate}, scene "
                f"{model.scene_embedding_size}, timestamp {model.timestamp_embedding_size}"
            )
            for check in (_check_timestamps, _check_scene):
                try:
                    check(model, rep)
                except Exception as exc:
                    rep.errors.append(f"{check.__name__[7:]}: raised {type(exc).__name__}: {exc}")
    except Exception as exc:
        rep.errors.append(f"load: {type(exc).__name__}: {exc}")
    return rep
