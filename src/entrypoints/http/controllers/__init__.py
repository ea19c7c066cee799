"""Controllers map requests to commands and queries; no rules live here."""
