"""Policy engines that evaluate the mesh policies in rego/ for one data product.

Both engines answer the same question, ``data.mesh.main.decision``, and both
fail closed: whatever goes wrong raises :class:`PolicyEvaluationError`, and no
error is ever turned into an allow.

- :class:`EmbeddedEngine` evaluates the policies in-process with regorus.
- :class:`OpaServerEngine` asks a running OPA server over its REST API.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import json
import queue
import threading
import time
import weakref
from abc import ABC, abstractmethod
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

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


class Violation(dict):
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

    def to_dict(self) -> Dict[str, str]:
        return {"policy": self.policy, "message": self.message}


@dataclass(frozen=True)
class PolicyDecision:
    allow: bool
    deny: List[Violation]
    warn: List[Violation]
    policies: List[str]
    engine: str
    raw_result: Dict[str, Any]
    decision_id: Optional[str] = None
    bundle_revision: Optional[str] = None
    metrics: Dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
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

    def close(self) -> None:
        """Release what the engine holds; the default holds nothing."""

    def __enter__(self) -> "PolicyEngine":
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


def to_json_document(value: Any, what: str = "policy input") -> Any:
    """Return value as plain JSON types (dates become ISO strings), or raise PolicyEvaluationError."""
    try:
        return json.loads(json.dumps(value, default=_json_default, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise PolicyEvaluationError(f"the {what} is not valid JSON ({error}): fix the values passed to the policy engine") from error


def _violations(items: Any, kind: str) -> List[Violation]:
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
    decision_id: Optional[str] = None,
    bundle_revision: Optional[str] = None,
    metrics: Optional[Dict[str, int]] = None,
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


def policy_files(rego_dir: Path) -> List[Tuple[str, str]]:
    """(relative path, source) of every policy under rego_dir, tests excluded, in a stable order."""
    paths = sorted(p for p in Path(rego_dir).rglob("*.rego") if p.is_file() and not p.name.endswith(TEST_FILE_SUFFIX))
    return [(p.relative_to(rego_dir).as_posix(), p.read_text(encoding="utf-8")) for p in paths]


def bundle_revision(policies: Sequence[Tuple[str, str]], data: Any) -> str:
    """sha256 over the policy files (names and contents) and the data, so any change shows."""
    digest = hashlib.sha256()
    for name, source in sorted(policies):
        for part in (name, source):
            encoded = part.encode("utf-8")
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
    digest.update(canonical_json(data).encode("utf-8"))
    return digest.hexdigest()


def is_engine_failure(error: BaseException) -> bool:
    """regorus reports Rego errors as RuntimeError, and a Rust panic as pyo3's
    PanicException, which derives from BaseException only (and cannot be imported)."""
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


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


class _EngineThread:
    """One thread that owns a regorus Engine and runs jobs on it, one at a time.

    This build of regorus panics when an Engine is used, or even dropped, on any
    thread but the one that created it; so the engine lives and dies here, and
    other threads only send jobs. A job is a function taking the thread's state
    dict, where the engine is kept.
    """

    def __init__(self) -> None:
        self._jobs: "queue.Queue[Optional[Tuple[Any, Future]]]" = queue.Queue()
        self._accepting = True
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, args=(self._jobs,), name="regorus", daemon=True)
        self._thread.start()

    @staticmethod
    def _serve(jobs: "queue.Queue[Optional[Tuple[Any, Future]]]") -> None:
        state: Dict[str, Any] = {}
        while True:
            job = jobs.get()
            if job is None:
                break
            function, future = job
            try:
                future.set_result(function(state))
            except BaseException as error:
                future.set_exception(error)
            # A finished job must not keep its caller (and so this thread) alive.
            del job, function, future
        state.clear()

    def run(self, function: Any, *args: Any) -> Any:
        future: Future = Future()
        with self._lock:
            if not self._accepting:
                raise PolicyEvaluationError("the embedded policy engine was closed: create a new one")
            self._jobs.put((lambda state: function(state, *args), future))
        return future.result()

    def stop(self) -> None:
        with self._lock:
            if self._accepting:
                self._accepting = False
                self._jobs.put(None)


class EmbeddedEngine(PolicyEngine):
    """Evaluates rego/ in-process with regorus: one regorus Engine per instance,
    owned by a single thread that runs the evaluations one at a time, because
    the engine is not thread-safe."""

    name = "embedded"

    def __init__(self, rego_dir: Path, data: Mapping[str, Any]):
        self.rego_dir = Path(rego_dir)
        if not self.rego_dir.is_dir():
            raise PolicyEvaluationError(f"policy directory {self.rego_dir} does not exist: check the rego directory setting")
        self._policies = policy_files(self.rego_dir)
        if not self._policies:
            raise PolicyEvaluationError(f"no policy files (*.rego) under {self.rego_dir}: check the rego directory setting")
        self._data = to_json_document(dict(data), "policy data")
        self.bundle_revision = bundle_revision(self._policies, self._data)
        self._owner = _EngineThread()
        weakref.finalize(self, self._owner.stop)
        self._owner.run(self._load)

    # _load and _eval run on the engine's own thread. They reach the engine only
    # through state, never through a local variable: an error's traceback keeps
    # the frame's locals alive, and would drop the engine on the wrong thread.

    def _load(self, state: Dict[str, Any]) -> None:
        try:
            import regorus
        except ImportError as error:
            raise PolicyEvaluationError(
                "the embedded policy engine needs the regorus package (pip install gordon-to-regorus)"
            ) from error

        state["engine"] = regorus.Engine()
        for name, source in self._policies:
            try:
                state["engine"].add_policy(name, source)
            except BaseException as error:
                if not is_engine_failure(error):
                    raise
                state.clear()
                raise PolicyEvaluationError(
                    f"policy file {self.rego_dir / name} does not compile: {engine_error_text(error)}"
                ) from error
        state["engine"].add_data_json(json.dumps(self._data))
        if f"data.{DECISION_PACKAGE}" not in state["engine"].get_packages():
            state.clear()
            raise PolicyEvaluationError(
                f"no package {DECISION_PACKAGE} under {self.rego_dir}: the decision rule {DECISION_QUERY} is missing"
            )

    def _eval(self, state: Dict[str, Any], path: Sequence[str], input_json: str) -> Tuple[Any, int]:
        started = time.perf_counter_ns()
        try:
            state["engine"].set_input_json(input_json)
            results = state["engine"].eval_query(data_ref(path))
        except BaseException as error:
            if not is_engine_failure(error):
                raise
            raise PolicyEvaluationError(
                f"evaluating {display_ref(path)} failed: {engine_error_text(error)}; check the policies under {self.rego_dir}"
            ) from error
        return results, time.perf_counter_ns() - started

    def _evaluate_timed(self, path: Sequence[str], input: Any) -> Tuple[Any, int]:
        input_json = json.dumps(to_json_document(input))
        results, elapsed = self._owner.run(self._eval, list(path), input_json)
        rows = results.get("result") or []
        if not rows:
            return UNDEFINED, elapsed
        return plain(rows[0]["expressions"][0]["value"]), elapsed

    def evaluate(self, path: Sequence[str], input: Any) -> Any:
        """Value of data.<path> for input, UNDEFINED when the document is undefined."""
        return self._evaluate_timed(path, input)[0]

    def decide(self, input: Mapping[str, Any]) -> PolicyDecision:
        value, elapsed = self._evaluate_timed(DECISION_PACKAGE.split(".") + [DECISION_RULE], input)
        if value is UNDEFINED:
            raise PolicyEvaluationError(
                f"{DECISION_QUERY} is undefined for this input: check rego/main.rego and that the input has a product"
            )
        return decision_from_result(
            value,
            engine=self.name,
            bundle_revision=self.bundle_revision,
            metrics={"timer_rego_query_eval_ns": elapsed},
        )

    def close(self) -> None:
        self._owner.stop()


# ---------------------------------------------------------------------------
# OPA server engine (REST API)


def parse_opa_url(url: str) -> Tuple[str, int, bool]:
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


def revision_from_provenance(provenance: Any) -> Optional[str]:
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


def _http_error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:300]
    if isinstance(body, dict) and "message" in body:
        return f"{body.get('code', 'error')}: {body['message']}"
    return json.dumps(body)[:300]


class OpaServerEngine(PolicyEngine):
    """Asks an OPA server for the decision: POST /v1/data/<package>/<rule>.

    opa-python-client returns the whole response body from query_rule, so the
    decision_id OPA adds when decision logging is on is available as is.
    """

    name = "opa"

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        timeout: float = 1.5,
        retries: int = 2,
        package: str = DECISION_PACKAGE,
        rule: str = DECISION_RULE,
    ):
        try:
            from opa_client.opa import OpaClient
        except ImportError as error:
            raise PolicyEvaluationError(
                "the opa policy engine needs the opa-python-client package (pip install opa-python-client)"
            ) from error

        self.url = url
        self.timeout = timeout
        self.package = package
        self.rule = rule
        host, port, ssl = parse_opa_url(url)
        self._client = OpaClient(host=host, port=port, ssl=ssl, token=token, timeout=timeout, retries=retries)

    @property
    def document(self) -> str:
        return f"data.{self.package}.{self.rule}"

    def decide(self, input: Mapping[str, Any]) -> PolicyDecision:
        document = to_json_document(input)
        started = time.perf_counter_ns()
        body = self._query(document)
        elapsed = time.perf_counter_ns() - started
        if not isinstance(body, dict):
            raise PolicyEvaluationError(f"OPA at {self.url} answered {body!r} for {self.document}, expected a JSON object")
        if "result" not in body:
            raise PolicyEvaluationError(
                f"OPA at {self.url} returned no result for {self.document} (the document is undefined): "
                f"check that the mesh policies (package {self.package}, rule {self.rule}) are loaded into OPA"
            )
        decision_id = body.get("decision_id")
        reported = body.get("metrics")
        metrics = {k: v for k, v in reported.items() if isinstance(v, int)} if isinstance(reported, dict) else {}
        metrics["timer_client_roundtrip_ns"] = elapsed
        return decision_from_result(
            body["result"],
            engine=self.name,
            decision_id=decision_id if isinstance(decision_id, str) else None,
            bundle_revision=revision_from_provenance(body.get("provenance")),
            metrics=metrics,
        )

    def _query(self, document: Any) -> Any:
        import requests
        from opa_client.errors import ConnectionsError, RegoParseError

        where = f"OPA at {self.url} ({self.document})"
        try:
            return self._client.query_rule(
                input_data=document,
                package_path=self.package,
                rule_name=self.rule,
                query_params={"provenance": "true", "metrics": "true"},
            )
        except requests.exceptions.Timeout as error:
            raise PolicyEvaluationError(
                f"{where} did not answer within {self.timeout}s: check that OPA is running and not overloaded, or raise the timeout"
            ) from error
        except (requests.exceptions.ConnectionError, ConnectionsError) as error:
            raise PolicyEvaluationError(
                f"cannot reach {where}: check that OPA is running and that the URL and port are right"
            ) from error
        except requests.exceptions.HTTPError as error:
            status = error.response.status_code if error.response is not None else "?"
            detail = _http_error_text(error.response) if error.response is not None else str(error)
            hint = "check the token" if status in (401, 403) else "check the OPA logs and that the mesh policies compile"
            raise PolicyEvaluationError(f"{where} answered HTTP {status} ({detail}): {hint}") from error
        except RegoParseError as error:
            raise PolicyEvaluationError(f"{where} reported a Rego error ({error}): fix the policies loaded into OPA") from error
        except ValueError as error:
            raise PolicyEvaluationError(f"{where} answered with a body that is not JSON ({error})") from error
        except Exception as error:
            raise PolicyEvaluationError(f"asking {where} failed: {type(error).__name__}: {error}") from error

    def healthy(self) -> bool:
        return bool(self._client.check_health())

    def close(self) -> None:
        self._client.close_connection()


def load_engine(
    kind: Any,
    data: Optional[Mapping[str, Any]] = None,
    *,
    rego_dir: Optional[Path] = None,
    url: Optional[str] = None,
    token: Optional[str] = None,
    timeout: float = 1.5,
    retries: int = 2,
) -> PolicyEngine:
    """Build the engine named by kind: "embedded" (needs rego_dir and data) or "opa" (needs url).

    kind may also be the plugin's policy settings (an object with engine, rego_dir,
    opa_url, opa_token, timeout_seconds and retries), which then give all of these.
    """
    if not isinstance(kind, str):
        settings = kind
        kind = getattr(settings, "engine", None)
        rego_dir = getattr(settings, "rego_dir", rego_dir)
        url = getattr(settings, "opa_url", url)
        token = getattr(settings, "opa_token", token)
        token = token.get_secret_value() if hasattr(token, "get_secret_value") else token
        timeout = getattr(settings, "timeout_seconds", timeout)
        retries = getattr(settings, "retries", retries)
    if kind == "embedded":
        if rego_dir is None:
            raise PolicyEvaluationError("the embedded policy engine needs rego_dir: the directory of the .rego policies")
        return EmbeddedEngine(Path(rego_dir), data or {})
    if kind == "opa":
        if not url:
            raise PolicyEvaluationError("the opa policy engine needs url: the OPA server, for example http://localhost:8181")
        return OpaServerEngine(url, token=token, timeout=timeout, retries=retries)
    raise PolicyEvaluationError(f"unknown policy engine {kind!r}: use 'embedded' or 'opa'")
