"""The WebSub subscriber's work (DESIGN §17): subscribing to the hubs feeds name, renewing
before a lease ends, leaving feeds gone from the config, answering a hub's verification of
intent, and reading what it pushes through the path a poll takes (`refresh_feed`).

Its state lives in `websub_subscriptions`, so any worker may answer a hub and one worker at a
time talks to a hub about a subscription (a claim on its next action). The callbacks are served
by the web page (`monitor/service/web/websub.py`) under `public_url`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor import metrics
from monitor.config.load import FeedConfig
from monitor.errors import FetchError
from monitor.pipeline.refresh import FeedOutcome, refresh_feed
from monitor.secrets import mask, mask_url
from monitor.service.app import App, send_instant_digests
from monitor.sources.fetch import FetchResult
from monitor.sources.websub import hub_request, signature_ok
from monitor.store.subscriptions import Subscription

log = logging.getLogger("monitor.websub")

CALLBACK_PATH = "/websub/"
LEASE_ASKED = 10 * 86400  # the lease asked for; the hub decides, and says so when it verifies
DEFAULT_LEASE = 86400  # a verification that names no lease: renewed within a day
CLAIM_HOLD = timedelta(minutes=2)  # a worker's hold on a subscription while it asks the hub
VERIFY_WAIT = timedelta(minutes=10)  # a request the hub has not verified by then is made again
RETRY_FIRST, RETRY_MOST = timedelta(minutes=5), timedelta(hours=6)
RENEW_AT = 0.8  # of the lease: renewed well before it ends, with time for a retry or two


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The answer to a hub's GET on a callback."""

    status: int
    body: str = ""
    outcome: str = "refused"  # confirmed, ended, denied, refused (counted in /metrics)


def callback_url(public_url: str, subscription: Subscription) -> str:
    return f"{public_url}{CALLBACK_PATH}{subscription.callback}"


def retry_delay(failures: int) -> timedelta:
    return min(RETRY_FIRST * 2 ** min(max(failures - 1, 0), 10), RETRY_MOST)


def verdict(subscription: Subscription | None, args: Mapping[str, str]) -> Verdict:
    """Whether a verification names a subscription we asked for, in the mode we asked (pure).

    ``subscribe`` is confirmed for a subscription requested or live (a hub may verify again
    when it renews on its own); ``unsubscribe`` only for one we are leaving; ``denied`` is
    taken note of. Anything else (a topic or mode never asked for) is refused with a 404.
    """
    mode, topic = args.get("hub.mode", ""), args.get("hub.topic", "")
    if subscription is None or topic != subscription.topic:
        return Verdict(status=404, body="no such subscription")
    challenge = args.get("hub.challenge", "")
    if mode == "denied":
        return Verdict(status=200, outcome="denied")
    if not challenge:
        return Verdict(status=400, body="hub.challenge missing")
    if mode == "subscribe" and subscription.state in ("requested", "active"):
        return Verdict(status=200, body=challenge, outcome="confirmed")
    if mode == "unsubscribe" and subscription.state == "leaving":
        return Verdict(status=200, body=challenge, outcome="ended")
    return Verdict(status=404, body="not asked for")


def push_state(subscription: Subscription | None) -> str | None:
    """A feed's subscription in words, as `feeds` and the /feeds page show it."""
    if subscription is None:
        return None
    text = f"push {subscription.state} via {mask_url(subscription.hub)}"
    if subscription.lease_until is not None:
        text += f", lease until {subscription.lease_until:%Y-%m-%d %H:%M} UTC"
    if subscription.pushes:
        text += f", {subscription.pushes} pushes"
    if subscription.error and subscription.state in ("failed", "denied"):
        text += f": {mask(subscription.error)[:120]}"
    return text


