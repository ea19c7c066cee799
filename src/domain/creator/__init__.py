"""Creators and what describes them: profiles, categories."""
