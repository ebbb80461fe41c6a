"""The WebSub callbacks (DESIGN §17): `/websub/<feed id>`, outside the page's token (a hub has
none; each subscription has its own secret instead). GET answers a verification of intent,
POST takes pushed content, read no further than the feed's max_bytes."""

from __future__ import annotations

from flask import Blueprint, Response, request

from monitor import metrics
from monitor.service.websub import CALLBACK_PATH, Subscriber


def websub_routes(subscriber: Subscriber) -> Blueprint:
    routes = Blueprint("websub", __name__)

    @routes.get(f"{CALLBACK_PATH}<callback>")
    def verify(callback: str) -> Response:
        answer = subscriber.verify(callback, request.args)
        return Response(answer.body, status=answer.status, mimetype="text/plain")

    @routes.post(f"{CALLBACK_PATH}<callback>")
    def push(callback: str) -> Response:
        limit = subscriber.max_bytes(callback)
        if (request.content_length or 0) > limit:
            metrics.record_websub_push("too_large")
            return Response("too large", status=413, mimetype="text/plain")
        body = request.stream.read(limit + 1)
        if len(body) > limit:
            metrics.record_websub_push("too_large")
            return Response("too large", status=413, mimetype="text/plain")
        status = subscriber.push(
            callback,
            body,
            request.headers.get("X-Hub-Signature"),
            request.headers.get("Content-Type", ""),
        )
        return Response(status=status)

    return routes
