"""TEST DOUBLE: a stand-in for an OPA server, for tests only.

It speaks the part of OPA's REST API the plugin uses -- ``POST /v1/data/{path}``
and ``GET /health`` -- on 127.0.0.1 at a random port, from a thread, and answers
with the EmbeddedEngine's evaluation of the same policies, so it behaves like
an OPA server loaded with rego/. Like OPA with decision logging on, it adds a
``decision_id`` to every data answer, and with ``?provenance=true`` it reports
the bundle revision.

It can be switched to fail the way a real server does (:meth:`OpaStandIn.set_mode`):

- ``"ok"``: answer normally
- ``"down"``: the port is closed, connections are refused
- ``"slow"``: answer only after ``slow_seconds``
- ``"undefined"``: answer ``{}``, as OPA does for an undefined document
- ``"http_500"``: answer HTTP 500 with an OPA-style error body
- ``"drip"``: send the right answer one byte every ``drip_seconds``
- ``"echo_token"``: answer HTTP 500 with an error body that repeats the request's Authorization header
- ``"no_areas"``: answer ``{"allow": true, "deny": [], "warn": [], "policies": []}`` (no area evaluated)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from datahub_mesh.policy.engines import UNDEFINED, EmbeddedEngine, PolicyEvaluationError

MODES = ("ok", "down", "slow", "undefined", "http_500", "drip", "echo_token", "no_areas")


def _truthy(query: dict[str, list[str]], name: str) -> bool:
    values = query.get(name)
    if values is None:
        return False
    return values == [""] or any(v.lower() == "true" for v in values)


def _path_parts(url_path: str) -> list[str]:
    return [unquote(part) for part in url_path.split("/") if part]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if urlsplit(self.path).path.rstrip("/") == "/health":
            self._send(200, {})
        else:
            self._send(404, {"code": "resource_not_found", "message": f"{self.path} not found"})

    def do_POST(self) -> None:
        stand_in = self.server.stand_in
        stand_in.requests.append(self.path)
        target = urlsplit(self.path)
        if not target.path.startswith("/v1/data"):
            self._send(404, {"code": "resource_not_found", "message": f"{target.path} not found"})
            return
        if not stand_in.authorized(self.headers.get("Authorization")):
            self._send(401, {"code": "unauthorized", "message": "missing or invalid bearer token"})
            return
        body = self._read_json()
        if body is None:
            return
        mode = stand_in.mode
        if mode == "slow":
            time.sleep(stand_in.slow_seconds)
        if mode == "http_500":
            self._send(500, {"code": "internal_error", "message": "stand-in told to fail with HTTP 500"})
            return
        if mode == "undefined":
            self._send(200, {})
            return
        if mode == "echo_token":
            self._send(500, {"code": "internal_error", "message": f"bad request with {self.headers.get('Authorization')}"})
            return
        if mode == "no_areas":
            self._send(200, {"decision_id": str(uuid.uuid4()),
                             "result": {"allow": True, "deny": [], "warn": [], "policies": []}})
            return
        self._answer(_path_parts(target.path[len("/v1/data"):]), body.get("input"), parse_qs(target.query, keep_blank_values=True))

    def _answer(self, path: list[str], input: Any, query: dict[str, list[str]]) -> None:
        stand_in = self.server.stand_in
        try:
            value = stand_in.engine.evaluate(path, input)
        except PolicyEvaluationError as error:
            self._send(500, {"code": "internal_error", "message": error.message})
            return
        answer: dict[str, Any] = {"decision_id": str(uuid.uuid4())}
        if value is not UNDEFINED:
            answer["result"] = value
        if _truthy(query, "provenance"):
            answer["provenance"] = {
                "version": "stand-in",
                "bundles": {"mesh": {"revision": stand_in.engine.bundle_revision}},
            }
        stand_in.decision_ids.append(answer["decision_id"])
        self._send(200, answer)

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"code": "invalid_parameter", "message": "body is not valid JSON"})
            return None
        if not isinstance(body, dict):
            self._send(400, {"code": "invalid_parameter", "message": "body must be a JSON object"})
            return None
        return body

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode("utf-8")
        stand_in = self.server.stand_in
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if stand_in.mode == "drip" and status == 200:
                for index in range(len(payload)):
                    self.wfile.write(payload[index:index + 1])
                    self.wfile.flush()
                    time.sleep(stand_in.drip_seconds)
            else:
                self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (slow mode)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    stand_in: OpaStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class OpaStandIn:
    """TEST DOUBLE for an OPA server; see the module docstring. Use as a context manager."""

    def __init__(
        self,
        rego_dir: Path,
        data: Mapping[str, Any],
        *,
        token: str | None = None,
        slow_seconds: float = 3.0,
        drip_seconds: float = 0.05,
    ):
        self.engine = EmbeddedEngine(Path(rego_dir), data)
        self.token = token
        self.slow_seconds = slow_seconds
        self.drip_seconds = drip_seconds
        self.mode = "ok"
        self.requests: list[str] = []
        self.decision_ids: list[str] = []
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def authorized(self, header: str | None) -> bool:
        return self.token is None or header == f"Bearer {self.token}"

    def start(self) -> OpaStandIn:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.stand_in = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="opa-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if mode == "down":
            self.stop()
        elif self._server is None:
            self.start()
        self.mode = mode

    def __enter__(self) -> OpaStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
