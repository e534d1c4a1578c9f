
# hear-dagster: one Dagster instance for the CLI, the UI and runs (appended by the Makefile).
export DAGSTER_HOME="${DAGSTER_HOME:-@DAGSTER_HOME@}"
# The Dagster CLI ignores workspace.yaml for `dagster asset materialize`; this names the code.
export DAGSTER_MODULE_NAME=hear_assets.definitions
export XLA_PYTHON_CLIENT_PREALLOCATE=false
# `dagster dev` and `dagster-webserver` read workspace.yaml; DAGSTER_MODULE_NAME would clash
# with the workspace they pass to their own subprocesses, so those two run without it.
dagster() {
    if [ "${1:-}" = "dev" ]; then
        env -u DAGSTER_MODULE_NAME dagster "$@"
    else
        command dagster "$@"
    fi
}
dagster-webserver() {
    env -u DAGSTER_MODULE_NAME dagster-webserver "$@"
}
