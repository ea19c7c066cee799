"""Chain adapters: the local ledger (default); Sui settlement comes with its own issue."""
