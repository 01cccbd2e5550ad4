"""Repository-wide pytest setup: the regression plugin (seeds, --sim, --shard, coverage, summary)."""

pytest_plugins = ["flow.regress"]
