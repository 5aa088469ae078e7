"""Settings for the server `pingan bench intake` starts: the product's own, plus the bench-only
endpoints (bench/urls.py) and a connection pool.

Under ASGI every request runs in its own context and so gets its own database connection;
with the product's CONN_MAX_AGE=60 each is opened per request and then left open until
PostgreSQL refuses new clients ("too many clients already"). Django's advice for ASGI is
CONN_MAX_AGE=0 with the driver's pool (Django ≥ 5.1, psycopg-pool), which is what this sets —
and what pingan/settings.py should set for PostgreSQL too (see the bench's report)."""

from pingan.settings import *  # noqa: F403
from pingan.settings import DATABASES

ROOT_URLCONF = "bench.urls"

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": 8, "timeout": 10}
