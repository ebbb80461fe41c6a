"""Running it: the one-shot run, the scheduler, /healthz and /metrics, archive search and backtests.

May import: every stage package below it (pipeline, digest, store, rules, sources, config)."""
