"""crowd-validate and later crowd commands."""
