"""Accounts: what each owner has of each asset, available and held; the shared kernel of trading and listing."""
