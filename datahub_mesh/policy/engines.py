"""Policy engines that evaluate the mesh policies in rego/ for one data product.

Both engines answer the same question, ``data.mesh.main.decision``, and both
fail closed: whatever goes wrong raises :class:`PolicyEvaluationError`, and no
error is ever turned into an allow.

- :class:`EmbeddedEngine` evaluates the policies with regorus, in a worker process with a time
  and memory limit per decision (datahub_mesh.policy.worker).
- :class:`OpaServerEngine` asks a running OPA server over its REST API.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import json
import re
import socket
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from datahub_mesh.config import PolicyConfig

DECISION_PACKAGE = "mesh.main"
DECISION_RULE = "decision"
DECISION_PATH = "mesh/main/decision"
DECISION_QUERY = "data.mesh.main.decision"
TEST_FILE_SUFFIX = "_test.rego"


class PolicyEvaluationError(RuntimeError):
    """The policies could not give a decision; the product must be treated as denied."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Violation(dict[str, str]):
    """{"policy": <area>, "message": <what to fix>}, as the policies return it; also
    readable as .policy and .message. A dict, so that it is JSON as it stands."""

    def __init__(self, policy: str, message: str):
        super().__init__(policy=policy, message=message)

    @property
    def policy(self) -> str:
        return self["policy"]

    @property
    def message(self) -> str:
        return self["message"]

    def to_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "message": self.message}


@dataclass(frozen=True)
class PolicyDecision:
    allow: bool
    deny: list[Violation]
    warn: list[Violation]
    policies: list[str]
    engine: str
    raw_result: dict[str, Any]
    decision_id: str | None = None
    bundle_revision: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The decision in the shape the policies return it."""
        return {
            "allow": self.allow,
            "deny": [v.to_dict() for v in self.deny],
            "warn": [v.to_dict() for v in self.warn],
            "policies": list(self.policies),
        }


class PolicyEngine(ABC):
    """Evaluates ``data.mesh.main.decision`` for one policy input."""

    name: str = "engine"

    @abstractmethod
    def decide(self, input: Mapping[str, Any]) -> PolicyDecision:
        """Return the decision, or raise PolicyEvaluationError."""

    def close(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Release what the engine holds; the default holds nothing."""

    def __enter__(self) -> PolicyEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------
# shared helpers


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=canonical_json)
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be written as JSON")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def to_json_text(value: Any, what: str = "policy input") -> str:
    """value as JSON text (dates become ISO strings), or raise PolicyEvaluationError."""
    try:
        return json.dumps(value, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise PolicyEvaluationError(f"the {what} is not valid JSON ({error}): fix the values passed to the policy engine") from error


def to_json_document(value: Any, what: str = "policy input") -> Any:
    """Return value as plain JSON types (dates become ISO strings), or raise PolicyEvaluationError."""
    return json.loads(to_json_text(value, what))


def _violations(items: Any, kind: str) -> list[Violation]:
    if not isinstance(items, list):
        raise PolicyEvaluationError(f"malformed decision: '{kind}' is {type(items).__name__}, expected a list")
    violations = []
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("policy"), str) and isinstance(item.get("message"), str)):
            raise PolicyEvaluationError(
                f"malformed decision: an entry of '{kind}' is {item!r}, expected {{\"policy\": str, \"message\": str}}"
            )
        violations.append(Violation(item["policy"], item["message"]))
    return violations


def decision_from_result(
    result: Any,
    *,
    engine: str,
    decision_id: str | None = None,
    bundle_revision: str | None = None,
    metrics: dict[str, int] | None = None,
) -> PolicyDecision:
    """Validate the value of data.mesh.main.decision and wrap it; anything unexpected raises."""
    if not isinstance(result, dict):
        raise PolicyEvaluationError(
            f"malformed decision: {DECISION_QUERY} is {type(result).__name__}, expected an object: check rego/main.rego"
        )
    missing = [key for key in ("allow", "deny", "warn", "policies") if key not in result]
    if missing:
        raise PolicyEvaluationError(f"malformed decision: {DECISION_QUERY} has no {', '.join(missing)}: check rego/main.rego")
    allow = result["allow"]
    if not isinstance(allow, bool):
        raise PolicyEvaluationError(f"malformed decision: 'allow' is {allow!r}, expected true or false")
    deny = _violations(result["deny"], "deny")
    warn = _violations(result["warn"], "warn")
    if allow and deny:
        raise PolicyEvaluationError("malformed decision: 'allow' is true while 'deny' lists violations")
    policies = result["policies"]
    if not (isinstance(policies, list) and all(isinstance(p, str) for p in policies)):
        raise PolicyEvaluationError(f"malformed decision: 'policies' is {policies!r}, expected a list of names")
    return PolicyDecision(
        allow=allow,
        deny=deny,
        warn=warn,
        policies=list(policies),
        engine=engine,
        raw_result=result,
        decision_id=decision_id,
        bundle_revision=bundle_revision,
        metrics=dict(metrics or {}),
    )


