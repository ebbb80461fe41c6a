"""Judging benchmark figures against the targets of the performance issue, and the printed table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Runs = dict[str, dict[str, Any]]
POLL_RUNS = ("cold", "warm", "changed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    name: str
    figure: Callable[[Runs], float]
    limit: float
    at_most: bool  # True: the figure must not exceed the limit; False: must reach it
    stretch: float | None = None
    needs: str | None = None  # a run that may be skipped (an optional tool): no figure then

    def met(self, value: float, limit: float) -> bool:
        return value <= limit if self.at_most else value >= limit


def _ratio(a: str, b: str) -> Callable[[Runs], float]:
    return lambda runs: runs[a]["wall_s"] / runs[b]["wall_s"]


TARGETS = (
    # Issue 29's bounds, on a world whose articles share real paragraphs (bench/world.py).
    Target(
        name="cold / floor", figure=_ratio("cold", "floor"), limit=1.0, at_most=True, stretch=0.5
    ),
    Target(name="warm / bare GET", figure=_ratio("warm", "bare_get"), limit=1.5, at_most=True),
    Target(
        name="warm command / bare GET",
        figure=_ratio("warm_command", "bare_get"),
        limit=1.5,
        at_most=True,
        needs="warm_command",
    ),
    Target(
        name="cold / rss2email",
        figure=_ratio("cold", "rss2email"),
        limit=0.25,
        at_most=True,
        needs="rss2email",
    ),
    Target(name="changed / floor", figure=_ratio("changed", "floor"), limit=0.8, at_most=True),
    Target(
        name="peak RSS of a poll run (MB)",
        figure=lambda runs: max(runs[name]["peak_rss_mb"] for name in POLL_RUNS),
        limit=400,
        at_most=True,
    ),
    Target(
        name="matching, 1,000 rules (articles/s)",
        figure=lambda runs: runs["rules"]["articles_per_s"],
        limit=5000,
        at_most=False,
    ),
    # The syndication rounds (bench/syndication.py): folding as history grows, and how well.
    Target(
        name="syndication last / first rounds",
        figure=lambda runs: (
            runs["syndication"]["late_round_s"] / runs["syndication"]["early_round_s"]
        ),
        limit=1.2,
        at_most=True,
    ),
    Target(
        name="syndication last round / floor",
        figure=lambda runs: (
            runs["syndication"]["last_round_s"] / runs["syndication"]["floor_last_s"]
        ),
        limit=1.0,
        at_most=True,
    ),
    Target(
        name="folding pair precision",
        figure=lambda runs: runs["syndication"]["precision"],
        limit=0.995,
        at_most=False,
    ),
    Target(
        name="folding pair recall",
        figure=lambda runs: runs["syndication"]["recall"],
        limit=0.97,
        at_most=False,
    ),
)


def assess(runs: Runs) -> list[dict[str, Any]]:
    """Each target with its figure from these runs and whether it was met."""
    out = []
    for target in TARGETS:
        if target.needs and runs.get(target.needs, {}).get("skipped"):
            continue
        try:
            value = target.figure(runs)
        except KeyError:  # a run left out (--cycle-only)
            continue
        row: dict[str, Any] = {
            "name": target.name,
            "value": round(value, 3),
            "limit": target.limit,
            "at_most": target.at_most,
            "pass": target.met(value, target.limit),
        }
        if target.stretch is not None:
            row["stretch"] = target.stretch
            row["stretch_pass"] = target.met(value, target.stretch)
        out.append(row)
    return out


def format_table(results: dict[str, Any]) -> str:
    runs: Runs = results["runs"]
    world = results["world"]
    lines = [
        f"news-monitor bench: {world['feeds']} feeds x {world['items']} items, "
        f"{results['options']['workers']} workers",
        "",
        f"{'run':<22}{'wall s':>9}{'items':>9}{'items/s':>10}{'RSS MB':>9}  notes",
    ]
    for name, label in (
        ("floor", "floor (feedparser)"),
        ("bare_get", "bare conditional GET"),
        ("cold", "cold run --once"),
        ("rss2email", "rss2email, cold"),
        ("warm", "warm run --once"),
        ("warm_command", "warm, whole command"),
        ("changed", "changed run --once"),
        ("rules", "rule matching"),
        ("syndication", "syndication rounds"),
    ):
        run = runs.get(name)
        if run is None:
            continue
        if run.get("skipped"):
            lines.append(f"{label:<22}{'-':>9}{'':>9}{'':>10}{'':>9}  skipped: {run['skipped']}")
            continue
        items = run.get("items", run.get("articles", ""))
        rate = run.get("items_per_s", run.get("articles_per_s", ""))
        lines.append(
            f"{label:<22}{run['wall_s']:>9.2f}{items:>9}{rate:>10}{run['peak_rss_mb']:>9.0f}  "
            + _notes(name, run)
        )
    lines += ["", f"{'target':<38}{'figure':>9}  {'goal':<22}result"]
    for row in results["targets"]:
        goal = f"{'<=' if row['at_most'] else '>='} {row['limit']:g}"
        verdict = "pass" if row["pass"] else "MISS"
        if "stretch" in row:
            goal += f" (stretch {row['stretch']:g})"
            verdict += ", stretch met" if row["stretch_pass"] else ""
        lines.append(f"{row['name']:<38}{row['value']:>9.3f}  {goal:<22}{verdict}")
    return "\n".join(lines)


def _notes(name: str, run: dict[str, Any]) -> str:
    if name == "rules":
        per_article = run.get("matches_per_article", "?")
        return f"{run['rules']} rules, {per_article} matches/article, CPU time"
    if name == "syndication":
        return (
            f"{run['feeds']} outlets x {run['rounds']} rounds; round s: first "
            f"{run['early_round_s']:.2f}, last {run['late_round_s']:.2f}; floor "
            f"{run['floor_first_s']:.2f} -> {run['floor_last_s']:.2f}; pairs P "
            f"{run['precision']:.4f} R {run['recall']:.4f}"
        )
    if name == "bare_get":
        return f"statuses {run['statuses']}"
    if "outcomes" in run:
        return (
            f"{run['new_articles']} new, {run['matches']} matches, setup {run['setup_s']:.2f} s, "
            f"{run['outcomes']}"
        )
    return ""
