"""Tests of the crowd safety computations."""
