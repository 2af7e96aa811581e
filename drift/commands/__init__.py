"""The `drift` subcommands, one module each; `drift.cli` assembles them."""
