"""Removing one rule or entity from the page: a page that asks first, then one change of the
config through `Changes.apply`, refused with the loader's problems or the newer version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, redirect, render_template, request

from monitor.config.write import Snapshot
from monitor.service.web.changes import Changes


def delete_page(
    changes: Changes,
    snapshot: Snapshot,
    *,
    template: str,
    name: str,
    fields: Any,
    subject: str,
    change: Callable[[str], str],
    done: str,
) -> Response:
    """GET: the question, with what would go (as the file read at `snapshot` has it); POST:
    the change over that version, then back to `done`."""
    if request.method == "GET":
        body = render_template(template, name=name, fields=fields, version=snapshot.version)
        return Response(body, mimetype="text/html")
    outcome = changes.apply(
        version=request.form.get("version", ""),
        route=request.path,
        subject=subject,
        change=change,
    )
    if outcome.saved is None:
        body = render_template(
            template,
            name=name,
            fields=fields,
            version=(outcome.conflict or snapshot).version,
            problems=outcome.problems,
            conflict=outcome.conflict is not None,
        )
        return Response(body, status=409 if outcome.conflict else 422, mimetype="text/html")
    return redirect(done, code=303)  # type: ignore[return-value]
