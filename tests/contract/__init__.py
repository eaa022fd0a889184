"""Contract suites: one per port, run against every implementation (STYLE habit 5)."""
