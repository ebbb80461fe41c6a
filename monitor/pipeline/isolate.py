"""Parsing feeds in worker processes with a memory and a time limit.

Entity declarations are stripped before parsing, yet a body within ``max_bytes`` can still cost
a parser minutes of CPU or gigabytes (measured: 200,000 attributes on one element kept
feedparser busy for over a minute; a million unclosed tags took 30 s and 480 MB; 2.6 MB of nested
HTML in a summary took 570 MB). A worker that passes its limit is killed and replaced, and the
feed is recorded with a ParseError like any other broken feed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from monitor.errors import ParseError
from monitor.sources.feed.parse import ParsedFeed
from monitor.sources.registry import parse_source
from monitor.stories.neardup import Fingerprint, fingerprint_bytes, fingerprints

log = logging.getLogger("monitor.isolate")

MEMORY_BYTES = 384 * 2**20  # address space of one worker; a 9 MB real feed peaks near 120 MB
BASE_SECONDS = 5.0
SECONDS_PER_MB = 2.0  # a 9 MB feed takes ~4 s through feedparser on one core
MAX_WORKERS = 4


def time_limit(size: int, *, base: float = BASE_SECONDS, per_mb: float = SECONDS_PER_MB) -> float:
    """Seconds one body of ``size`` bytes may take: generous for real feeds, short for bombs."""
    return base + per_mb * size / 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    function: Callable[..., Any]  # a module-level function: it travels by name
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def _serve(conn: Connection, memory_bytes: int) -> None:
    """The worker's loop: one job at a time until the parent goes away."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            job: _Job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", job.function(*job.args, **job.kwargs))
        except ParseError as exc:
            reply = ("parse", str(exc))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # a parser bug is this feed's error, not the service's
            reply = ("crash", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (OSError, MemoryError):
            return  # the service went away mid-parse, or the answer is too big: the parent sees EOF
        if reply[0] == "memory":
            return  # a worker that ran out of memory may be in any state: start afresh


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext, memory_bytes: int) -> None:
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child, memory_bytes), name="parse-worker", daemon=True
        )
        self.process.start()
        child.close()

    def run(self, job: _Job, seconds: float) -> tuple[str, Any]:
        try:
            self.conn.send(job)
            if not self.conn.poll(seconds):
                return ("timeout", seconds)
            return self.conn.recv()
        except (EOFError, OSError):
            self.process.join(1)
            return ("died", self.process.exitcode)

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class IsolatedParser:
    """A callable like ``parse_source`` that runs it in a small pool of limited worker processes.

    Threads wait for a free worker; the wait does not count against the time limit.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        memory_bytes: int = MEMORY_BYTES,
        base_seconds: float = BASE_SECONDS,
        seconds_per_mb: float = SECONDS_PER_MB,
    ) -> None:
        self.workers = workers or min(os.cpu_count() or 2, MAX_WORKERS)
        self.memory_bytes = memory_bytes
        self.base_seconds = base_seconds
        self.seconds_per_mb = seconds_per_mb
        self._context = multiprocessing.get_context("forkserver")
        # The fork server imports the parsers once; each worker then starts in milliseconds.
        self._context.set_forkserver_preload(
            ["monitor.sources.registry", "monitor.stories.neardup"]
        )
        self._slots = threading.BoundedSemaphore(self.workers)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def __call__(
        self, body: bytes, *, url: str, content_type: str | None = None, **options: Any
    ) -> ParsedFeed:
        kwargs = {"url": url, "content_type": content_type, **options}
        parsed: ParsedFeed = self._run(
            _Job(function=parse_source, args=(body,), kwargs=kwargs), len(body)
        )
        return parsed

    def fingerprints(self, texts: Sequence[tuple[str, str]]) -> list[Fingerprint]:
        """``fingerprint`` of each (title, text), computed in a worker: the polling process
        has its GIL to share with every poll thread."""
        size = sum(len(title) + len(text) for title, text in texts)
        job = _Job(function=fingerprint_bytes, args=(list(texts),), kwargs={})
        return [Fingerprint.from_bytes(blob) for blob in self._run(job, size)]

    def _run(self, job: _Job, size: int) -> Any:
        seconds = time_limit(size, base=self.base_seconds, per_mb=self.seconds_per_mb)
        with self._slots:
            worker = self._take()
            kind, value = worker.run(job, seconds)
            if kind in ("ok", "parse"):
                self._give_back(worker)
            else:
                worker.stop()
        if kind == "ok":
            return value
        raise ParseError(_failure(kind, value, self.memory_bytes))

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise ParseError("parser pool is closed")
            if self._idle:
                return self._idle.pop()
        return _Worker(self._context, self.memory_bytes)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                return
        worker.stop()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


def _failure(kind: str, value: Any, memory_bytes: int) -> str:
    if kind == "timeout":
        return f"parser stopped after {value:.0f} s (the body costs too much to parse)"
    if kind == "memory":
        return f"parser stopped at its {memory_bytes // 2**20} MB memory limit"
    if kind == "died":
        return f"parser process died (exit code {value})"
    if kind == "crash":
        return f"parser failed: {value}"
    return str(value)


_shared: IsolatedParser | None = None
_shared_lock = threading.Lock()


def isolated_parse(
    body: bytes, *, url: str, content_type: str | None = None, **options: Any
) -> ParsedFeed:
    """``parse_feed`` in the process-wide pool (one pool however often the config is reloaded)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = IsolatedParser()
        parser = _shared
    return parser(body, url=url, content_type=content_type, **options)


def isolated_fingerprints(texts: Sequence[tuple[str, str]]) -> list[Fingerprint]:
    """Fingerprints in the process-wide pool; in this process when the pool cannot."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = IsolatedParser()
        parser = _shared
    try:
        return parser.fingerprints(texts)
    except ParseError as exc:
        log.warning("fingerprints computed in process: %s", exc)
        return fingerprints(texts)
