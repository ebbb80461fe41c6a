"""Everything kept on disk: connections, migrations, and the Store API over feeds, articles,
sources, matches and the near-duplicate index.

May import: monitor.stories, monitor.errors."""
