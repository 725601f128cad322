"""The embedded Rego engine, in a process of its own.

regorus can take its whole process down (a stack overflow on deep recursion,
an abort when memory runs out) and has no time limit. So it runs here, in a
child process with an address-space limit, and the parent (:class:`EngineWorker`)
gives every request a deadline: a crash or a hang costs that request and a
restart, never the run.

Protocol: one JSON document per line. The parent sends ``{"policies": [[name,
source], ...], "data": {...}}`` once, then ``{"query": "<ref>", "input": "<json>"}``
per evaluation; the child answers each line with ``{"ok": value}`` (``{"ok": null,
"undefined": true}`` when the document is undefined) or ``{"error": "<message>"}``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any


class WorkerFailure(RuntimeError):
    """The worker died or missed its deadline; ``kind`` is "timeout", "memory" or "crash"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _engine(policies: Sequence[Any], data_json: str) -> Any:
    import regorus

    engine = regorus.Engine()
    for name, source in policies:
        engine.add_policy(name, source)
    engine.add_data_json(data_json)
    return engine


def _error_text(error: BaseException) -> str:
    return str(error).split("Stack backtrace:")[0].strip()


def _serve(stdin: Any, stdout: Any) -> None:
    """One regorus engine for the global policies, and one per domain with custom files (the global
    policies plus that domain's files only): a domain's rules never run for another domain's product."""
    setup = json.loads(stdin.readline())
    data_json = json.dumps(setup["data"])
    domains = setup.get("domains") or {}
    engines: dict[str | None, Any] = {}
    try:
        engines[None] = _engine(setup["policies"], data_json)
        packages = sorted(engines[None].get_packages())
    except BaseException as error:  # regorus reports Rego errors as RuntimeError, panics as BaseException
        stdout.write(json.dumps({"error": _error_text(error)}) + "\n")
        stdout.flush()
        return
    stdout.write(json.dumps({"ok": packages}) + "\n")
    stdout.flush()
    for line in stdin:
        request = json.loads(line)
        domain = request.get("domain") if request.get("domain") in domains else None
        try:
            if domain not in engines:
                engines[domain] = _engine(setup["policies"] + domains[domain], data_json)
            engine = engines[domain]
            engine.set_input_json(request["input"])
            rows = engine.eval_query(request["query"]).get("result") or []
            answer = {"ok": _plain(rows[0]["expressions"][0]["value"])} if rows else {"ok": None, "undefined": True}
        except BaseException as error:
            answer = {"error": _error_text(error)}
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        stdout.flush()


def _limit_memory(pid: int, memory_mb: int) -> None:
    """RLIMIT_AS on the started worker, before it reads its policies (prlimit: no code runs between
    fork and exec in a parent that has threads)."""
    import resource

    limit = memory_mb * 1024 * 1024
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))


class EngineWorker:
    """The parent's handle on one worker process; restarts it after a failure."""

    def __init__(self, policies: Sequence[tuple[str, str]], data: Any, *, timeout_seconds: float,
                 memory_mb: int, domains: Mapping[str, Sequence[tuple[str, str]]] | None = None,
                 load_timeout_seconds: float = 60.0, entry: str = "from datahub_mesh.policy.worker import main; main()"):
        setup = {"policies": [list(p) for p in policies], "data": data,
                 "domains": {d: [list(p) for p in files] for d, files in (domains or {}).items()}}
        self._setup = (json.dumps(setup) + "\n").encode("utf-8")
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.load_timeout_seconds = max(load_timeout_seconds, timeout_seconds)
        self._entry = entry
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self.packages: list[str] = []
        self.restarts = -1

    # --- process life --------------------------------------------------------------------

    def start(self) -> None:
        self.spawn()
        answer = self._exchange(self._setup, self.load_timeout_seconds, "loading the policies")
        if "error" in answer:
            self.stop()
            raise RuntimeError(answer["error"])
        self.packages = answer["ok"]

    def send(self, message: Any) -> None:
        """Write one line to the worker (for workers other than the engine's, see entry)."""
        process = self._process
        assert process is not None and process.stdin is not None
        try:
            process.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
            process.stdin.flush()
        except OSError:
            raise self._died("starting") from None

    def receive(self, timeout: float, what: str) -> Any:
        return self._exchange(b"", timeout, what)

    def spawn(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", self._entry],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
            env={**os.environ, "RUST_BACKTRACE": "0", "PYTHONIOENCODING": "utf-8",
                 "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        self._buffer = b""
        self.restarts += 1
        try:
            _limit_memory(self._process.pid, self.memory_mb)
        except OSError:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    # --- requests --------------------------------------------------------------------------

    def evaluate(self, query: str, input_json: str, domain: str | None = None) -> Any:
        """{"ok": value} or {"error": message}, on the engine of domain (None: the global policies only);
        raises WorkerFailure when the worker dies or misses the deadline."""
        if self._process is None:
            self.start()
        line = (json.dumps({"query": query, "input": input_json, "domain": domain}) + "\n").encode("utf-8")
        return self._exchange(line, self.timeout_seconds, "the decision")

    def _exchange(self, line: bytes, timeout: float, what: str) -> Any:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        deadline = time.monotonic() + timeout
        try:
            if line:
                process.stdin.write(line)
                process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died(what) from None
        fd = process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise WorkerFailure("timeout", f"{what} did not finish within {timeout:g}s; the engine was stopped")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._died(what)
            self._buffer += chunk
        answer, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(answer)

    def _died(self, what: str) -> WorkerFailure:
        process = self._process
        code = process.wait() if process is not None else None
        self.stop()
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            if -code == signal.SIGABRT:
                return WorkerFailure("memory", f"{what} aborted the engine ({name}), most likely by using more "
                                               f"than its {self.memory_mb} MB memory limit")
            return WorkerFailure("crash", f"{what} crashed the engine ({name}, for example by unbounded recursion)")
        if code == 1:
            return WorkerFailure("memory", f"{what} stopped the engine (out of memory: the limit is {self.memory_mb} MB)")
        return WorkerFailure("crash", f"{what} stopped the engine (exit status {code})")


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the worker stops
    try:
        _serve(sys.stdin, sys.stdout)
    except MemoryError:
        os._exit(1)
