"""What is sent: undelivered matches selected into digests, outbox rows opened and delivered.

May import: monitor.store, monitor.config, monitor.metrics, and alerts (rendering, channels)."""
