"""RSS, Atom, RDF and JSON Feed: bytes made safe, the lxml fast path, feedparser as reference.

May import: monitor.sources.entries, monitor.extract, monitor.errors."""
