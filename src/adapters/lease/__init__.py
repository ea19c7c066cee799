"""Writer leases: at most one engine process per store."""
