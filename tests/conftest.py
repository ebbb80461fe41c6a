"""Shared test helpers: the corpus location, config files and RSS documents built in the test."""

from __future__ import annotations

import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
# testsupport/ (the servers the tests share with the benchmark) is part of the repository, not
# of the installed package.
sys.path.insert(0, str(REPO))

from testsupport.feeds import FeedServer, rss  # noqa: E402

__all__ = ["CORPUS", "REPO", "Clock", "FeedServer", "rss", "write_config"]


def write_config(directory: Path, body: str, name: str = "monitor.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feeds(httpserver) -> FeedServer:  # noqa: ANN001
    return FeedServer(httpserver)


# PostgreSQL (DESIGN §15): one throwaway cluster per session, a database per test ------------


@pytest.fixture(scope="session")
def postgres_cluster():  # noqa: ANN201
    from testsupport.postgres import SKIP_REASON, Cluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(SKIP_REASON)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests skipped: psycopg is not installed (pip install -e '.[dev]')")
    cluster = Cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:  # noqa: ANN001
    """A fresh, empty PostgreSQL database."""
    return postgres_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:  # noqa: ANN001
    """The ``database`` setting of a fresh store on each backend: tests taking it run twice."""
    if request.param == "sqlite":
        return str(tmp_path / "monitor.db")
    return request.getfixturevalue("postgres_url")


# A signed-webhook receiver (tests/servers.py), for the alert tests --------------------------

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def hook():  # noqa: ANN201
    """A webhook receiver on 127.0.0.1 that verifies each signature made with WEBHOOK_SECRET."""
    from servers import WebhookReceiver

    receiver = WebhookReceiver(WEBHOOK_SECRET)
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    """One Chromium for every browser test of the run (their modules skip first without one)."""
    from testsupport.browser import launched

    yield from launched()
