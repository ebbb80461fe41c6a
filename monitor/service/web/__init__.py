"""The analysts' read-only web page (DESIGN §14): recent stories, the archive, trying rules,
feed health and the outbox, server-rendered over the same database as the service.

`app.make_app` builds the WSGI app, `server.serve_web` serves it from a thread (`run`) or in
the foreground (`news-monitor web`). Reads go through `store.browse.Browse`; the explanation,
snippets and story grouping are the ones `rules test` and the digests use.
"""
