"""The command bus between API processes and the engine: in-process (``serve``) or Redis Streams."""
