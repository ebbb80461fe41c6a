"""The workbench's routes (DESIGN §18): writing, trying and deleting rules, the history of
changes with "Revert". Feeds and judgements add their routes through `feed_routes` and
`judge_routes`. Only the editor token edits: every route here answers 403 to a reader, and
every POST must carry the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from monitor.config import edit
from monitor.config.load import Config
from monitor.service.web import pages
from monitor.service.web.auth import CSRF_FIELD, csrf_ok
from monitor.service.web.changes import Changes, Outcome, diff
from monitor.service.web.deleting import delete_page
from monitor.service.web.entities_edit import entity_routes
from monitor.service.web.feeds_edit import feed_routes
from monitor.service.web.judge import judge_routes, judged_view, proposal
from monitor.service.web.preview import RuleForm, backtest_view, rule_form
from monitor.store.browse import Browse
from monitor.store.workbench import Workbench

HISTORY_PAGE = 20


def editor_routes(
    *,
    current: Callable[[], Config],
    store: Browse,
    clock: Callable[[], datetime],
    reload: Callable[[], None],
) -> Blueprint:
    bp = Blueprint("editor", __name__)
    workbench = Workbench(store.db)
    changes = Changes(path=lambda: current().path, workbench=workbench, clock=clock, reload=reload)

    @bp.before_request
    def _editors_only() -> None:
        if request.endpoint in ("editor.preview", "editor.entities"):
            return  # reads: what a query would match (as /search), the entities' forms
        config = current()
        editor_token = config.web.editor_token if config.web else None
        if g.get("role") != "editor" or editor_token is None:
            abort(403)
        if request.method == "POST" and not csrf_ok(editor_token, request.form.get(CSRF_FIELD)):
            abort(403)

    def show(form: RuleForm, *, original: str | None, status: int = 200, **extra: Any) -> Response:
        config = current()
        context: dict[str, Any] = {
            "form": form,
            "original": original,
            "digests": list(config.digests),
            "preview": None,
            "judged": None,
        }
        context |= extra
        if form.error is None and form.rule is not None and "preview" not in extra:
            context["preview"] = backtest_view(config, store, form.rule, now=clock())
        if original is not None and "judged" not in extra:
            context["judged"] = judged_view(store, workbench, original)
        body = render_template("rule_edit.html", **context)
        return Response(body, status=status, mimetype="text/html")

    @bp.get("/rules/preview")
    def preview() -> str:
        """The backtest beside the form, as an HTML fragment (the live preview's script)."""
        # the rule being edited keeps its other keys (mentions, tags...) in the live preview too
        original = request.args.get("original")
        existing = edit.rule_entry(changes.current().text, original) if original else None
        form = rule_form(request.args, version="", existing=existing, entities=current().entities)
        view = backtest_view(current(), store, form.rule, now=clock()) if form.rule else None
        return render_template("_preview.html", form=form, preview=view)

    @bp.route("/rules/new", methods=["GET", "POST"])
    def new_rule() -> Response:
        snapshot = changes.current()
        if request.method == "GET":
            # ?query=… (the search page's "New rule from this query"): the form starts from it
            digests = list(current().digests)
            typed = {
                "query": request.args.get("query", ""),
                "digest": digests[0] if digests else "",
            }
            form = rule_form(
                typed, version=snapshot.version, existing=None, entities=current().entities
            )
            if form.query:
                return show(form, original=None)
            return show(form, original=None, preview=None)  # an empty form: no backtest yet
        return _submit(original=None)

    @bp.route("/rules/<path:name>/edit", methods=["GET", "POST"])
    def edit_rule(name: str) -> Response:
        snapshot = changes.current()
        fields = edit.rule_entry(snapshot.text, name)
        if fields is None:
            abort(404)
        if request.method == "GET":
            form = RuleForm.of(fields, version=snapshot.version, entities=current().entities)
            return show(form, original=name, saved=request.args.get("saved") == "1")
        return _submit(original=name)

    def _submit(*, original: str | None) -> Response:
        existing = None
        if original is not None:
            existing = edit.rule_entry(changes.current().text, original)
        form = rule_form(
            request.form,
            version=request.form.get("version", ""),
            existing=existing,
            entities=current().entities,
        )
        if request.form.get("action") == "preview":  # a POST without a button name saves
            return show(form, original=original)
        if not form.name:
            form = replace(form, error={"reason": "a rule needs a name", "column": None})
        if form.error is not None:
            return show(form, original=original, status=422)
        outcome = changes.apply(
            version=form.version,
            route=request.path,
            subject=f"rule {form.name}",
            change=lambda text: edit.set_rule(text, original, form.fields()),
        )
        if outcome.saved is None:
            return _refused(form, outcome, original)
        return redirect(url_for("editor.edit_rule", name=form.name, saved="1"), code=303)  # type: ignore[return-value]

    def _refused(form: RuleForm, outcome: Outcome, original: str | None) -> Response:
        if outcome.conflict is not None:
            theirs = edit.rule_fields(outcome.conflict.text, original or form.name)
            # the form keeps what was typed, now over the version on disk: saving again is
            # a decision taken with the other change in view
            kept = form.again(version=outcome.conflict.version)
            return show(kept, original=original, status=409, conflict=_as_yaml(theirs or {}))
        return show(form, original=original, status=422, problems=outcome.problems)

    @bp.route("/rules/<path:name>/delete", methods=["GET", "POST"])
    def delete_rule(name: str) -> Response:
        snapshot = changes.current()
        fields = edit.rule_fields(snapshot.text, name)
        if fields is None:
            abort(404)
        return delete_page(
            changes,
            snapshot,
            template="rule_delete.html",
            name=name,
            fields=_as_yaml(fields),
            subject=f"rule {name}",
            change=lambda text: edit.delete_rule(text, name),
            done="/rules",
        )

    @bp.get("/history")
    def history() -> str:
        page = pages.page_number(request.args.get("page"))
        rows = workbench.changes(limit=HISTORY_PAGE + 1, offset=(page - 1) * HISTORY_PAGE)
        name = current().path.rsplit("/", 1)[-1]
        return render_template(
            "history.html",
            entries=[
                {"change": c, "diff": diff(c.before, c.after, name)} for c in rows[:HISTORY_PAGE]
            ],
            version=changes.current().version,
            paging=pages.Paging(page=page, more=len(rows) > HISTORY_PAGE),
            args={},
            problems=(),
        )

    @bp.post("/history/<int:change_id>/revert")
    def revert(change_id: int) -> Response:
        change = workbench.change(change_id)
        if change is None:
            abort(404)
        outcome = changes.apply(
            version=request.form.get("version", ""),
            route=request.path,
            subject=f"revert of #{change.id} ({change.subject})",
            # the change taken back, later ones kept: with none since, the file as it was before
            change=lambda text: edit.undo(text, change.before, change.after),
        )
        if outcome.saved is None:
            problems = outcome.problems or (
                "The config was changed since this page was shown; nothing was reverted. "
                "The history below is the current one.",
            )
            rows = workbench.changes(limit=HISTORY_PAGE)
            name = current().path.rsplit("/", 1)[-1]
            body = render_template(
                "history.html",
                entries=[{"change": c, "diff": diff(c.before, c.after, name)} for c in rows],
                version=changes.current().version,
                paging=pages.Paging(page=1, more=False),
                args={},
                problems=problems,
            )
            return Response(body, status=409 if outcome.conflict else 422, mimetype="text/html")
        return redirect("/history", code=303)  # type: ignore[return-value]

    @bp.get("/rules/<path:name>/refine")
    def refine_rule(name: str) -> Response:
        """The rule with the `NOT` terms its rejected stories suggest, backtested, unsaved."""
        snapshot = changes.current()
        fields = edit.rule_entry(snapshot.text, name)
        if fields is None:
            abort(404)
        form = RuleForm.of(fields, version=snapshot.version, entities=current().entities)
        if form.rule is None:
            return show(form, original=name)
        proposed = proposal(current(), store, workbench, fields, form.rule, clock())
        typed = {
            "name": form.name,
            "query": proposed["query"],
            "digest": form.digest,
            "priority": form.priority,
        }
        refined = rule_form(
            typed, version=snapshot.version, existing=fields, entities=current().entities
        )
        return show(refined, original=name, proposal=proposed)

    feed_routes(bp, current=current, store=store, changes=changes)
    entity_routes(bp, current=current, store=store, changes=changes, clock=clock)
    judge_routes(bp, current=current, store=store, workbench=workbench, clock=clock)
    return bp


def _as_yaml(fields: dict[str, Any]) -> dict[str, str]:
    """A rule's keys with their values as the file writes them (`[a, b]`, quoted queries)."""
    return {k: edit.pair(k, v).partition(": ")[2] for k, v in fields.items()}
