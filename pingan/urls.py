"""Root URL configuration. Pages are under i18n patterns (Chinese unprefixed, English under
/en/); the machine interfaces (REST API, Open311) are not."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("open311/v2/", include("api.open311.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("cases/", include("cases.urls")),
    path("report/", include("cases.public_urls")),
    path("crowd/", include("crowd.urls")),
    path("measures/", include("measures.urls")),
    path("audit/", include("org.urls")),
    path("", include("web.urls")),
    prefix_default_language=False,
)
