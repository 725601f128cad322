"""Checks on the Docker Compose setup in docker/ that need no Docker engine.

The compose files are read with PyYAML; the Rego files under docker/ are compiled
and evaluated with regorus (Rego v1). When the OPA engine bindings
(opa-golib-python-bindings) are installed, the bundle exactly as opa.yml mounts it
is compiled and queried in OPA itself. When the `docker-compose` binary is on PATH,
`docker-compose config` validates and resolves the files as Compose would; CI has
to install it (`apt-get install -y docker-compose`) for those checks to run.
"""

import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
FULL_COMPOSE = DOCKER / "docker-compose.yml"
OPA_COMPOSE = DOCKER / "opa.yml"
OPA_CONFIG = DOCKER / "opa-config.yaml"
MASK_POLICY = DOCKER / "opa-system" / "log" / "mask.rego"
AUTHZ_POLICY = DOCKER / "opa-system" / "authz" / "authz.rego"
GOVERNANCE_DATA = DOCKER / "governance-data" / "governance" / "data.json"
GEN_ENV = DOCKER / "gen-env.sh"
ENV_EXAMPLE = DOCKER / ".env.example"
README = DOCKER / "README.md"

CONTACT_POINTER = "/input/product/owner/contact"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}")


def interpolate(text: str, env: dict[str, str] | None = None) -> str:
    """Compose-style interpolation; unset variables take their defaults."""
    env = env or {}

    def replace(match: "re.Match[str]") -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op in (":-", ":?") and value == "":
            value = None
        if value is not None:
            return value
        if op in (":-", "-"):
            return interpolate(arg, env)
        if op in (":?", "?"):
            raise KeyError(f"${{{name}}} is required: {arg}")
        return ""

    return _VAR.sub(replace, text).replace("$$", "$")


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


def services(path: Path) -> dict[str, dict]:
    return load(path)["services"]


def opa_service() -> dict:
    """The opa service as docker-compose.yml ends up with it (through extends)."""
    full = services(FULL_COMPOSE)["opa"]
    extends = full.get("extends")
    if not extends:
        return full
    base = services((DOCKER / extends["file"]).resolve())[extends["service"]]
    return {**base, **{k: v for k, v in full.items() if k != "extends"}}


def all_services() -> Iterator[tuple[str, dict]]:
    for name, service in services(FULL_COMPOSE).items():
        yield name, opa_service() if name == "opa" else service


def bind_mounts(service: dict) -> list[tuple[Path, str, bool]]:
    """(host path, container path, read-only) for each bind mount."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") != "bind":
                continue
            source, target, read_only = volume["source"], volume["target"], bool(volume.get("read_only"))
        else:
            parts = interpolate(volume).split(":")
            if len(parts) < 2 or not parts[0].startswith((".", "/", "~")):
                continue  # a named volume
            source, target = parts[0], parts[1]
            read_only = len(parts) > 2 and "ro" in parts[2].split(",")
        mounts.append(((DOCKER / source).resolve(), target, read_only))
    return mounts


def opa_command() -> list[str]:
    command = opa_service()["command"]
    if isinstance(command, str):
        command = command.split()
    return [interpolate(str(arg)) for arg in command]


def bundle_paths(command: list[str]) -> list[str]:
    """Paths `opa run --bundle` loads: the positional arguments after `run`."""
    assert "--bundle" in command or "-b" in command, f"OPA is not started with --bundle: {command}"
    return [arg for arg in command[1:] if not arg.startswith("-")]


def flag_value(command: list[str], flag: str) -> str | None:
    for index, arg in enumerate(command):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and index + 1 < len(command):
            return command[index + 1]
    return None


def is_under(path: str, root: str) -> bool:
    path_p, root_p = PurePosixPath(path), PurePosixPath(root)
    return path_p == root_p or root_p in path_p.parents


def mount_for(host: Path) -> tuple[Path, str, bool]:
    for mount in bind_mounts(opa_service()):
        if mount[0] == host.resolve():
            return mount
    raise AssertionError(f"{host} is not mounted into the opa service")


def published_container_ports(service: dict) -> list[int]:
    ports = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.append(int(entry["target"]))
        else:
            ports.append(int(interpolate(str(entry)).split(":")[-1].split("/")[0]))
    return ports


def regorus_engine():
    import regorus
    return regorus.Engine()


def evaluate(engine, query: str):
    results = engine.eval_query(query)["result"]
    return results[0]["expressions"][0]["value"] if results else None


def erase(document: dict, pointer: str) -> None:
    """Remove the value at a JSON pointer, as OPA does with a mask decision."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
    node = document
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict):
        node.pop(last, None)


