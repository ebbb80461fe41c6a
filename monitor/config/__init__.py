"""Configuration: YAML to frozen records, errors with file:line:col, the JSON Schema, OPML.

May import: monitor.rules (rules compile at load), monitor.errors, monitor.units."""

import os

# Pydantic reads the entry points of every installed distribution for plugins on the first
# validation (~5 ms of `check`, a sixtieth of its start-up); the config models use none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
