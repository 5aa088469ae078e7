"""Admin for API tokens: see and revoke them; issue them with `pingan create-token`."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "prefix", "user", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # the raw token is shown once, so tokens are made by the command

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(is_active=True))
        for token in tokens:
            token.revoke()
        count = len(tokens)
        self.message_user(request, _("%d tokens revoked.") % count)
