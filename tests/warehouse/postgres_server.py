"""A throw-away PostgreSQL server for the tests and benchmarks: Debian's `postgresql` package, run as an
unprivileged user in a temporary directory, on a free port of 127.0.0.1.

initdb and postgres refuse to run as root; when the tests run as root the server runs as the `postgres`
user (created by the Debian package), otherwise as the current user.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _pg_bin() -> Path:
    """PG_BIN, else the newest Debian install (/usr/lib/postgresql/<major>/bin)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return installed[-1].parent if installed else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
SUPERUSER = "mesh"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    superuser: str
    password: str

    def dsn(self, database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        user = user or self.superuser
        password = self.password if password is None else password
        return f"host={self.host} port={self.port} dbname={database} user={user} password={password}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running_server(password: str = "mesh-superuser-pw") -> Iterator[Server]:
    """Starts a server that requires passwords (scram-sha-256) for TCP connections; stops and removes it."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL is not installed ({PG_BIN}/initdb is missing): apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="mesh-pg-"))
    data = root / "data"
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    log = root / "server.log"
    try:
        subprocess.run(_as_server_user([
            str(PG_BIN / "initdb"), "-D", str(data), "-U", SUPERUSER, "--pwfile", str(pwfile),
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C",
        ]), check=True, capture_output=True)
        subprocess.run(_as_server_user([
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            "start",
        ]), check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        detail = (e.stderr or b"").decode(errors="replace") + (log.read_text() if log.exists() else "")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {detail}") from None
    try:
        yield Server(host="127.0.0.1", port=port, superuser=SUPERUSER, password=password)
    finally:
        subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


