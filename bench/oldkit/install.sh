#!/usr/bin/env bash
# Builds bench/.oldkit: a separate venv holding the original HEAR kit, for `make bench`.
# Idempotent: a finished venv has a stamp and is left alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${OLDKIT_VENV:-$here/../.oldkit}"
stamp="$venv/.installed-stamp"
[[ -f "$stamp" && "$stamp" -nt "$here/requirements.txt" ]] && exit 0
python3 -m venv "$venv"
pip=("$venv/bin/pip" install --disable-pip-version-check -q)
"${pip[@]}" torch==2.13.0
"${pip[@]}" -r "$here/requirements.txt" torch==2.13.0
"${pip[@]}" --no-deps --ignore-requires-python \
    heareval==2021.1.3 hearbaseline==2021.1.1 hearvalidator==2021.0.6
TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 "$venv/bin/python" -c \
    "import heareval.score, heareval.predictions.task_predictions, heareval.embeddings.task_embeddings"
touch "$stamp"
