"""The product's URLs plus the bench-only endpoints; the root URLconf only under bench.settings."""

from django.urls import path

from api.urls import negotiated
from bench.views import bare_api, group_commit, ping
from pingan.urls import urlpatterns as product_urlpatterns

_patterns, _app, _namespace = bare_api.urls
for _pattern in _patterns:
    _pattern.callback = negotiated(_pattern.callback)  # as the product's API does

# Not include(): the product's pages sit under i18n_patterns, which must stay at the root.
urlpatterns = [
    path("bench/ping", ping),
    path("bench/group-commit", group_commit),
    path("bench/", (_patterns, _app, _namespace)),
    *product_urlpatterns,
]