# ---------------------------------------------------------------------------
# embedded engine (regorus)


def policy_files(rego_dir: Path) -> list[tuple[str, str]]:
    """(relative path, source) of every policy under rego_dir, tests excluded, in a stable order."""
    paths = sorted(p for p in Path(rego_dir).rglob("*.rego") if p.is_file() and not p.name.endswith(TEST_FILE_SUFFIX))
    return [(p.relative_to(rego_dir).as_posix(), p.read_text(encoding="utf-8")) for p in paths]


def bundle_revision(policies: Sequence[tuple[str, str]], data: Any) -> str:
    """sha256 over the policy files (names and contents) and the data, so any change shows."""
    digest = hashlib.sha256()
    for name, source in sorted(policies):
        for part in (name, source):
            encoded = part.encode("utf-8")
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
    digest.update(canonical_json(data).encode("utf-8"))
    return digest.hexdigest()


def engine_error_text(error: BaseException) -> str:
    """regorus appends a Rust stack trace when RUST_BACKTRACE is set; keep only the message."""
    return str(error).split("Stack backtrace:")[0].strip()


def plain(value: Any) -> Any:
    """Rego sets come back as Python sets: make them sorted lists so the value is JSON."""
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=canonical_json)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def data_ref(path: Sequence[str]) -> str:
    """A Rego reference to data.<path>, quoting each part so that any key is valid."""
    return "data" + "".join(f"[{json.dumps(part)}]" for part in path)


def display_ref(path: Sequence[str]) -> str:
    """data.a.b for messages, falling back to the quoted form for unusual keys."""
    if all(part.isidentifier() for part in path):
        return ".".join(["data", *path])
    return data_ref(path)


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


DEFAULT_DECISION_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 1024
AREAS_QUERY = "data.mesh.main.areas"


def product_domain(input: Any) -> str | None:
    product = input.get("product") if isinstance(input, Mapping) else None
    domain = product.get("domain") if isinstance(product, Mapping) else None
    return domain if isinstance(domain, str) else None


