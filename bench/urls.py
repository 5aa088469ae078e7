"""The product's URLs plus the bench-only endpoints; the root URLconf only under bench.settings."""

from django.urls import path

from bench.views import bare_case, ping
from pingan.urls import urlpatterns as product_urlpatterns

# Not include(): the product's pages sit under i18n_patterns, which must stay at the root.
urlpatterns = [
    path("bench/ping", ping),
    path("bench/bare-cases", bare_case),
    *product_urlpatterns,
]
