"""Quiet hours, caps and urgent rules on real polls, a real signed-webhook receiver and an
injected clock: what waits goes out once, as one digest, even across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import WEBHOOK_SECRET, Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, webhook_json

from monitor.cli.main import main
from monitor.config.load import load_config
from monitor.digest.release import digest_hold
from monitor.service.app import App, build_app, release_held, run_once, send_scheduled_digest


class Desk:
    """One feed whose stories the test publishes, a config around it, and the app."""

    def __init__(
        self, tmp_path: Path, feeds: FeedServer, hook: WebhookReceiver, clock: Clock, digests: str
    ) -> None:
        self.feeds, self.clock = feeds, clock
        self.stories = [self.item(0, "Old news.")]
        url = feeds.set("/desk.xml", rss(self.stories))
        self.path = write_config(
            tmp_path,
            f"""
            database: {tmp_path / "monitor.db"}
            feeds:
              - {{url: "{url}", name: Desk}}
            rules:
              - {{name: Rogun, any: [Rogun], digest: instant}}
              - {{name: Alarm, any: [Alarm], digest: instant, priority: urgent}}
              - {{name: SCO, any: [SCO], digest: evening}}
            digests:
{digests}
            channels:
              hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
            """,
        )
        self.app = self.start()
        run_once(self.app)  # the backlog: stored, never alerted

    def start(self) -> App:
        return build_app(load_config(self.path), clock=self.clock)

    def item(self, n: int, text: str) -> dict:
        return {
            "title": f"Story {n}",
            "link": f"https://news.example.org/{n}",
            "guid": f"g{n}",
            "description": text,
            "pubDate": self.clock.now - timedelta(minutes=1),
        }

    def publish(self, text: str) -> None:
        self.stories.append(self.item(len(self.stories), text))
        self.feeds.set("/desk.xml", rss(self.stories))
        run_once(self.app)


def titles(delivery: dict) -> list[str]:
    body = webhook_json(delivery)
    return sorted(a["title"] for rule in body["rules"] for a in rule["articles"])


QUIET = """\
              instant: {schedule: instant, channels: [hook], quiet_hours: "22:00-07:00"}
              evening: {schedule: "0 23 * * *", channels: [hook], quiet_hours: "22:00-07:00"}
"""


def test_matches_in_quiet_hours_wait_and_go_as_one_digest_within_a_minute_of_the_end(
    tmp_path, feeds, hook, clock
) -> None:
    clock.now = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    desk = Desk(tmp_path, feeds, hook, clock, QUIET)
    clock.now = datetime(2026, 11, 2, 23, 10, tzinfo=UTC)
    desk.publish("Rogun dam at night.")
    clock.advance(hours=3)
    desk.publish("Rogun again, 2 a.m.")
    clock.now = datetime(2026, 11, 3, 6, 59, 40, tzinfo=UTC)
    release_held(desk.app)
    assert hook.deliveries == []

    clock.now = datetime(2026, 11, 3, 7, 0, 20, tzinfo=UTC)  # the service's release job, 20 s on
    release_held(desk.app)
    assert len(hook.deliveries) == 1
    assert titles(hook.deliveries[0]) == ["Story 1", "Story 2"]
    release_held(desk.app)
    desk.publish("Rogun in the morning.")  # daytime: goes at once, on its own
    assert [titles(d) for d in hook.deliveries[1:]] == [["Story 3"]]


def test_a_restart_in_the_middle_of_quiet_hours_loses_nothing_and_sends_it_once(
    tmp_path, feeds, hook, clock
) -> None:
    clock.now = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    desk = Desk(tmp_path, feeds, hook, clock, QUIET)
    clock.now = datetime(2026, 11, 2, 23, 10, tzinfo=UTC)
    desk.publish("Rogun dam at night.")
    send_scheduled_digest(desk.app, "evening")  # its 23:00 run, held by the quiet hours
    desk.publish("SCO summit overnight.")

    desk.app = desk.start()  # a restart (or a reload): a new process on the same database
    clock.now = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
    release_held(desk.app)
    assert hook.deliveries == []
    clock.now = datetime(2026, 11, 3, 7, 0, 5, tzinfo=UTC)
    release_held(desk.app)
    desk.app = desk.start()
    release_held(desk.app)
    by_digest = {webhook_json(d)["digest"]: d for d in hook.deliveries}
    assert len(hook.deliveries) == 2
    assert titles(by_digest["instant"]) == ["Story 1"]
    assert titles(by_digest["evening"]) == ["Story 2"]


def test_an_urgent_rule_breaks_through_quiet_hours_alone(tmp_path, feeds, hook, clock) -> None:
    clock.now = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    desk = Desk(tmp_path, feeds, hook, clock, QUIET)
    clock.now = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    desk.publish("Rogun, routine.")
    desk.publish("Alarm: the dam is overflowing.")
    assert [titles(d) for d in hook.deliveries] == [["Story 2"]]
    clock.now = datetime(2026, 11, 3, 7, 0, 30, tzinfo=UTC)
    release_held(desk.app)
    assert [titles(d) for d in hook.deliveries] == [["Story 2"], ["Story 1"]]


CAPPED = """\
              instant: {schedule: instant, channels: [hook], max_per_hour: 2}
              evening: {schedule: "0 23 * * *", channels: [hook]}
