"""Decoding a wrapped Google News link (``news.google.com/rss/articles/AU_yqL…``) to the
publisher's URL, as the news.google.com article page does it: read the page's signature and
timestamp, then ask the ``batchexecute`` endpoint for the target.

Google answers 429 after a few quick decodings, so each decoding waits its turn on a
``HostLimiter``, and the first 429 ends the round: a link that cannot be decoded stays as it
is (it still opens the story, through Google).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests

from monitor.errors import FetchError
from monitor.sources.fetch import FetchSession, HostLimiter, fetch
from monitor.sources.html import html_tree

log = logging.getLogger("monitor.sources.google_links")

_ARTICLE_ID = re.compile(r"/(?:rss/)?articles/([A-Za-z0-9_-]+)")
MAX_ANSWER = 256 * 1024
_RPC = "Fbv4je"


class RateLimited(Exception):
    """Google said 429: stop decoding for now."""


@dataclass(kw_only=True)
class LinkDecoder:
    session: FetchSession
    base: str  # https://news.google.com, or a server that answers like it
    limiter: HostLimiter
    timeout: float = 10.0
    guard: bool = True  # False: allow_private_networks

    def decode(self, link: str) -> str | None:
        """The publisher's URL behind ``link``; None when it cannot be found out.
        Raises RateLimited on a 429."""
        found = _ARTICLE_ID.search(urlsplit(link).path)
        if found is None:
            return None
        article = found.group(1)
        signed = self._signature(article)
        if signed is None:
            return None
        return self._target(article, *signed)

    def _signature(self, article: str) -> tuple[str, str] | None:
        page = fetch(
            self.session,
            f"{self.base.rstrip('/')}/rss/articles/{article}",
            timeout=self.timeout,
            max_bytes=2_000_000,
            limiter=self.limiter,
            accept="text/html",
            guard=self.guard,
            trusted=True,  # the configured decoder; where it redirects is vetted
        )
        if page.status == 429:
            raise RateLimited()
        if page.status != 200 or page.body is None:
            return None
        node = html_tree(page.body, page.content_type, max_bytes=2_000_000).css_first(
            "[data-n-a-sg][data-n-a-ts]"
        )
        if node is None:
            return None
        signature, stamp = node.attributes.get("data-n-a-sg"), node.attributes.get("data-n-a-ts")
        return (signature, stamp) if signature and stamp and stamp.isdigit() else None

    def _target(self, article: str, signature: str, stamp: str) -> str | None:
        request = [
            "garturlreq",
            [["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None,
              None, 0, 1], "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0],
            article,
            int(stamp),
            signature,
        ]  # fmt: skip
        form = urlencode({"f.req": json.dumps([[[_RPC, json.dumps(request), None, "generic"]]])})
        url = f"{self.base.rstrip('/')}/_/DotsSplashUi/data/batchexecute"
        with self.limiter.slot(url):
            try:
                response = self.session.post(
                    url,
                    data=form,
                    headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
                    timeout=self.timeout,
                    stream=True,
                    # a redirect would be a hop the address guard never saw; the answer is
                    # only ever a 200 with the URL in its body
                    allow_redirects=False,
                )
            except (requests.RequestException, OSError) as exc:
                raise FetchError("http", f"{url}: {type(exc).__name__}") from exc
            with response:
                if response.status_code == 429:
                    raise RateLimited()
                body = response.raw.read(MAX_ANSWER + 1, decode_content=True)
        if response.status_code != 200 or len(body) > MAX_ANSWER:
            return None
        return batch_target(body.decode("utf-8", "replace"))


def batch_target(text: str) -> str | None:
    """The URL in a batchexecute answer (``)]}'`` then JSON rows; ours is ``wrb.fr``/Fbv4je
    with the JSON string ``["garturlres", URL, ...]``), or None."""
    start = text.find("[")
    if start < 0:
        return None
    try:
        rows, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and len(row) > 2 and row[:2] == ["wrb.fr", _RPC]:
            try:
                answer = json.loads(row[2]) if isinstance(row[2], str) else None
            except ValueError:
                return None
            target = answer[1] if isinstance(answer, list) and len(answer) > 1 else None
            if isinstance(target, str) and target.startswith(("http://", "https://")):
                return target
    return None
