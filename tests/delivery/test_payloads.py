"""Machine-facing digest bodies: the JSON webhook payload and Slack/Discord messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from alerts.records import Digest, DigestEntry, RuleSection, digest_from_json
from alerts.render import digest_payload, discord_payload, slack_payload

GOLDEN = Path(__file__).resolve().parent / "golden"
ARTICLE_KEYS = {
    "title",
    "url",
    "source",
    "language",
    "published",
    "detected_at",
    "snippet",
    "matched_terms",
    "also_reported_by",
}


def sample_digest() -> Digest:
    return digest_from_json((GOLDEN / "sample_digest.json").read_text(encoding="utf-8"))


def huge_digest(rules: int = 15, per_rule: int = 40, more: int = 7) -> Digest:
    """Far more than any chat message can hold, with long hostile fields."""
    long_title = "<!channel> @everyone " + "very long title " * 100
    sections = tuple(
        RuleSection(
            rule=f"Rule {r}",
            entries=tuple(
                DigestEntry(
                    title=f"{n} {long_title}",
                    url=f"https://example.org/{r}/{n}?" + "q=1&" * 50,
                    source="Feed " * 80,
                    published=datetime(2026, 11, 28, tzinfo=UTC),
                    snippet="SCO " * 400,
                    highlights=((0, 3),),
                    matched_terms=("SCO",),
                    also_reported_by=tuple(f"Other feed {i}" for i in range(40)),
                )
                for n in range(per_rule)
            ),
            more=more,
        )
        for r in range(rules)
    )
    return Digest(id="big", name="daily", created_at=datetime.now(UTC), sections=sections)


def test_json_payload_has_exactly_the_documented_shape() -> None:
    payload = digest_payload(sample_digest())
    assert set(payload) == {"type", "id", "digest", "created_at", "rules"}
    assert payload["type"] == "digest"
    assert payload["id"] == "run-2026-11-28-daily"
    assert payload["digest"] == "daily"
    assert payload["created_at"] == "2026-11-28T03:00:00Z"
    assert [rule["name"] for rule in payload["rules"]] == ["SCO", "Rogun", "NATO"]
    articles = [a for rule in payload["rules"] for a in rule["articles"]]
    assert all(set(article) == ARTICLE_KEYS for article in articles)
    first = payload["rules"][0]["articles"][0]
    assert first["published"] == "2026-11-27T18:30:00Z"
    assert first["detected_at"] == "2026-11-27T18:31:12Z"  # time to alert starts here
    assert first["also_reported_by"] == ["Eurasianet", "RFE/RL Tajik"]
    assert payload["rules"][1]["articles"][0]["published"] is None
    assert payload["rules"][1]["articles"][0]["detected_at"] is None  # an older outbox row
    # A receiver gets the data as the feed gave it; escaping is the renderer's job.
    assert payload["rules"][0]["articles"][1]["title"].startswith("<script>")
    json.dumps(payload)


def test_slack_message_escapes_control_sequences_and_links_only_web_urls() -> None:
    message = slack_payload(sample_digest())
    texts = [block["text"]["text"] for block in message["blocks"] if block["type"] == "section"]
    hostile = next(text for text in texts if "ministers" in text)
    assert "<!channel>" not in hostile and "&lt;!channel&gt;" in hostile
    assert "javascript" not in hostile
    assert texts[1].startswith("*<https://news.example.org/2026/11/sco-summit?id=7&amp;lang=en|")
    assert "*Shanghai Cooperation Organization*" in texts[1]
    assert message["text"] == "news-monitor daily: 6 new for SCO, Rogun"
    assert message["blocks"][0]["type"] == "header"


def test_slack_message_stays_within_limits_and_counts_what_it_left_out() -> None:
    digest = huge_digest()
    message = slack_payload(digest)
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert len(blocks[0]["text"]["text"]) <= 150
    shown = sum(1 for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("*<"))
    notes = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    noted = sum(int(note.split(" more")[0].split()[-1]) for note in notes)
    assert shown + noted == digest.total


def test_discord_message_never_pings_and_escapes_markdown() -> None:
    message = discord_payload(sample_digest())
    assert message["allowed_mentions"] == {"parse": []}
    first = message["embeds"][0]["description"]
    assert "**[SCO summit in Astana ends with a water pact](https://news.example.org/" in first
    assert "\\@everyone" in first and "\\*\\*bold\\*\\*" in first
    assert "](javascript" not in first
    assert "%22onmouseover=alert%281%29)" in first
    assert [embed["title"] for embed in message["embeds"]] == ["SCO (5)", "Rogun (1)"]


def test_discord_message_stays_within_limits_and_counts_what_it_left_out() -> None:
    digest = huge_digest()
    message = discord_payload(digest)
    embeds = message["embeds"]
    assert len(embeds) <= 10
    assert len(message["content"]) <= 2000
    assert all(len(e["title"]) <= 256 and len(e["description"]) <= 4096 for e in embeds)
    assert sum(len(e["title"]) + len(e["description"]) for e in embeds) <= 6000
    shown = sum(e["description"].count("**[") for e in embeds)
    notes = [
        e["description"].rsplit("… and ", 1)[1] for e in embeds if "… and " in e["description"]
    ]
    noted = sum(int(note.split()[0]) for note in notes)
    noted += int(message["content"].split("\n")[1].split()[0])
    assert shown + noted == digest.total
