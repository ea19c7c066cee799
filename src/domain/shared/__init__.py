"""What every aggregate shares: the event base, the aggregate base and DomainError."""