# --- images -------------------------------------------------------------------------------


def test_compose_files_are_yaml_mappings_with_services():
    for path in (FULL_COMPOSE, OPA_COMPOSE):
        assert load(path)["services"], f"{path} defines no services"


def test_every_image_is_pinned_to_a_tag():
    for name, service in all_services():
        image = service.get("image")
        assert image, f"service {name} has no image"
        resolved = interpolate(image)
        repository, _, tag = resolved.rpartition(":")
        assert repository and "/" not in tag, f"service {name}: image {resolved!r} has no tag"
        assert tag and tag != "latest", f"service {name}: image {resolved!r} is not pinned"
        assert not tag.endswith(("-latest", "head", "edge")), f"service {name}: {resolved!r} floats"


def test_datahub_images_share_one_version():
    tags = {
        interpolate(service["image"]).rpartition(":")[2]
        for name, service in all_services()
        if service["image"].startswith("acryldata/")
    }
    assert len(tags) == 1, f"DataHub images run different versions: {tags}"
    (tag,) = tags
    assert re.fullmatch(r"v1\.\d+\.\d+(\.\d+)?", tag), f"DataHub version {tag} is not a 1.x release"
    example = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    assert example.get("DATAHUB_VERSION") == tag, ".env.example and docker-compose.yml disagree on DATAHUB_VERSION"


def test_opa_image_is_a_1x_release():
    image = interpolate(opa_service()["image"])
    assert re.fullmatch(r"openpolicyagent/opa:1\.\d+\.\d+(-static)?", image), image


# --- OPA service --------------------------------------------------------------------------


def test_full_compose_reuses_the_opa_service_from_opa_yml():
    extends = services(FULL_COMPOSE)["opa"].get("extends")
    assert extends == {"file": "opa.yml", "service": "opa"}


def test_opa_runs_as_a_server_on_8181():
    command = opa_command()
    assert command[0] == "run"
    assert "--server" in command or "-s" in command
    assert flag_value(command, "--addr") == "0.0.0.0:8181"
    assert 8181 in published_container_ports(opa_service())


def test_opa_loads_the_config_file_that_is_mounted():
    config_path = flag_value(opa_command(), "--config-file")
    assert config_path, "OPA is not given --config-file"
    host, target, read_only = mount_for(OPA_CONFIG)
    assert target == config_path
    assert read_only


def test_opa_loads_rego_as_part_of_the_bundle():
    command = opa_command()
    paths = bundle_paths(command)
    host, target, read_only = mount_for(REPO / "rego")
    assert read_only, "rego/ must be mounted read-only"
    assert any(is_under(target, path) for path in paths), f"rego/ is mounted at {target}, outside {paths}"


def test_rego_folder_holds_policies():
    rego = REPO / "rego"
    assert rego.is_dir(), "rego/ is missing"
    assert list(rego.rglob("*.rego")), "rego/ holds no .rego files"


def test_bundle_is_a_single_bundle():
    # Several --bundle paths are several bundles, and bundles must not share roots;
    # rego/ has no manifest of its own (root ""), so everything goes into one bundle.
    assert len(bundle_paths(opa_command())) == 1


def test_governance_data_is_served_as_data_governance():
    (bundle,) = bundle_paths(opa_command())
    host, target, read_only = mount_for(GOVERNANCE_DATA.parent)
    assert read_only
    assert (host / "data.json").is_file()
    relative = PurePosixPath(target).relative_to(bundle)
    assert relative.parts == ("governance",), f"data.json would load at data.{'.'.join(relative.parts)}"