def lease_of(args: Mapping[str, str]) -> int:
    text = args.get("hub.lease_seconds", "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_LEASE


class Subscriber:
    """The subscriber as the service runs it: ``current`` gives the running App (a reload
    makes a new one), ``submit`` runs a pushed document's reading off the web thread."""

    def __init__(self, current: Callable[[], App], submit: Callable[..., object]) -> None:
        self._current = current
        self._submit = submit

    # the hubs' requests ----------------------------------------------------------------

    def verify(self, callback: str, args: Mapping[str, str]) -> Verdict:
        app = self._current()
        subscription = app.store.subscription_by_callback(callback)
        answer = verdict(subscription, args)
        metrics.record_websub_verification(answer.outcome)
        now = app.clock()
        if subscription is None or answer.status != 200:
            log.warning(
                "websub verification refused callback=%s mode=%s",
                callback,
                args.get("hub.mode", "")[:20],
            )
        elif answer.outcome == "confirmed":
            lease = lease_of(args)
            app.store.subscription_verified(
                subscription.feed,
                lease_seconds=lease,
                now=now,
                renew_at=now + timedelta(seconds=lease * RENEW_AT),
            )
            log.info("websub subscribed feed=%s lease_seconds=%d", subscription.feed, lease)
        elif answer.outcome == "ended":
            app.store.forget_subscription(subscription.feed)
            log.info("websub unsubscribed feed=%s", subscription.feed)
        elif answer.outcome == "denied":
            reason = args.get("hub.reason", "")[:200] or "denied by the hub"
            app.store.subscription_refused(
                subscription.feed,
                state="denied",
                error=reason,
                retry_at=now + RETRY_MOST,
                now=now,
            )
            log.warning("websub denied feed=%s reason=%s", subscription.feed, reason)
        return answer

    def max_bytes(self, callback: str) -> int:
        """The body a push may carry: its feed's max_bytes (the poll's cap)."""
        app = self._current()
        subscription = app.store.subscription_by_callback(callback)
        feed = app.config.feed(subscription.feed) if subscription else None
        return feed.max_bytes if feed else 1_000_000

    def push(self, callback: str, body: bytes, signature: str | None, content_type: str) -> int:
        """A hub's content POST: checked, then read like a poll's document on the pool. The
        answer is 2xx for a bad signature too (the specification's advice: a forger learns
        nothing), 410 for a subscription that is not ours (a hub may drop it then)."""
        app = self._current()
        subscription = app.store.subscription_by_callback(callback)
        feed = app.config.feed(subscription.feed) if subscription else None
        if subscription is None or feed is None or subscription.state == "leaving":
            metrics.record_websub_push("unknown")
            return 410
        if not signature_ok(subscription.secret, body, signature):
            metrics.record_websub_push("bad_signature")
            log.warning("websub push dropped: bad or missing signature feed=%s", feed.url)
            return 202
        metrics.record_websub_push("accepted")
        app.store.record_push(feed.url, app.clock())
        pushed = FetchResult(
            url=subscription.topic,
            final_url=subscription.topic,
            status=200,
            body=body,
            etag=None,
            last_modified=None,
            content_type=content_type or None,
            permanent_redirect=None,
            retry_after=None,
            max_age=None,
            elapsed=0.0,
        )
        self._submit(read_push, app, feed, pushed)
        return 202

    # talking to hubs -------------------------------------------------------------------

    def tend(self) -> None:
        """Leave the feeds gone from the config, notice lapsed leases, then make every request
        whose time has come (subscribe, renew, retry, unsubscribe)."""
        app = self._current()
        if not app.config.public_url:
            return
        now = app.clock()
        configured = {f.url for f in app.config.feeds}
        gone = [
            s.feed
            for s in app.store.subscriptions()
            if s.feed not in configured and s.state != "leaving"
        ]
        app.store.leave_subscriptions(gone, now)
        for feed in app.store.subscriptions_lapsed(now):
            log.warning("websub lease ran out feed=%s: subscribing again", feed)
        for subscription in app.store.claim_subscription_actions(now, CLAIM_HOLD):
            try:
                self._ask(app, subscription, now, leaving=subscription.feed not in configured)
            except Exception:  # one hub's surprise must not stop the others
                log.exception("websub request crashed feed=%s", subscription.feed)

    def _ask(self, app: App, subscription: Subscription, now: datetime, *, leaving: bool) -> None:
        assert app.config.public_url
        if leaving and subscription.state == "leaving" and subscription.requested_at:
            # asked once already and never verified: the hub's lease will run out, and
            # anything it still pushes is answered 410
            app.store.forget_subscription(subscription.feed)
            return
        form = {
            "hub.callback": callback_url(app.config.public_url, subscription),
            "hub.mode": "unsubscribe" if leaving else "subscribe",
            "hub.topic": subscription.topic,
        }
        if not leaving:
            form |= {"hub.secret": subscription.secret, "hub.lease_seconds": str(LEASE_ASKED)}
        # Written first: a hub may verify before it answers this request.
        app.store.subscription_requested(
            subscription.feed, leaving=leaving, now=now, retry_at=now + VERIFY_WAIT
        )
        try:
            answer = hub_request(
                app.ctx.session,
                subscription.hub,
                form,
                guard=not app.config.allow_private_networks,
            )
        except FetchError as exc:
            error = str(exc)
        else:
            if 200 <= answer.status < 300:
                log.info(
                    "websub %s requested feed=%s hub=%s",
                    form["hub.mode"],
                    subscription.feed,
                    subscription.hub,
                )
                return
            error = f"hub answered HTTP {answer.status}: {answer.text[:200]}"
        log.warning("websub request failed feed=%s: %s", subscription.feed, error)
        if leaving:
            app.store.forget_subscription(subscription.feed)
            return
        app.store.subscription_refused(
            subscription.feed,
            state="failed",
            error=error,
            retry_at=now + retry_delay(subscription.failures + 1),
            now=now,
        )


def read_push(app: App, feed: FeedConfig, pushed: FetchResult) -> FeedOutcome:
    """A pushed document, read like a polled one; its matches go out as a poll's would."""
    outcome = refresh_feed(feed, app.ctx, pushed=pushed)
    log.info(
        "websub push read feed=%s entries=%d new_articles=%d matches=%d",
        feed.url,
        outcome.entries,
        outcome.new_articles,
        outcome.matches,
    )
    if outcome.matches:
        try:
            send_instant_digests(app)
        except Exception:
            log.exception("instant digest failed after push feed=%s", feed.url)
    return outcome