"""


def test_sends_past_max_per_hour_wait_for_the_next_allowed_send_across_the_hour(
    tmp_path, feeds, hook, clock
) -> None:
    clock.now = datetime(2026, 11, 2, 10, 40, tzinfo=UTC)
    desk = Desk(tmp_path, feeds, hook, clock, CAPPED)
    clock.now = datetime(2026, 11, 2, 10, 50, tzinfo=UTC)
    desk.publish("Rogun one.")
    clock.now = datetime(2026, 11, 2, 10, 55, tzinfo=UTC)
    desk.publish("Rogun two.")
    clock.now = datetime(2026, 11, 2, 11, 5, tzinfo=UTC)  # a new clock hour: still capped
    desk.publish("Rogun three.")
    clock.now = datetime(2026, 11, 2, 11, 20, tzinfo=UTC)
    desk.publish("Rogun four.")
    assert [titles(d) for d in hook.deliveries] == [["Story 1"], ["Story 2"]]

    preview = CliRunner().invoke(main, ["digest", "preview", "instant", "--config", str(desk.path)])
    assert preview.exit_code == 0, preview.output
    assert "Story 3" in preview.output and "Story 4" in preview.output
    waiting = digest_hold(desk.app.db, desk.app.config.digests["instant"], clock.now)
    assert waiting is not None and waiting.reason == "max_per_hour 2"
    assert waiting.until == datetime(2026, 11, 2, 11, 50, tzinfo=UTC)

    clock.now = datetime(2026, 11, 2, 11, 49, 50, tzinfo=UTC)
    release_held(desk.app)
    assert len(hook.deliveries) == 2
    clock.now = datetime(2026, 11, 2, 11, 50, 10, tzinfo=UTC)
    release_held(desk.app)
    assert [titles(d) for d in hook.deliveries[2:]] == [["Story 3", "Story 4"]]
    release_held(desk.app)
    assert len(hook.deliveries) == 3


def test_an_urgent_rule_breaks_through_the_cap(tmp_path, feeds, hook, clock) -> None:
    clock.now = datetime(2026, 11, 2, 10, 40, tzinfo=UTC)
    desk = Desk(tmp_path, feeds, hook, clock, CAPPED)
    for minute, text in (
        (50, "Rogun one."),
        (51, "Rogun two."),
        (52, "Rogun three."),
        (53, "Alarm!"),
    ):
        clock.now = datetime(2026, 11, 2, 10, minute, tzinfo=UTC)
        desk.publish(text)
    assert [titles(d) for d in hook.deliveries] == [["Story 1"], ["Story 2"], ["Story 4"]]
