"""``make readme``: the README's demo leaderboard, generated from a fresh ``make demo``.

Also builds that demo's static site (``hear-assets site``) and writes the README's screenshot
of it, ``docs/img/site-index.png``, with headless Chromium (skipped, with a line, without it).

Runs ``hear-assets run`` (what ``make demo`` runs) in an empty HEAR_HOME and DAGSTER_HOME and
writes the leaderboard it prints between the README's markers, so a reader sees exactly what
the demo will print. ``--from FILE`` takes a demo's saved stdout instead (``make bench`` passes
its own). ``--check FILE`` only compares. The block is the table part of the output, verbatim,
with the CPU it was made on: the trained models' scores depend on the floating-point kernels a
CPU runs, so the README's numbers are exact for that CPU.
"""

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN = "<!-- demo-leaderboard: written by `make readme` from a fresh `make demo`; do not edit -->"
END = "<!-- /demo-leaderboard -->"
ON = "<!-- made on: {} -->"
SCREENSHOT = ROOT / "docs" / "img" / "site-index.png"
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")


def cpu_signature() -> str:
    """This machine's CPU model, the vector extensions its kernels may use, and its cores."""
    model, flags = "unknown CPU", set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown CPU":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    vector = " ".join(f for f in CPU_FLAGS if f in flags) or "no AVX2"
    return f"{model}, {vector}, {os.cpu_count()} cores"


def table_of(demo_stdout: str) -> str:
    """The leaderboard table of a demo's stdout: from the header line (``model`` first) on."""
    lines = demo_stdout.rstrip("\n").splitlines()
    for i, line in enumerate(lines):
        if line.split()[:1] == ["model"]:
            return "\n".join(lines[i:])
    raise SystemExit("no leaderboard (a line starting with 'model') in the demo's output")


def _inner(readme: str) -> list[str]:
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README.md has no '{BEGIN}' ... '{END}' block")
    return readme.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n").splitlines()


def block_of(readme: str) -> str:
    """The table between the markers (without the code fence and the CPU line)."""
    lines = [line for line in _inner(readme) if not line.startswith("<!--")]
    return "\n".join(lines).removeprefix("```\n").removesuffix("\n```")


def made_on(readme: str) -> str:
    """The CPU the README's block was made on ('' if it does not say)."""
    prefix, suffix = ON.split("{}")
    for line in _inner(readme):
        if line.startswith(prefix) and line.endswith(suffix):
            return line[len(prefix) : -len(suffix)]
    return ""


def splice(readme: str, table: str, cpu: str) -> str:
    """``readme`` with the block replaced by ``table``, made on ``cpu``."""
    head, rest = readme.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n{ON.format(cpu)}\n```\n{table}\n```\n{END}{tail}"


def run_demo() -> str:
    """stdout of ``hear-assets run`` in a throwaway HEAR_HOME and DAGSTER_HOME."""
    with tempfile.TemporaryDirectory(prefix="hear-readme-") as tmp:
        env = dict(
            os.environ,
            HEAR_HOME=str(Path(tmp) / "data"),
            DAGSTER_HOME=str(Path(tmp) / "dagster_home"),
            JAX_PLATFORMS="cpu",
        )
        Path(env["DAGSTER_HOME"]).mkdir()
        cmd = [str(Path(sys.executable).parent / "hear-assets"), "run"]
        out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-3000:])
            raise SystemExit("the demo failed; README.md left as it was")
        screenshot_site(env, Path(tmp))
        return out.stdout


def screenshot_site(env: dict[str, str], tmp: Path) -> None:
    """The demo's static site, its index page captured into ``SCREENSHOT``."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium: the site screenshot is left as it was")
        return
    site = tmp / "site"
    cmd = [str(Path(sys.executable).parent / "hear-assets"), "site", str(site)]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp / 'chrome'}", "--window-size=1280,900"]  # fmt: skip
    shot = tmp / "site.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", (site / "index.html").as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.copyfile(shot, SCREENSHOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="a demo's saved stdout")
    parser.add_argument("--check", type=Path, help="compare with this demo stdout; write nothing")
    args = parser.parse_args()
    readme = README.read_text()
    if args.check:
        same = block_of(readme) == table_of(args.check.read_text())
        print("README leaderboard matches the demo" if same else "README leaderboard differs")
        raise SystemExit(0 if same else 1)
    table = table_of(args.source.read_text() if args.source else run_demo())
    # re-read: edits made to the README while the demo ran are kept
    README.write_text(splice(README.read_text(), table, cpu_signature()))
    print(table)


if __name__ == "__main__":
    main()
