"""Identity: canonical URLs, dedupe keys, and near-duplicate sketches that fold copies of a story.

May import: monitor.sources (the Entry records), monitor.extract, monitor.errors."""
