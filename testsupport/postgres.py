"""A throwaway PostgreSQL cluster for the tests and the workers benchmark (bench/workers.py),
started from the machine's server binaries.

initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user (the
Debian/Ubuntu packages create it). The server listens on a free loopback port with its socket
in a fresh temporary directory; each test gets a database of its own. Without binaries the
tests that need it are skipped with the reason, never silently passed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

SKIP_REASON = (
    "PostgreSQL tests skipped: no PostgreSQL server binaries (initdb, pg_ctl) on this machine; "
    "install postgresql-15 (or set NEWS_MONITOR_PG_BIN) to run them"
)


def find_bin_dir() -> Path | None:
    candidates = [os.environ.get("NEWS_MONITOR_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
        ):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb + pg_ctl start in a temporary directory; `stop()` removes it all."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="nm-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run(
            [self.bin / "initdb", "-D", self.data, "-U", "monitor", "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync"]
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            [
                self.bin / "pg_ctl",
                "-D",
                self.data,
                "-l",
                self.root / "log",
                "-o",
                options,
                "-w",
                "start",
            ]
        )
        self.url = f"postgresql://monitor@127.0.0.1:{self.port}/postgres"

    def _run(self, argv: list) -> None:
        command = [str(a) for a in argv]
        if self.as_postgres:
            command = [
                "su",
                "postgres",
                "-s",
                "/bin/sh",
                "-c",
                " ".join(_quote(a) for a in command),
            ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def new_database(self) -> str:
        """A fresh empty database on the cluster; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        try:
            self._run([self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            time.sleep(0.1)
            shutil.rmtree(self.root, ignore_errors=True)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"
