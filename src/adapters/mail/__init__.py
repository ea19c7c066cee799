"""Outgoing mail adapters: .eml files for developers, SMTP for everyone else."""
