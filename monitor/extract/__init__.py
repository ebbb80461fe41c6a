"""Text out of HTML: summaries to plain text, article pages to their main text.

May import: monitor.errors only."""
