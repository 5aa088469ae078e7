"""Tests for the triage app."""
