"""`python -m monitor.cli`, as the console script."""

from monitor.cli.main import main

main()
