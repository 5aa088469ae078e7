"""Management commands of the triage app."""
