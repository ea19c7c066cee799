"""Port implementations: where the application meets databases, brokers and chains."""
