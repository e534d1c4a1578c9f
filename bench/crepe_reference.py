"""Reference CREPE embeddings from the original ``hearbaseline.torchcrepe`` (HEAR 2021).

Installs ``hearbaseline`` and ``torchcrepe`` (both ``--no-deps``) into a temporary folder,
stands a stub in for ``torchaudio`` (torchcrepe imports it only for its file loader; no
release matches torch 2.13), embeds fixed clips with the original code and writes
``tests/fixtures/crepe_reference.npz``, which tests/models/test_crepe.py compares with
``hear_models.crepe`` / ``crepe_tiny`` (tolerance 1e-4). The original hard-codes the "full"
capacity; the tiny reference is the same code with ``model="tiny"``.

    python bench/crepe_reference.py [OUT.npz]
"""

import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "crepe_reference.npz"
PACKAGES = ("hearbaseline==2021.1.1", "torchcrepe==0.0.24")


def clips() -> np.ndarray:
    """Two 0.6 s clips at 16 kHz: a 220 Hz tone with a harmonic, and a chirp plus noise."""
    t = np.arange(9600) / 16000
    rng = np.random.default_rng(7)
    tone = 0.4 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 440 * t)
    chirp = 0.3 * np.sin(2 * np.pi * (300 + 400 * t) * t) + 0.02 * rng.standard_normal(t.size)
    return np.stack([tone, chirp]).astype(np.float32)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    with tempfile.TemporaryDirectory() as target:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--target",
                target,
                *PACKAGES,
            ],
            check=True,
        )
        sys.path.insert(0, target)
        sys.modules["torchaudio"] = types.ModuleType("torchaudio")  # file loader only
        import torch
        import torchcrepe
        from hearbaseline import torchcrepe as original

        audio = torch.from_numpy(clips())
        model = original.load_model()
        ts_emb, ts = original.get_timestamp_embeddings(audio, model)
        scene = original.get_scene_embeddings(audio, model)
        # tiny: the original's code path with the tiny capacity
        torchcrepe.load.model("cpu", "tiny")
        torch.set_grad_enabled(False)

        def tiny(hop: int) -> torch.Tensor:
            """The original's per-clip loop (``embed``, batch 512) with ``model="tiny"``."""
            return torch.cat(
                [
                    torchcrepe.embed(
                        audio[i : i + 1], 16000, hop, model="tiny", pad=True, batch_size=512
                    ).reshape(1, -1, 256)
                    for i in range(len(audio))
                ]
            )

        tiny_ts = tiny(original.TIMESTAMP_HOP_SIZE_SAMPLES)
        tiny_scene = tiny(original.SCENE_HOP_SIZE_SAMPLES).mean(dim=1)
    np.savez_compressed(
        out,
        audio=audio.numpy(),
        full_timestamp=ts_emb.numpy(),
        full_timestamps_ms=ts.numpy().astype(np.float32),
        full_scene=scene.numpy(),
        tiny_timestamp=tiny_ts.numpy(),
        tiny_scene=tiny_scene.numpy(),
    )
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
