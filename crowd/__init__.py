"""Crowd safety: occupancy, density levels, forecasts, alerts and responder dispatch."""