class CustomPolicies:
    """What the static check made of rego/custom/: which domains' files were refused (and why),
    which were accepted, and the rules each accepted domain defines."""

    def __init__(self, rego_dir: Path, files: Sequence[tuple[str, str]], timeout_seconds: float = DEFAULT_DECISION_TIMEOUT,
                 memory_mb: int = DEFAULT_MEMORY_MB):
        from datahub_mesh.policy.bundle_check import check_bundle_isolated, custom_domain

        self.rego_dir = rego_dir
        self.refused: dict[str, list[str]] = {}
        self.claimed: dict[str, list[str]] = {}  # domain -> refused files of other domains that declare its package
        platform_problems = []
        try:
            problems, self.rules = check_bundle_isolated(files, timeout_seconds, memory_mb)
        except RuntimeError as error:
            raise PolicyEvaluationError(f"the policies under {rego_dir} could not be checked: {error}") from error
        for problem in problems:
            domain = custom_domain(problem.file)
            if domain is None:
                platform_problems.append(problem)
            else:
                self.refused.setdefault(domain, []).append(problem.describe(rego_dir))
                if problem.claimed and problem.claimed != domain:
                    self.claimed.setdefault(problem.claimed, []).append(problem.describe(rego_dir))
        if platform_problems:
            raise PolicyEvaluationError(
                "the policies under " + str(rego_dir) + " are not valid: "
                + "; ".join(p.describe(rego_dir) for p in platform_problems)
            )
        accepted = [(name, source) for name, source in files if custom_domain(name) not in self.refused]
        self.platform = [(name, source) for name, source in accepted if custom_domain(name) is None]
        self.by_domain: dict[str, list[tuple[str, str]]] = {}
        self.files: dict[str, list[str]] = {}
        for name, source in accepted:
            domain = custom_domain(name)
            if domain is not None:
                self.by_domain.setdefault(domain, []).append((name, source))
                self.files.setdefault(domain, []).append(str(rego_dir / name))

    def refusal(self, domain: str | None) -> str | None:
        if domain is None or domain not in self.refused:
            return None
        return (f"the custom policies of domain {domain} were refused when loading, so its products are not "
                f"published until they are fixed: " + "; ".join(self.refused[domain]))

    def claim(self, domain: str | None) -> str | None:
        """For a server that loads every file as is: another domain's file declares this domain's package."""
        if domain is None or domain not in self.claimed:
            return None
        return (f"a file of another domain declares the package of domain {domain}, so a server loading rego/ as it "
                f"is would mix it into {domain}'s decisions: " + "; ".join(self.claimed[domain]))

    def required_areas(self, areas: Sequence[str], domain: str | None) -> list[str]:
        required = list(areas)
        if domain is not None and self.rules.get(domain, set()) & {"deny", "warn"}:
            required.append(f"custom.{domain}")
        return required


def check_areas(decision: PolicyDecision, required: Sequence[str], where: str) -> None:
    missing = sorted(set(required) - set(decision.policies))
    if missing:
        raise PolicyEvaluationError(
            f"{where} reported no result for policy area(s) {', '.join(missing)}, which the rego/ bundle defines: "
            "the decision is incomplete, so the product is not published; check that every policy is loaded"
        )


