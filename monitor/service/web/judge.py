"""Judgements from the story page ("Not relevant for RULE") and what they lead to: a proposed
refinement of the rule with `NOT` terms, and the rule's precision on the stories judged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for

from monitor.config.load import Config
from monitor.rules import Rule
from monitor.service.explore import search_page
from monitor.service.refine import distinguishing_terms, refined
from monitor.store.browse import Browse
from monitor.store.records import StoredArticle
from monitor.store.workbench import Workbench

KEPT_SAMPLE = 500  # the rule's recent matches the rejected stories are compared with


def judge_routes(
    bp: Blueprint,
    *,
    current: Callable[[], Config],
    store: Browse,
    workbench: Workbench,
    clock: Callable[[], datetime],
) -> None:
    @bp.post("/stories/<article_id>/judge")
    def judge(article_id: str) -> Response:
        rule = request.form.get("rule", "")
        if store.article(article_id) is None or rule not in {r.name for r in current().rules}:
            abort(404)
        relevant = request.form.get("relevant") == "1"
        workbench.judge(article_id=article_id, rule=rule, relevant=relevant, at=clock())
        if relevant:
            return redirect(f"/stories/{article_id}", code=303)  # type: ignore[return-value]
        return redirect(url_for("editor.refine_rule", name=rule), code=303)  # type: ignore[return-value]


def _text(article: StoredArticle) -> str:
    return "\n".join(p for p in (article.title, article.summary, article.text) if p)


def proposal(
    config: Config,
    store: Browse,
    workbench: Workbench,
    fields: dict[str, Any],
    rule: Rule,
    now: datetime,
) -> dict[str, Any]:
    """The refinement the rejected stories suggest: the terms, and the query they make."""
    judged = workbench.judgements(str(fields["name"]))
    rejected_ids = {j.article_id for j in judged if not j.relevant}
    rejected = [_text(a) for i in rejected_ids if (a := store.article(i)) is not None]
    found = search_page(
        config, store, rule, since=timedelta(days=30), now=now, after=None, limit=KEPT_SAMPLE
    )
    kept = [
        f"{hit.found.title}\n{hit.text}" for hit in found.hits if hit.article_id not in rejected_ids
    ]
    kept += [
        _text(a) for j in judged if j.relevant and (a := store.article(j.article_id)) is not None
    ]
    own = {t.casefold() for hit in found.hits for t in hit.found.terms}
    terms = distinguishing_terms(rejected, kept, exclude={str(fields["name"]), *own})
    return {"terms": terms, "query": refined(fields, terms), "rejected": len(rejected)}


def judged_view(store: Browse, workbench: Workbench, rule: str) -> dict[str, Any]:
    """A rule's judged stories and its precision on them."""
    judged = workbench.judgements(rule)
    items = []
    for j in judged:
        article = store.article(j.article_id)
        items.append(
            {
                "id": j.article_id,
                "title": (article.title if article else None) or "(no longer stored)",
                "relevant": j.relevant,
                "at": j.at,
            }
        )
    relevant = sum(1 for j in judged if j.relevant)
    return {
        "items": items,
        "count": len(judged),
        "relevant": relevant,
        "precision": relevant / len(judged) if judged else None,
    }
