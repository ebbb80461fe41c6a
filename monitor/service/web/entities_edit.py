"""The entities of DESIGN §16 on the page: each with the forms it will match (as `entities
show` says), edited as rules are: a form, a preview (the forms and the 30-day backtest of
`@Name`), "Save" through the same versioned write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from monitor.config import edit_entities
from monitor.config.load import Config
from monitor.rules import RuleSyntaxError, build_rule
from monitor.rules.entities.declare import EntitySpec, declare, describe
from monitor.service.web import pages
from monitor.service.web.changes import Changes
from monitor.service.web.deleting import delete_page
from monitor.service.web.preview import backtest_view, split_terms
from monitor.store.browse import Browse


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityForm:
    version: str
    name: str = ""
    forms: str = ""  # comma-separated, as typed: terms or "phrases"
    never: str = ""
    described: tuple[str, ...] = ()
    error: dict[str, Any] | None = None
    entity: Any = None


def entity_form(typed: Any, *, version: str) -> EntityForm:
    name = (typed.get("name") or "").strip()
    forms, never = (typed.get("forms") or "").strip(), (typed.get("not") or "").strip()
    form = EntityForm(version=version, name=name, forms=forms, never=never)
    if not split_terms(forms):
        return _with(form, error={"reason": "an entity needs at least one form", "column": None})
    try:
        entity = declare(
            EntitySpec(
                name=name or "New",
                forms=tuple(split_terms(forms)),
                refused=tuple(split_terms(never)),
            )
        )
    except RuleSyntaxError as exc:
        return _with(
            form,
            error={
                "reason": exc.reason,
                "column": exc.column,
                "item": exc.item,
                "caret": pages.caret_line(exc.column),
            },
        )
    return _with(form, entity=entity, described=tuple(describe(entity)))


def _with(form: EntityForm, **changes: Any) -> EntityForm:
    from dataclasses import replace

    return replace(form, **changes)


def entity_routes(
    bp: Blueprint,
    *,
    current: Callable[[], Config],
    store: Browse,
    changes: Changes,
    clock: Callable[[], datetime],
) -> None:
    def show(
        form: EntityForm, *, original: str | None, status: int = 200, **extra: Any
    ) -> Response:
        config = current()
        preview = None
        if form.entity is not None and form.name:
            known = {**config.entities, form.name: form.entity}
            rule = build_rule(name=form.name, query=f"@{form.name}", entities=known)
            preview = backtest_view(config, store, rule, now=clock())
        body = render_template(
            "entity_edit.html", form=form, original=original, preview=preview, **extra
        )
        return Response(body, status=status, mimetype="text/html")

    @bp.get("/entities")
    def entities() -> str:
        listed = [
            {
                "name": e.name,
                "forms": [f.source for f in e.forms],
                "refused": list(e.refused),
                "described": describe(e)[1:],
            }
            for e in current().entities.values()
        ]
        return render_template("entities.html", entities=listed)

    @bp.route("/entities/new", methods=["GET", "POST"])
    def new_entity() -> Response:
        if request.method == "GET":
            return show(EntityForm(version=changes.current().version), original=None)
        return _submit(None)

    @bp.route("/entities/<name>/edit", methods=["GET", "POST"])
    def edit_entity(name: str) -> Response:
        snapshot = changes.current()
        fields = edit_entities.entity_fields(snapshot.text, name)
        if fields is None:
            abort(404)
        if request.method == "GET":
            typed = {
                "name": name,
                "forms": ", ".join(fields["forms"]),
                "not": ", ".join(fields["not"]),
            }
            form = entity_form(typed, version=snapshot.version)
            return show(form, original=name, saved=request.args.get("saved") == "1")
        return _submit(name)

    def _submit(original: str | None) -> Response:
        form = entity_form(request.form, version=request.form.get("version", ""))
        if request.form.get("action") == "preview":  # a POST without a button name saves
            return show(form, original=original)
        if form.error is not None or not form.name:
            error = form.error or {"reason": "an entity needs a name", "column": None}
            return show(_with(form, error=error), original=original, status=422)
        outcome = changes.apply(
            version=form.version,
            route=request.path,
            subject=f"entity {form.name}",
            change=lambda text: edit_entities.set_entity(
                text, original, form.name, split_terms(form.forms), split_terms(form.never)
            ),
        )
        if outcome.conflict is not None:
            kept = _with(form, version=outcome.conflict.version)
            theirs = edit_entities.entity_fields(outcome.conflict.text, original or form.name)
            return show(kept, original=original, status=409, conflict=theirs or {})
        if outcome.saved is None:
            return show(form, original=original, status=422, problems=outcome.problems)
        return redirect(url_for("editor.edit_entity", name=form.name, saved="1"), code=303)  # type: ignore[return-value]

    @bp.route("/entities/<name>/delete", methods=["GET", "POST"])
    def delete_entity(name: str) -> Response:
        snapshot = changes.current()
        fields = edit_entities.entity_fields(snapshot.text, name)
        if fields is None:
            abort(404)
        return delete_page(
            changes,
            snapshot,
            template="entity_delete.html",
            name=name,
            fields=fields,
            subject=f"entity {name}",
            change=lambda text: edit_entities.delete_entity(text, name),
            done="/entities",
        )