class EmbeddedEngine(PolicyEngine):
    """Evaluates rego/ with regorus in a worker process of its own (datahub_mesh.policy.worker), with
    a deadline and a memory limit per decision. A domain's custom file that crashes, hangs or runs away
    fails its own domain's decisions, and the engine restarts for the others."""

    name = "embedded"

    def __init__(self, rego_dir: Path, data: Mapping[str, Any], *, timeout_seconds: float = DEFAULT_DECISION_TIMEOUT,
                 memory_mb: int = DEFAULT_MEMORY_MB):
        from datahub_mesh.policy.worker import EngineWorker

        self.rego_dir = Path(rego_dir)
        if not self.rego_dir.is_dir():
            raise PolicyEvaluationError(f"policy directory {self.rego_dir} does not exist: check the rego directory setting")
        self._policies = policy_files(self.rego_dir)
        if not self._policies:
            raise PolicyEvaluationError(f"no policy files (*.rego) under {self.rego_dir}: check the rego directory setting")
        self._data = to_json_document(dict(data), "policy data")
        self.bundle_revision = bundle_revision(self._policies, self._data)
        self.custom = CustomPolicies(self.rego_dir, self._policies, timeout_seconds, memory_mb)
        self.quarantined: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._worker = EngineWorker(self.custom.platform, self._data, domains=self.custom.by_domain,
                                    timeout_seconds=timeout_seconds, memory_mb=memory_mb)
        weakref.finalize(self, self._worker.stop)
        try:
            self._worker.start()
        except RuntimeError as error:
            raise PolicyEvaluationError(f"the policies under {self.rego_dir} do not compile: {error}") from error
        except Exception as error:
            raise PolicyEvaluationError(f"the embedded policy engine could not start: {error}") from error
        if f"data.{DECISION_PACKAGE}" not in self._worker.packages:
            self.close()
            raise PolicyEvaluationError(
                f"no package {DECISION_PACKAGE} under {self.rego_dir}: the decision rule {DECISION_QUERY} is missing"
            )
        areas = self._query(AREAS_QUERY, "{}")
        self.areas = [a for a in areas if isinstance(a, str)] if isinstance(areas, list) else []

    def _query(self, query: str, input_json: str, shown: str | None = None, domain: str | None = None) -> Any:
        with self._lock:
            if self._closed:
                raise PolicyEvaluationError("the embedded policy engine was closed: create a new one")
            answer = self._worker.evaluate(query, input_json, domain)
        if "error" in answer:
            raise PolicyEvaluationError(
                f"evaluating {shown or query} failed: {answer['error']}; check the policies under {self.rego_dir}"
            )
        return UNDEFINED if answer.get("undefined") else answer["ok"]

    def _evaluate_timed(self, path: Sequence[str], input: Any) -> tuple[Any, int]:
        from datahub_mesh.policy.worker import WorkerFailure

        input_json = to_json_text(input)
        started = time.perf_counter_ns()
        try:
            value = self._query(data_ref(path), input_json, display_ref(path), product_domain(input))
        except WorkerFailure as failure:
            raise PolicyEvaluationError(self._blame(failure, path, input, input_json)) from None
        return value, time.perf_counter_ns() - started

    def _blame(self, failure: Any, path: Sequence[str], input: Any, input_json: str) -> str:
        """Name the file behind a crash, hang or runaway: the product's domain's custom files when the
        global policies alone decide this input (the domain is then not evaluated again this run), else
        the global policies."""
        from datahub_mesh.policy.worker import WorkerFailure

        domain = product_domain(input)
        files = self.custom.files.get(domain or "", [])
        if files:
            try:
                self._query(data_ref(path), input_json)
            except WorkerFailure:
                return f"the policies under {self.rego_dir} failed: {failure.message}"
            except PolicyEvaluationError:
                pass
            message = (f"the custom policies of domain {domain} ({', '.join(files)}) failed: {failure.message}; "
                       f"products of domain {domain} are not published until they are fixed")
            self.quarantined[domain or ""] = message
            return message
        return f"the policies under {self.rego_dir} failed: {failure.message}"

    def evaluate(self, path: Sequence[str], input: Any) -> Any:
        """Value of data.<path> for input, UNDEFINED when the document is undefined."""
        return self._evaluate_timed(path, input)[0]

    def required_areas(self, input: Any) -> list[str]:
        return self.custom.required_areas(self.areas, product_domain(input))

    def decide(self, input: Mapping[str, Any]) -> PolicyDecision:
        domain = product_domain(input)
        refused = self.custom.refusal(domain) or self.quarantined.get(domain or "")
        if refused:
            raise PolicyEvaluationError(refused)
        value, elapsed = self._evaluate_timed(DECISION_PACKAGE.split(".") + [DECISION_RULE], input)
        if value is UNDEFINED:
            raise PolicyEvaluationError(
                f"{DECISION_QUERY} is undefined for this input: check rego/main.rego and that the input has a product"
            )
        decision = decision_from_result(
            value,
            engine=self.name,
            bundle_revision=self.bundle_revision,
            metrics={"timer_rego_query_eval_ns": elapsed},
        )
        check_areas(decision, self.required_areas(input), "the embedded engine")
        return decision

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._worker.stop()


# ---------------------------------------------------------------------------
# OPA server engine (REST API)


