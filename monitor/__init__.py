"""news-monitor: polls news sources, folds copies of a story, matches watch rules, sends digests.

One package per stage, imports flowing one way (docs/ARCHITECTURE.md):
cli -> service -> pipeline, digest -> store -> stories -> sources -> extract; config -> rules."""
