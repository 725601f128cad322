"""Recipe mistakes found before anything is sent: one message naming the recipe key.

Pydantic already refuses unknown keys and wrong types; these are the mistakes that only
show when the run reaches the stage that needs the setting, which would be after the
domains were already sent.
"""

import importlib.util
import os
from pathlib import Path

from datahub.configuration.common import ConfigurationError

from datahub_mesh.config import DataHubMeshSourceConfig


def check_recipe(config: DataHubMeshSourceConfig) -> None:
    problems = _path(config) + _policy(config) + _quality(config)
    if problems:
        raise ConfigurationError("; ".join(problems))


def _path(config: DataHubMeshSourceConfig) -> list[str]:
    root = Path(config.path)
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        return [f"source.config.path: the mesh folder '{config.path}' {what} (relative paths start at {Path.cwd()})"]
    return []


def _policy(config: DataHubMeshSourceConfig) -> list[str]:
    policy = config.policy
    if policy.mode == "off":
        return []
    # with an OPA server too: its answers are checked against the areas the rego/ bundle defines
    problems = _opa_url(policy.opa_url) if policy.engine == "opa" else []
    return problems + _rego_dir(policy.rego_dir)


def _opa_url(url) -> list[str]:
    key = "source.config.policy.opa_url"
    if not url:
        return [f"{key}: policy.engine is 'opa' but no OPA server URL is set; set it (e.g. ${{OPA_URL}}) "
                "or use engine: embedded"]
    from datahub_mesh.policy.engines import parse_opa_url

    try:
        parse_opa_url(url)
    except Exception as e:
        return [f"{key}: {e}"]
    return []


def _rego_dir(rego_dir: str) -> list[str]:
    key = "source.config.policy.rego_dir"
    folder = Path(rego_dir)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return [f"{key}: the policy folder '{rego_dir}' {what} (relative paths start at {Path.cwd()})"]
    if not os.access(folder, os.R_OK | os.X_OK):
        return [f"{key}: the policy folder '{rego_dir}' cannot be read by this user"]
    try:
        policies = [p for p in folder.rglob("*.rego") if not p.name.endswith("_test.rego")]
    except OSError as e:
        return [f"{key}: the policy folder '{rego_dir}' cannot be read: {e.strerror}"]
    if not policies:
        return [f"{key}: no policy files (*.rego) in '{rego_dir}'"]
    unreadable = [str(p) for p in policies if not os.access(p, os.R_OK)]
    if unreadable:
        return [f"{key}: policy files cannot be read by this user: {', '.join(unreadable[:5])}"]
    return []


def _quality(config: DataHubMeshSourceConfig) -> list[str]:
    source = config.quality.data_source
    if not config.quality.enabled or not source:
        return []
    kind = str(source.get("type", ""))
    if not kind.isidentifier() or importlib.util.find_spec(f"soda.data_sources.{kind}_data_source") is None:
        return [f"source.config.quality.data_source.type: unknown Soda data source type '{kind}'; installed: "
                f"{', '.join(installed_data_sources()) or 'none'} (each type is its own package, "
                "e.g. soda-core-postgres==3.5.6 for type: postgres)"]
    return []


def installed_data_sources() -> list[str]:
    spec = importlib.util.find_spec("soda.data_sources")
    if spec is None or not spec.submodule_search_locations:
        return []
    names = set()
    for folder in spec.submodule_search_locations:
        names |= {p.name[: -len("_data_source.py")] for p in Path(folder).glob("*_data_source.py")
                  if not p.name.endswith("_contract_data_source.py")}
    return sorted(names)
