"""Everything kept on disk: connections, migrations, and the Store API over feeds, articles,
sources, matches and the near-duplicate index.

May import: monitor.stories, monitor.errors; monitor.rules for PostgreSQL's search index, which
holds the matcher's own words so that a rule's prefilter and the matcher agree."""