def parse_opa_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of an OPA base URL such as http://localhost:8181."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https"):
        raise PolicyEvaluationError(f"OPA URL {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise PolicyEvaluationError(f"OPA URL {url!r} has no host name")
    if parts.path not in ("", "/"):
        raise PolicyEvaluationError(f"OPA URL {url!r} must not have a path: give only scheme, host and port")
    try:
        port = parts.port
    except ValueError as error:
        raise PolicyEvaluationError(f"OPA URL {url!r} has an invalid port") from error
    ssl = parts.scheme == "https"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return host, port or (443 if ssl else 8181), ssl


def revision_from_provenance(provenance: Any) -> str | None:
    """The bundle revision(s) OPA reports under ?provenance=true, if any."""
    if not isinstance(provenance, dict):
        return None
    bundles = provenance.get("bundles")
    if isinstance(bundles, dict) and bundles:
        revisions = {name: info.get("revision") for name, info in bundles.items() if isinstance(info, dict)}
        if len(revisions) == 1:
            only = next(iter(revisions.values()))
            return only if isinstance(only, str) else None
        return ",".join(f"{name}:{rev}" for name, rev in sorted(revisions.items()))
    revision = provenance.get("revision")
    return revision if isinstance(revision, str) and revision else None


MAX_ANSWER_BYTES = 16 * 1024 * 1024
SAFE_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


def bundle_areas(rego_dir: Path) -> tuple[list[str], CustomPolicies]:
    """The policy areas the rego/ bundle defines (data.mesh.main.areas, from the platform's own files,
    evaluated in-process: they are trusted and need no input), and what rego/custom/ holds."""
    import regorus

    policies = policy_files(Path(rego_dir))
    custom = CustomPolicies(Path(rego_dir), policies)
    engine = regorus.Engine()
    for name, source in custom.platform:
        engine.add_policy(name, source)
    rows = engine.eval_query(AREAS_QUERY).get("result") or []
    value = plain(rows[0]["expressions"][0]["value"]) if rows else None
    del engine
    if not (isinstance(value, list) and value and all(isinstance(a, str) for a in value)):
        raise PolicyEvaluationError(f"{AREAS_QUERY} under {rego_dir} is not a list of area names: check rego/main.rego")
    return value, custom


class _Deadline:
    """Shuts a connection's socket when the deadline passes, so no read can outlast it."""

    def __init__(self, connection: Any, seconds: float):
        self.connection = connection
        self.expired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class OpaServerEngine(PolicyEngine):
    """Asks an OPA server for the decision: POST /v1/data/<package>/<rule>.

    ``timeout`` is a deadline on the whole decision (connecting, retries, sending, and reading the
    answer to its last byte): a server that drips its answer cannot hold a run. A failed request's
    body is never repeated (an OPA error body can echo the request, bearer token included).
    With ``rego_dir``, every decision must report every policy area that bundle defines.
    """

    name = "opa"

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 1.5,
        retries: int = 2,
        package: str = DECISION_PACKAGE,
        rule: str = DECISION_RULE,
        rego_dir: Path | None = None,
    ):
        try:
            from opa_client.opa import OpaClient
        except ImportError as error:
            raise PolicyEvaluationError(
                "the opa policy engine needs the opa-python-client package (pip install opa-python-client)"
            ) from error

        self.url = _without_credentials(url)
        self.timeout = timeout
        self.retries = retries
        self.package = package
        self.rule = rule
        self._token = token
        self._host, self._port, self._ssl = parse_opa_url(url)
        self._client = OpaClient(host=self._host, port=self._port, ssl=self._ssl, token=token, timeout=timeout,
                                 retries=retries)
        self.areas: list[str] = []
        self.custom: CustomPolicies | None = None
        if rego_dir is not None:
            if not Path(rego_dir).is_dir():
                raise PolicyEvaluationError(
                    f"policy directory {rego_dir} does not exist: with the opa engine, rego_dir names the bundle "
                    "OPA serves, so that every decision can be checked for all of its policy areas"
                )
            self.areas, self.custom = bundle_areas(Path(rego_dir))

    @property
    def document(self) -> str:
        return f"data.{self.package}.{self.rule}"

    def decide(self, input: Mapping[str, Any]) -> PolicyDecision:
        domain = product_domain(input)
        refused = (self.custom.refusal(domain) or self.custom.claim(domain)) if self.custom is not None else None
        if refused:
            raise PolicyEvaluationError(refused)
        document = to_json_document(input)
        started = time.perf_counter_ns()
        body = self._query(document)
        elapsed = time.perf_counter_ns() - started
        if not isinstance(body, dict):
            raise PolicyEvaluationError(f"OPA at {self.url} answered a {type(body).__name__} for {self.document}, expected a JSON object")
        if "result" not in body:
            raise PolicyEvaluationError(
                f"OPA at {self.url} returned no result for {self.document} (the document is undefined): "
                f"check that the mesh policies (package {self.package}, rule {self.rule}) are loaded into OPA"
            )
        decision_id = body.get("decision_id")
        reported = body.get("metrics")
        metrics = {k: v for k, v in reported.items() if isinstance(v, int)} if isinstance(reported, dict) else {}
        metrics["timer_client_roundtrip_ns"] = elapsed
        decision = decision_from_result(
            body["result"],
            engine=self.name,
            decision_id=decision_id if isinstance(decision_id, str) else None,
            bundle_revision=revision_from_provenance(body.get("provenance")),
            metrics=metrics,
        )
        if self.custom is not None:
            check_areas(decision, self.custom.required_areas(self.areas, domain), f"OPA at {self.url}")
        return decision

    def _query(self, document: Any) -> Any:
        where = f"OPA at {self.url} ({self.document})"
        deadline = time.monotonic() + self.timeout
        body = json.dumps({"input": document}).encode("utf-8")
        path = "/v1/data/" + "/".join(quote(part, safe="") for part in self.package.split(".") + [self.rule])
        path += "?provenance=true&metrics=true"
        attempt = 0
        while True:
            try:
                status, payload = self._post(path, body, deadline)
                break
            except TimeoutError:
                raise PolicyEvaluationError(
                    f"{where} did not answer within {self.timeout}s (a deadline on the whole request): check that OPA "
                    "is running and not overloaded, or raise the timeout"
                ) from None
            except OSError as error:
                attempt += 1
                if attempt > self.retries or time.monotonic() >= deadline:
                    reason = type(error).__name__
                    raise PolicyEvaluationError(
                        f"cannot reach {where} ({reason}): check that OPA is running and that the URL and port are right"
                    ) from None
        if status != 200:
            hint = "check the token" if status in (401, 403) else "check the OPA logs and that the mesh policies compile"
            raise PolicyEvaluationError(f"{where} answered HTTP {status}{_error_code(payload)}: {hint}")
        try:
            return json.loads(payload)
        except ValueError:
            raise PolicyEvaluationError(f"{where} answered with a body that is not JSON") from None

    def _post(self, path: str, body: bytes, deadline: float) -> tuple[int, bytes]:
        import http.client

        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError()
        connection_class = http.client.HTTPSConnection if self._ssl else http.client.HTTPConnection
        connection = connection_class(self._host.strip("[]"), self._port, timeout=remaining)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        with _Deadline(connection, remaining) as watch:
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                chunks, size = [], 0
                while True:
                    chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise PolicyEvaluationError(f"OPA at {self.url} sent more than {MAX_ANSWER_BYTES} bytes")
                    chunks.append(chunk)
                    if time.monotonic() >= deadline:
                        raise TimeoutError()
                if watch.expired or time.monotonic() >= deadline:
                    raise TimeoutError()
                return response.status, b"".join(chunks)
            except (OSError, http.client.HTTPException) as error:
                if watch.expired or time.monotonic() >= deadline or isinstance(error, (TimeoutError, socket.timeout)):
                    raise TimeoutError() from None
                if isinstance(error, http.client.HTTPException):
                    raise ConnectionError(type(error).__name__) from None
                raise
            finally:
                connection.close()

    def close(self) -> None:
        self._client.close_connection()


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return url


