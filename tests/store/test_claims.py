"""Which due feeds a worker claims first: the most overdue, and among feeds due alike one
publisher at a time, so that a claimed batch spreads over hosts and the per-host politeness
limit does not leave the poll threads waiting on one host (DESIGN §15)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from monitor.store.backend import open_database
from monitor.store.store import Store

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def urls(hosts: int, per_host: int) -> list[str]:
    return [
        f"http://127.0.0.{h + 1}/feeds/{n:03d}.xml" for h in range(hosts) for n in range(per_host)
    ]


def hosts_of(claimed: list[str]) -> Counter[str]:
    return Counter(urlsplit(url).netloc for url in claimed)


def test_a_batch_of_new_feeds_spreads_over_their_hosts(database_url: str) -> None:
    store = Store(open_database(database_url))
    claimed = store.claim_due_feeds(urls(4, 20), NOW, owner="one", lease=LEASE, limit=8)
    assert hosts_of(claimed) == {f"127.0.0.{h + 1}": 2 for h in range(4)}
    # the next worker takes the next of each host, not the rest of the first host
    more = store.claim_due_feeds(urls(4, 20), NOW, owner="two", lease=LEASE, limit=8)
    assert hosts_of(more) == hosts_of(claimed) and not set(more) & set(claimed)


def test_the_most_overdue_feed_still_comes_first(database_url: str) -> None:
    store = Store(open_database(database_url))
    feeds = urls(2, 5)
    store.claim_due_feeds(feeds, NOW, owner="one", lease=LEASE, limit=len(feeds))
    store.release_feeds("one")
    late = feeds[7]  # due an hour before the others: it waited longest
    with store.db.write() as conn:
        conn.execute(
            "UPDATE feeds SET next_check_at = ?", ((NOW - timedelta(minutes=5)).isoformat(),)
        )
        conn.execute(
            "UPDATE feeds SET next_check_at = ? WHERE url = ?",
            ((NOW - timedelta(hours=1)).isoformat(), late),
        )
    assert store.claim_due_feeds(feeds, NOW, owner="two", lease=LEASE, limit=1) == [late]
