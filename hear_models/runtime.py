"""Any HEAR module as numpy in, numpy out: framework conversion, device, no-grad, release."""

import gc
import hashlib
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from hear_models.api import ModelContractError, check_sample_rate
from hear_models.registry import ModelSpec, import_module

log = logging.getLogger(__name__)


def _is_torch(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def detect_framework(model: Any, declared: str) -> str:
    """``torch`` for a torch Module, ``jax`` for a model holding JAX arrays or Flax modules,
    else the declared framework (``numpy`` when unknown)."""
    if _is_torch(model):
        return "torch"
    jax = sys.modules.get("jax")
    if jax is not None:
        values = list(vars(model).values()) if hasattr(model, "__dict__") else []
        leaves = [leaf for v in values for leaf in jax.tree_util.tree_leaves(v)]
        if any(isinstance(leaf, jax.Array) for leaf in leaves):
            return "jax"
    if type(model).__module__.split(".")[0] in ("flax", "jax"):
        return "jax"
    return declared if declared not in ("", "unknown") else "numpy"


def to_numpy(x: Any) -> np.ndarray:
    """A torch tensor, JAX array or array-like as a numpy array (on the host)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@dataclass
class LoadedModel:
    """A loaded HEAR model with numpy-facing embedding calls."""

    name: str
    module: ModuleType
    model: Any
    framework: str
    device: str

    @property
    def sample_rate(self) -> int:
        """The model's input sample rate."""
        return int(self.model.sample_rate)

    @property
    def scene_embedding_size(self) -> int:
        """Declared scene embedding size."""
        return int(self.model.scene_embedding_size)

    @property
    def timestamp_embedding_size(self) -> int:
        """Declared timestamp embedding size."""
        return int(self.model.timestamp_embedding_size)

    def _audio(self, audio: np.ndarray) -> Any:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        if self.framework == "torch":
            import torch

            return torch.from_numpy(audio).to(self.device)
        return audio

    def scene(self, audio: np.ndarray) -> np.ndarray:
        """``(n, samples)`` float32 → ``(n, scene_embedding_size)`` numpy (unchecked)."""
        with self._no_grad():
            return to_numpy(self.module.get_scene_embeddings(self._audio(audio), self.model))

    def timestamps(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, samples)`` → ``(n, T, d)`` embeddings and ``(n, T)`` ms timestamps (unchecked)."""
        with self._no_grad():
            emb, ts = self.module.get_timestamp_embeddings(self._audio(audio), self.model)
            return to_numpy(emb), to_numpy(ts)

    @property
    def has_layers(self) -> bool:
        """Whether the module returns every hidden layer (``get_layer_*_embeddings``)."""
        return callable(getattr(self.module, "get_layer_scene_embeddings", None))

    def layer_scene(self, audio: np.ndarray) -> np.ndarray:
        """``(n, samples)`` → ``(n_hidden, n, d)``: every hidden layer's scene embeddings."""
        with self._no_grad():
            return to_numpy(self.module.get_layer_scene_embeddings(self._audio(audio), self.model))

    def layer_timestamps(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, samples)`` → ``(n_hidden, n, T, d)`` and ``(n, T)`` ms timestamps."""
        with self._no_grad():
            emb, ts = self.module.get_layer_timestamp_embeddings(self._audio(audio), self.model)
            return to_numpy(emb), to_numpy(ts)

    def weights_sha256(self) -> str:
        """sha256 of the model's weight files where the model names it, else over its
        parameters (torch state dict or JAX/Flax variables)."""
        declared = getattr(self.model, "weights_file_sha256", "")
        if declared:
            return str(declared)
        h = hashlib.sha256()
        if self.framework == "torch":
            for key, tensor in sorted(self.model.state_dict().items()):
                h.update(key.encode())
                h.update(np.ascontiguousarray(to_numpy(tensor)).tobytes())
            return h.hexdigest()
        variables = getattr(self.model, "variables", None) or getattr(self.model, "params", None)
        if variables is None:
            return ""
        import jax

        for path, leaf in sorted(
            jax.tree_util.tree_leaves_with_path(variables), key=lambda kv: str(kv[0])
        ):
            h.update(str(path).encode())
            h.update(np.ascontiguousarray(to_numpy(leaf)).tobytes())
        return h.hexdigest()

    @contextmanager
    def _no_grad(self) -> Iterator[None]:
        if self.framework == "torch":
            import torch

            with torch.no_grad():
                yield
        else:
            yield


_frozen = False


def release_cycles() -> None:
    """Free a released model's reference cycles now (a model held by a cycle would otherwise
    stay until the collector's next full pass, beside the next model).

    A full collection traverses every object of the process: 0.3 s once torch, JAX and Dagster
    are loaded, paid by every embeddings step. So the first call also freezes what survives it
    (``gc.freeze``: imported modules, framework state; objects still alive, which the collector
    then skips), and later calls traverse only what was allocated since: a few milliseconds.
    """
    global _frozen
    gc.collect()
    if not _frozen:
        gc.freeze()
        _frozen = True


@contextmanager
def open_model(spec: ModelSpec, device: str = "cpu") -> Iterator[LoadedModel]:
    """Load ``spec``'s module and model on ``device``; release it (and GPU memory) on exit."""
    module = import_module(spec.module)
    try:
        model = (
            module.load_model(spec.weights, **spec.options)
            if (spec.weights or spec.options)
            else module.load_model()
        )
    except Exception as exc:
        raise ModelContractError(f"model {spec.name}: load_model failed: {exc}") from exc
    for attr in ("sample_rate", "scene_embedding_size", "timestamp_embedding_size"):
        if not isinstance(getattr(model, attr, None), int):
            raise ModelContractError(f"model {spec.name}: attribute {attr} missing or not an int")
    check_sample_rate(model.sample_rate, f"model {spec.name}")
    framework = detect_framework(model, spec.framework)
    if framework == "torch":
        model = model.to(device).eval()
    loaded = LoadedModel(spec.name, module, model, framework, device)
    try:
        yield loaded
    finally:
        del loaded.model, model
        release_cycles()
        if framework == "torch" and device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()


def count_parameters(loaded: LoadedModel) -> int:
    """Trainable and frozen parameters of a torch or JAX/Flax model (0 if unknown)."""
    if loaded.framework == "torch":
        return int(sum(p.numel() for p in loaded.model.parameters()))
    variables = getattr(loaded.model, "variables", None) or getattr(loaded.model, "params", None)
    if variables is None:
        return 0
    if isinstance(variables, dict) and "params" in variables:
        variables = variables["params"]  # not batch statistics or constants
    import jax

    return int(sum(np.size(leaf) for leaf in jax.tree_util.tree_leaves(variables)))


def model_card(spec: ModelSpec, loaded: LoadedModel) -> dict[str, Any]:
    """What a loaded model is: size, shapes, frame hop, rate, framework, licence, source and
    weights digest (the ``card`` of ``models list --json`` and the scores json)."""
    _, ts = loaded.timestamps(np.zeros((1, loaded.sample_rate), np.float32))
    hop = float(np.mean(np.diff(ts[0]))) if ts.shape[1] > 1 else float("nan")
    ours = spec.family in ("naive", "learned", "multitask")  # built here, no outside weights
    return {
        "params": count_parameters(loaded),
        "scene_embedding_size": loaded.scene_embedding_size,
        "timestamp_embedding_size": loaded.timestamp_embedding_size,
        "hop_ms": round(hop, 3),
        "sample_rate": loaded.sample_rate,
        "framework": loaded.framework,
        "licence": spec.licence or ("Apache-2.0 (hear-dagster)" if ours else "unknown"),
        "source": spec.source or f"module:{spec.module}",
        "weights_sha256": loaded.weights_sha256(),
        **({"layers": list(spec.layers)} if spec.layers else {}),
    }