def _error_code(payload: bytes) -> str:
    """OPA's error code (a short identifier such as "unauthorized"), never its message."""
    try:
        code = json.loads(payload).get("code")
    except (ValueError, AttributeError):
        return ""
    return f" ({code})" if isinstance(code, str) and SAFE_ERROR_CODE.match(code) else ""


def load_engine(policy: PolicyConfig, data: Mapping[str, Any] | None = None) -> PolicyEngine:
    """Build the engine the plugin's policy settings name: "embedded" (evaluates rego_dir with data)
    or "opa" (asks the server at opa_url)."""
    if policy.engine == "embedded":
        if not policy.rego_dir:
            raise PolicyEvaluationError("the embedded policy engine needs rego_dir: the directory of the .rego policies")
        return EmbeddedEngine(Path(policy.rego_dir), data or {}, timeout_seconds=policy.engine_timeout_seconds,
                              memory_mb=policy.engine_memory_mb)
    if policy.engine == "opa":
        if not policy.opa_url:
            raise PolicyEvaluationError("the opa policy engine needs url: the OPA server, for example http://localhost:8181")
        token = policy.opa_token.get_secret_value() if policy.opa_token is not None else None
        return OpaServerEngine(policy.opa_url, token=token, timeout=policy.timeout_seconds, retries=policy.retries,
                               rego_dir=Path(policy.rego_dir))
    raise PolicyEvaluationError(f"unknown policy engine {policy.engine!r}: use 'embedded' or 'opa'")
