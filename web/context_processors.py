"""Template context shared by every page."""

from django.conf import settings


def pingan(request):
    from org.selectors import can_read_audit

    user = getattr(request, "user", None)
    return {
        # called only where a template asks (the nav), so other requests pay nothing
        "can_read_audit": lambda: user is not None and can_read_audit(user),
        "PINGAN_TILE_URL": settings.PINGAN_TILE_URL,
        "PINGAN_TILE_ATTRIBUTION": settings.PINGAN_TILE_ATTRIBUTION,
    }