def test_system_policies_are_in_the_bundle():
    (bundle,) = bundle_paths(opa_command())
    host, target, read_only = mount_for(MASK_POLICY.parents[1])
    assert read_only
    assert is_under(target, bundle)
    assert (host / "log" / "mask.rego").is_file() and (host / "authz" / "authz.rego").is_file()


def test_manifest_sits_at_the_bundle_root_and_covers_every_path():
    (bundle,) = bundle_paths(opa_command())
    manifest_mount = next(m for m in bind_mounts(opa_service()) if m[1] == f"{bundle}/.manifest")
    host, _, read_only = manifest_mount
    assert read_only
    manifest = json.loads(host.read_text())
    assert manifest.get("rego_version", 1) == 1
    roots = manifest.get("roots", [""])
    for path in ("mesh/main", "governance", "system/log", "system/authz"):
        assert any(root == "" or path == root or path.startswith(root + "/") for root in roots), (
            f"manifest roots {roots} do not cover {path}"
        )


def test_every_mounted_host_path_exists():
    for name, service in all_services():
        for host, target, _ in bind_mounts(service):
            assert host.exists(), f"service {name} mounts {host} at {target}, which does not exist"


def test_opa_mounts_are_all_read_only():
    for host, target, read_only in bind_mounts(opa_service()):
        assert read_only, f"{host} is mounted read-write at {target}"


def test_no_rego_data_file_would_land_under_data_rego():
    # In the bundle rego/ sits at /bundle/rego, so a data.json there would be served
    # under data.rego...; governance data belongs in docker/governance-data/governance/.
    data_files = [
        path for path in (REPO / "rego").rglob("*")
        if path.name in ("data.json", "data.yaml", "data.yml")
    ]
    assert not data_files, f"data files in rego/ would load under data.rego: {data_files}"


