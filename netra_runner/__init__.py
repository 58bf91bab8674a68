"""netra-run: the test orchestrator for a multi-service Python monorepo."""

__version__ = "0.1.0"
