"""Configuration: YAML to frozen records, errors with file:line:col, the JSON Schema, OPML.

May import: monitor.rules (rules compile at load), monitor.errors, monitor.units."""
