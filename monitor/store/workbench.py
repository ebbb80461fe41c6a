"""The workbench's records (DESIGN §18): each change the web page made to the config file,
with the text before and after it (for the diff and "Revert"), and the analysts' judgements
of stories a rule matched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.store.db import Database
from monitor.store.records import from_iso, iso


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigChange:
    id: int
    at: datetime
    who: str  # "editor": the page has one editing role, not named people
    route: str
    subject: str  # what changed, e.g. "rule Rogun", "feed https://..."
    before: str
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Judgement:
    article_id: str
    rule: str
    relevant: bool
    at: datetime


class Workbench:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record_change(
        self, *, at: datetime, who: str, route: str, subject: str, before: str, after: str
    ) -> int:
        with self.db.write() as conn:
            row = conn.execute(
                """INSERT INTO config_changes (at, who, route, subject, before, after)
                   VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
                (iso(at), who, route, subject, before, after),
            ).fetchone()
        return int(row[0])

    def changes(self, *, limit: int, offset: int = 0) -> list[ConfigChange]:
        """Newest first."""
        rows = self.db.query(
            "SELECT * FROM config_changes ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_change(r) for r in rows]

    def change(self, change_id: int) -> ConfigChange | None:
        rows = self.db.query("SELECT * FROM config_changes WHERE id = ?", (change_id,))
        return _change(rows[0]) if rows else None

    def judge(self, *, article_id: str, rule: str, relevant: bool, at: datetime) -> None:
        with self.db.write() as conn:
            conn.execute(
                """INSERT INTO judgements (article_id, rule, relevant, at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (article_id, rule) DO UPDATE SET relevant = excluded.relevant,
                   at = excluded.at""",
                (article_id, rule, 1 if relevant else 0, iso(at)),
            )

    def judgements(self, rule: str) -> list[Judgement]:
        """A rule's judgements, newest first."""
        rows = self.db.query(
            "SELECT * FROM judgements WHERE rule = ? ORDER BY at DESC, article_id", (rule,)
        )
        return [
            Judgement(
                article_id=r["article_id"],
                rule=r["rule"],
                relevant=r["relevant"] != 0,
                at=_at(r["at"]),
            )
            for r in rows
        ]


def _change(row: object) -> ConfigChange:
    r: dict = dict(row)  # type: ignore[call-overload]
    return ConfigChange(
        id=int(r["id"]),
        at=_at(r["at"]),
        who=r["who"],
        route=r["route"],
        subject=r["subject"],
        before=r["before"],
        after=r["after"],
    )


def _at(text: str) -> datetime:
    moment = from_iso(text)
    assert moment is not None
    return moment