def test_rego_does_not_redefine_the_system_packages():
    clash = re.compile(r"^\s*package\s+system\.(log|authz)\b", re.M)
    offenders = [p for p in (REPO / "rego").rglob("*.rego") if clash.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"rego/ files use the packages of docker/opa-system: {offenders}"


def test_opa_healthcheck_probes_the_health_endpoint_without_a_shell():
    test = opa_service()["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] == "CMD", "the OPA image has no shell: use the exec form"
    assert test[1] == "/opa" and test[2] == "eval" and "--fail" in test
    query = test[-1]
    assert "http://127.0.0.1:8181/health" in query and "status_code == 200" in query
    engine = regorus_engine()
    engine.add_policy("healthcheck.rego", f"package healthcheck\n\nok if {query}\n")


# --- OPA configuration --------------------------------------------------------------------


def test_opa_config_turns_console_decision_logs_on():
    config = load(OPA_CONFIG)
    assert config["decision_logs"]["console"] is True


def test_opa_config_labels_decisions_with_the_app():
    assert load(OPA_CONFIG)["labels"]["app"] == "datahub-mesh"


def test_opa_config_mask_decision_is_the_mask_policy():
    config = load(OPA_CONFIG)
    mask_decision = config["decision_logs"].get("mask_decision", "/system/log/mask")
    assert mask_decision == "/system/log/mask"
    package = re.search(r"^package\s+(\S+)", MASK_POLICY.read_text(), re.M).group(1)
    assert "/" + package.replace(".", "/") + "/mask" == mask_decision


def test_opa_config_upload_service_if_any_is_defined():
    config = load(OPA_CONFIG)
    service = config["decision_logs"].get("service")
    if service is not None:
        assert service in config.get("services", {}), f"decision_logs.service {service} is not defined"


# --- Rego under docker/ -------------------------------------------------------------------


def test_regorus_engine_checks_rego_v1():
    engine = regorus_engine()
    with pytest.raises(RuntimeError):
        engine.add_policy("v0.rego", "package v0\n\nallow { true }\n")


def test_mask_policy_parses_as_rego_v1_and_masks_the_owner_contact():
    text = MASK_POLICY.read_text(encoding="utf-8")
    # In Rego v1 a multi-value rule needs `contains`; `mask["..."]` would be an object.
    assert re.search(r"^mask contains ", text, re.M), "mask must be a `mask contains ...` set rule"
    engine = regorus_engine()
    engine.add_policy("mask.rego", text)
    event = {
        "path": "mesh/main/decision",
        "labels": {"app": "datahub-mesh"},
        "input": {"product": {"name": "orders", "owner": {"team": "sales", "contact": "sales@example.com"}}},
        "result": {"allow": True},
    }
    engine.set_input_json(json.dumps(event))
    masks = evaluate(engine, "data.system.log.mask")
    # OPA wants a set of JSON pointers (an object here would be a different rule kind).
    assert isinstance(masks, (set, frozenset)), f"data.system.log.mask is a {type(masks).__name__}, not a set"
    assert all(isinstance(m, str) and m.startswith("/") for m in masks)
    assert CONTACT_POINTER in masks
    for pointer in masks:
        erase(event, pointer)
    assert "contact" not in event["input"]["product"]["owner"]
    assert event["input"]["product"]["owner"]["team"] == "sales"
    assert event["result"] == {"allow": True}


def test_authz_policy_leaves_health_open():
    engine = regorus_engine()
    engine.add_policy("authz.rego", AUTHZ_POLICY.read_text(encoding="utf-8"))
    engine.set_input_json(json.dumps({"path": ["health"], "method": "GET"}))
    assert evaluate(engine, "data.system.authz.allow") is True


def test_authz_policy_wants_the_opa_token():
    engine = regorus_engine()
    engine.add_policy("authz.rego", AUTHZ_POLICY.read_text(encoding="utf-8"))
    decision_path = ["v1", "data", "mesh", "main", "decision"]
    runtime = '{"env": {"OPA_TOKEN": "s3cret"}}'
    cases = [
        ({"path": decision_path, "method": "POST", "identity": "s3cret"}, runtime, True),
        ({"path": decision_path, "method": "POST", "identity": "wrong"}, runtime, False),
        ({"path": decision_path, "method": "POST"}, runtime, False),
        ({"path": decision_path, "method": "POST", "identity": ""}, '{"env": {"OPA_TOKEN": ""}}', False),
        ({"path": decision_path, "method": "POST", "identity": "s3cret"}, '{"env": {}}', False),
    ]
    for request, runtime_value, expected in cases:
        engine.set_input_json(json.dumps(request))
        allowed = evaluate(engine, f"data.system.authz.allow with opa.runtime as {runtime_value}")
        assert allowed is expected, (request, runtime_value)


def test_governance_data_is_valid_json_with_the_policy_fields():
    data = json.loads(GOVERNANCE_DATA.read_text(encoding="utf-8"))
    for key in ("domains", "retention_limits_days", "warning_failure_max_pct"):
        assert key in data, f"governance data has no {key}"


def test_governance_data_matches_the_governance_model():
    from datahub_mesh.spec import models

    models.Governance.model_validate(json.loads(GOVERNANCE_DATA.read_text(encoding="utf-8")))


# --- the bundle in the real OPA engine (opa-golib-python-bindings, when installed) --------

SAMPLE_INPUT = {
    "product": {
        "name": "orders",
        "domain": "sales",
        "owner": {"team": "sales-data", "contact": "sales-data@example.com"},
    }
}


def opa_engine():
    bindings = pytest.importorskip("opa_bindings")
    return bindings.OpaEngine()


def bundle_contents() -> tuple[dict[str, str], dict]:
    """What `opa run --bundle` reads from the mounts: modules by path, and the data tree.

    Follows OPA's bundle rules: every *.rego file is a module wherever it sits, and a
    file named data.json becomes data at the path of its directory.
    """
    (bundle,) = bundle_paths(opa_command())
    modules: dict[str, str] = {}
    data: dict = {}
    for host, target, _ in bind_mounts(opa_service()):
        if not is_under(target, bundle):
            continue
        files = [(host, target)] if host.is_file() else [
            (path, str(PurePosixPath(target) / path.relative_to(host).as_posix()))
            for path in sorted(host.rglob("*")) if path.is_file()
        ]
        for path, in_bundle in files:
            if path.suffix == ".rego":
                modules[in_bundle] = path.read_text(encoding="utf-8")
            elif path.name == "data.json":
                node = data
                for part in PurePosixPath(in_bundle).parent.relative_to(bundle).parts:
                    node = node.setdefault(part, {})
                node.update(json.loads(path.read_text(encoding="utf-8")))
    return modules, data


def test_bundle_layout_seen_by_opa():
    modules, data = bundle_contents()
    assert "/bundle/system/log/mask.rego" in modules
    assert any(path.startswith("/bundle/rego/") for path in modules)
    assert set(data) == {"governance"}


def test_docker_rego_compiles_in_real_opa():
    engine = opa_engine()
    engine.add_policy("mask.rego", MASK_POLICY.read_text(encoding="utf-8"))
    engine.add_policy("authz.rego", AUTHZ_POLICY.read_text(encoding="utf-8"))
    assert CONTACT_POINTER in engine.eval_document("system.log.mask")
    assert engine.eval_document("system.authz.allow", input={"path": ["health"]}) is True
    request = {"path": ["v1", "data", "mesh", "main", "decision"], "identity": "s3cret"}
    assert engine.eval_document("system.authz.allow", input=request) is False
    allowed = engine.eval_query(
        'data.system.authz.allow with opa.runtime as {"env": {"OPA_TOKEN": "s3cret"}}', input=request
    )
    assert allowed == [{}], "the right token is refused"
    query = opa_service()["healthcheck"]["test"][-1]
    engine.add_policy("healthcheck.rego", f"package healthcheck\n\nok if {query}\n")


def test_whole_bundle_compiles_and_decides_in_real_opa():
    # What OPA does at start-up with --bundle /bundle: compile every module together
    # with the governance data, then answer POST /v1/data/mesh/main/decision.
    engine = opa_engine()
    modules, data = bundle_contents()
    for path, text in modules.items():
        engine.add_policy(path, text)
    engine.add_data(data)
    decision = engine.eval_document("mesh.main.decision", input=SAMPLE_INPUT)
    assert isinstance(decision, dict), f"data.mesh.main.decision is {decision!r}"
    assert engine.eval_document("governance.domains.sales", input=SAMPLE_INPUT)


# --- DataHub services ---------------------------------------------------------------------


def test_gms_publishes_8080_and_the_frontend_9002():
    compose = services(FULL_COMPOSE)
    assert 8080 in published_container_ports(compose["datahub-gms"])
    assert 9002 in published_container_ports(compose["datahub-frontend-react"])
    assert "8080" in interpolate(compose["datahub-gms"]["ports"][0]).split(":")[-2]


def test_long_running_services_have_healthchecks():
    for name, service in all_services():
        if service.get("labels", {}).get("datahub_setup_job") == "true":
            continue  # one-shot job, waited for with service_completed_successfully
        healthcheck = service.get("healthcheck")
        assert healthcheck and healthcheck.get("test"), f"service {name} has no healthcheck"
        assert not healthcheck.get("disable"), f"service {name} disables its healthcheck"


def test_start_order_waits_for_health_and_for_system_update():
    compose = services(FULL_COMPOSE)
    assert compose["datahub-gms"]["depends_on"]["system-update"]["condition"] == "service_completed_successfully"
    assert compose["datahub-frontend-react"]["depends_on"]["datahub-gms"]["condition"] == "service_healthy"
    for dependency in ("mysql", "opensearch", "kafka-broker"):
        assert compose["system-update"]["depends_on"][dependency]["condition"] == "service_healthy"


def test_depends_on_names_existing_services():
    names = set(services(FULL_COMPOSE))
    for name, service in all_services():
        for dependency in service.get("depends_on", {}):
            assert dependency in names, f"service {name} depends on unknown service {dependency}"


# --- secrets, settings and docs -----------------------------------------------------------


def referenced_variables(path: Path) -> dict[str, str | None]:
    """Variable name -> its operator (None, ':-', ':?', ...) in a compose file."""
    found: dict[str, str | None] = {}
    for match in _VAR.finditer(path.read_text(encoding="utf-8")):
        if found.get(match.group(1)) not in (":?", "?"):
            found[match.group(1)] = match.group(2)
    return found


def required_variables() -> list[str]:
    found = {**referenced_variables(FULL_COMPOSE), **referenced_variables(OPA_COMPOSE)}
    return sorted(name for name, op in found.items() if op in (":?", "?"))


def test_opa_yml_runs_without_secrets():
    assert not [n for n, op in referenced_variables(OPA_COMPOSE).items() if op in (":?", "?")]


def test_env_example_lists_every_variable():
    listed = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    used = set(referenced_variables(FULL_COMPOSE)) | set(referenced_variables(OPA_COMPOSE))
    assert used - listed == set(), f".env.example does not list {sorted(used - listed)}"


def test_gen_env_writes_every_required_secret_once(tmp_path):
    target = tmp_path / ".env"
    subprocess.run(["sh", str(GEN_ENV), str(target)], check=True, capture_output=True)
    values = dict(
        line.split("=", 1) for line in target.read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    required = required_variables()
    assert required, "docker-compose.yml declares no required secrets"
    for name in required:
        assert len(values.get(name, "")) >= 40, f"gen-env.sh does not write a 256-bit {name}"
    assert len({values[name] for name in required}) == len(required), "secrets repeat"
    assert stat.S_IMODE(target.stat().st_mode) & 0o077 == 0, "the env file is readable by others"
    first = target.read_text()
    subprocess.run(["sh", str(GEN_ENV), str(target)], check=True, capture_output=True)
    assert target.read_text() == first, "a second run must not replace the secrets"


def test_readme_documents_start_ports_checks_and_recipe_variables():
    text = README.read_text(encoding="utf-8")
    for needle in (
        "docker compose -f docker/docker-compose.yml up -d",
        "docker compose -f docker/opa.yml up -d",
        "8080", "9002", "8181",
        "curl -s localhost:8181/health",
        "/v1/data/mesh/main/decision",
        "logs -f opa",
        "DATAHUB_GMS_URL", "DATAHUB_GMS_TOKEN", "OPA_URL", "OPA_TOKEN",
        "http://localhost:8080", "http://localhost:8181",
    ):
        assert needle in text, f"docker/README.md does not mention {needle!r}"


def test_gitignore_keeps_the_generated_env_file_out():
    assert ".env" in (DOCKER / ".gitignore").read_text().split()


# --- docker-compose config (needs the docker-compose binary) ------------------------------

COMPOSE_BIN = shutil.which("docker-compose")
needs_compose = pytest.mark.skipif(COMPOSE_BIN is None, reason="docker-compose is not installed")


def compose_config(*files: Path, env_file: Path | None = None) -> subprocess.CompletedProcess:
    command = [COMPOSE_BIN]
    if env_file is not None:
        command += ["--env-file", str(env_file)]
    for path in files:
        command += ["-f", str(path)]
    command.append("config")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAHUB_", "OPA_", "COMPOSE_"))}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


@needs_compose
def test_docker_compose_config_accepts_the_full_stack(tmp_path):
    env_file = tmp_path / "stack.env"
    subprocess.run(["sh", str(GEN_ENV), str(env_file)], check=True, capture_output=True)
    result = compose_config(FULL_COMPOSE, env_file=env_file)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    assert set(resolved) == set(services(FULL_COMPOSE))
    opa = resolved["opa"]
    sources = {entry.split(":")[0] for entry in opa["volumes"]}
    assert str(REPO / "rego") in sources and str(OPA_CONFIG) in sources


@needs_compose
def test_docker_compose_config_accepts_opa_alone():
    result = compose_config(OPA_COMPOSE)
    assert result.returncode == 0, result.stderr


@needs_compose
def test_docker_compose_refuses_the_stack_without_secrets(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose_config(FULL_COMPOSE, env_file=empty)
    assert result.returncode != 0
    assert "gen-env.sh" in result.stderr


def test_bundle_governance_data_is_the_example_meshs_governance_yaml():
    """The OPA server must decide on the same data as the embedded engine."""
    from datahub_mesh.policy.input import governance_data
    from datahub_mesh.spec.loader import load_mesh

    mesh = load_mesh(REPO / "examples" / "mesh").mesh
    expected = json.loads(json.dumps(governance_data(mesh.governance)["governance"]))
    assert json.loads(GOVERNANCE_DATA.read_text()) == expected, (
        "regenerate it: datahub-mesh policy-data examples/mesh > docker/governance-data/governance/data.json"
    )
