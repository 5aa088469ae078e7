"""Settings for the server `pingan bench intake` starts: the product's own (connection pool
included), plus the bench-only endpoints (bench/urls.py)."""

from pingan.settings import *  # noqa: F403
from pingan.settings import DATABASES

ROOT_URLCONF = "bench.urls"

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection ready for each of a server process's threads from the start.
    DATABASES["default"]["OPTIONS"]["pool"]["min_size"] = 2
