"""After a Google News poll: the wrapped links of the entries that matched a rule decoded to
the publishers' URLs (only those: each decoding is two requests to Google, which rate-limits
them), so that a digest links to the article itself. A link that cannot be decoded stays."""

from __future__ import annotations

import logging
from datetime import datetime

from monitor.config.load import FeedConfig
from monitor.config.schema import GoogleNewsSource
from monitor.errors import FetchError, ParseError
from monitor.sources.fetch import FetchSession, HostLimiter
from monitor.sources.google_links import LinkDecoder, RateLimited
from monitor.store.store import Store

log = logging.getLogger("monitor.pipeline.links")

DECODER_LIMITER = "google_news_decoder"  # its key in Context.source_limiters
PER_POLL = 20  # decodings per poll at most


def decode_matched_links(
    feed: FeedConfig,
    *,
    store: Store,
    session: FetchSession,
    limiters: dict[str, HostLimiter],
    now: datetime,
    guard: bool = True,
) -> int:
    """Decode the wrapped links of the matches this poll made; returns how many were.
    Those Google would not decode now (429) are not asked again: they stay wrapped."""
    settings = feed.source
    pending = store.wrapped_matches(feed.url, now, PER_POLL)
    if not pending or not isinstance(settings, GoogleNewsSource):
        return 0
    interval = settings.decode_interval.total_seconds()
    limiter = limiters.setdefault(DECODER_LIMITER, HostLimiter(per_host=1, min_interval=interval))
    decoder = LinkDecoder(
        session=session,
        base=settings.decoder_url,
        limiter=limiter,
        timeout=feed.timeout.total_seconds(),
        guard=guard,
    )
    decoded = 0
    for article_id, link in pending:
        try:
            target = decoder.decode(link)
        except RateLimited:
            log.info("link decoding rate-limited feed=%s: the rest stay wrapped", feed.url)
            break
        except (FetchError, ParseError) as exc:
            log.info("link not decoded feed=%s link=%s: %s", feed.url, link, exc)
            continue
        if target:
            store.relink(article_id, target)
            decoded += 1
    return decoded
