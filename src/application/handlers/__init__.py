"""Command handlers: load, decide through the domain, commit through the unit of work."""
