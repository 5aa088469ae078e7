"""Template context shared by every page."""

from django.conf import settings


def pingan(request):
    return {
        "PINGAN_TILE_URL": settings.PINGAN_TILE_URL,
        "PINGAN_TILE_ATTRIBUTION": settings.PINGAN_TILE_ATTRIBUTION,
    }
