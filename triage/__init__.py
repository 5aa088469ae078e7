"""Triage: category proposals and similar-case search for citizen messages (DESIGN §8)."""
