"""The trading engine: books and balances in memory, one writer, group commit, rebuilt from the log at start."""
