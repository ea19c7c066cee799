"""Event store adapters: the eventsourcing library's recorders behind our async port."""
