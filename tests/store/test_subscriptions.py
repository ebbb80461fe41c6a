"""WebSub subscriptions in the store (DESIGN §17), on both backends: a hub noted once, one
worker of two takes each request to a hub, a verified lease makes the feed pushed, and a
subscription that lapses or is refused brings its feed's next poll back to now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.store.backend import open_database
from monitor.store.records import FeedPoll
from monitor.store.store import Store
from monitor.store.subscriptions import Subscription

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FEED = "https://example.org/feed.xml"
HOLD = timedelta(minutes=2)


def found(hub: str = "https://hub.example/") -> Subscription:
    return Subscription(feed=FEED, callback="c0ffee", hub=hub, topic=FEED, secret="s3cret")


def test_a_subscription_from_discovery_to_lapse(database_url: str) -> None:
    store = Store(open_database(database_url))
    other = Store(open_database(database_url))  # a second worker on the same database
    assert store.note_hub(found(), NOW)
    assert not store.note_hub(found(), NOW)  # the same hub again changes nothing
    assert [s.feed for s in store.claim_subscription_actions(NOW, HOLD)] == [FEED]
    assert other.claim_subscription_actions(NOW, HOLD) == []  # one worker asks the hub

    store.subscription_requested(FEED, leaving=False, now=NOW, retry_at=NOW + HOLD)
    store.subscription_verified(
        FEED, lease_seconds=3600, now=NOW, renew_at=NOW + timedelta(minutes=48)
    )
    live = other.subscription_by_callback("c0ffee")
    assert live is not None and live.live(NOW) and live.secret == "s3cret"
    assert not live.live(NOW + timedelta(hours=1))

    # polled at push_poll while pushed; when the lease runs out unrenewed, polled now
    store.record_poll(
        FeedPoll(
            url=FEED,
            name="Feed",
            polled_at=NOW,
            status=200,
            outcome="ok",
            next_check_at=NOW + timedelta(hours=6),
            failures=0,
        )  # fmt: skip
    )
    later = NOW + timedelta(hours=2)
    assert store.subscriptions_lapsed(later) == [FEED]
    assert store.feed_state(FEED).next_check_at == later
    assert store.subscription(FEED).state == "discovered"


def test_a_new_hub_subscribes_again_and_leaving_forgets(database_url: str) -> None:
    store = Store(open_database(database_url))
    store.note_hub(found(), NOW)
    store.claim_subscription_actions(NOW, HOLD)
    assert store.note_hub(found("https://other-hub.example/"), NOW + HOLD)
    moved = store.subscription(FEED)
    assert moved.hub == "https://other-hub.example/" and moved.secret == "s3cret"
    store.leave_subscriptions([FEED], NOW)
    assert store.subscription(FEED).state == "leaving"
    store.forget_subscription(FEED)
    assert store.subscriptions() == []
