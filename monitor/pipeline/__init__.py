"""One poll of one feed, top to bottom (refresh_feed): fetch, parse, identify, extract, store,
match. Parsing runs in isolated worker processes.

May import: monitor.sources, monitor.extract, monitor.stories, monitor.store, monitor.rules,
monitor.config, monitor.metrics."""
