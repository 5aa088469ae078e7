"""/api/v1/: the REST API (django-ninja); everything is wired in api/main.py."""

from functools import wraps

from django.urls import URLPattern, path
from django.utils import translation
from django.utils.cache import patch_vary_headers

from api.main import api


def negotiated(view):
    """Answer in the caller's language (language cookie, then Accept-Language, then the
    default). The API lives outside i18n_patterns, where LocaleMiddleware would pin every
    request to the default language."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language",))
        return response

    return wrapper


# Not named app_name/namespace: include("api.urls") would read them as this module's own.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = negotiated(_pattern.callback)

urlpatterns = [path("", (_patterns, _app, _namespace))]
