"""Where items come from: HTTP fetch behind the address guard, poll scheduling, and each
source type (feeds today) turned into the same Entry records.

May import: monitor.extract (HTML to text), monitor.errors, monitor.units."""
