"""hear_assets.lib's packages import one way: store ← tasks ← embedding ← evaluation ← report ←
grid (a package may import its own modules and those of lower layers, never higher ones), and
none of them imports Dagster."""

import ast
from pathlib import Path

from tests.helpers import PROJECT

LAYERS = ["store", "tasks", "embedding", "evaluation", "report", "grid"]
LIB = PROJECT / "hear_assets" / "lib"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["hear_assets", "lib"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in LAYERS else None


def test_every_lib_module_sits_in_a_layer() -> None:
    loose = [p.name for p in LIB.glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert sorted(
        p.name for p in LIB.iterdir() if p.is_dir() and p.name != "__pycache__"
    ) == sorted(LAYERS)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for path in sorted(LIB.rglob("*.py")):
        own = path.relative_to(LIB).parts[0]
        for module in imported_modules(path):
            target = layer_of(module)
            if target is not None and LAYERS.index(target) > LAYERS.index(own):
                wrong.append(f"{path.relative_to(PROJECT)} ({own}) imports {module} ({target})")
            if module.split(".")[0] in ("dagster", "hear_assets") and not module.startswith(
                "hear_assets.lib"
            ):
                wrong.append(f"{path.relative_to(PROJECT)} imports {module}")
    assert wrong == []
