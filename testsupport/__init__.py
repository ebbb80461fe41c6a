"""What the tests and the benchmark share: real servers on loopback (a throwaway PostgreSQL
cluster, a signature-checking webhook receiver) and feeds recorded as polled. Imports
monitor, never tests/ or bench/; bench may import it, the tests may import it."""
