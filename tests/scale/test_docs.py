"""The deploy guide shows the PostgreSQL dagster.yaml the tests use, and its files parse."""

import re

import yaml

from tests.helpers import PROJECT

DOCS = PROJECT / "docs"


def test_the_guide_quotes_the_tested_postgres_yaml_verbatim() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / "deploy.md").read_text(), re.DOTALL)
    assert (DOCS / "dagster.postgres.yaml").read_text() in blocks


def test_the_postgres_yaml_is_valid_instance_config() -> None:
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    config = yaml.safe_load((DOCS / "dagster.postgres.yaml").read_text())
    assert validate_config(dagster_instance_config_schema(), config).success
    assert set(config["storage"]["postgres"]["postgres_db"]) == {
        "hostname",
        "port",
        "username",
        "password",
        "db_name",
    }


def test_the_helm_values_set_the_image_home_storage_and_launcher() -> None:
    values = yaml.safe_load((DOCS / "helm" / "values.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "hear_assets.definitions"]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    mounts = {m["name"]: m["mountPath"] for m in deployment["volumeMounts"]}
    assert env["HEAR_HOME"] == mounts["hear-home"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["postgresqlDatabase"] == "hear_dagster"
