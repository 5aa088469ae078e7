"""Management commands of the crowd app."""
