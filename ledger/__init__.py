"""Rumour ledger: the domain, its events and the application service."""
