"""Django admin for the case catalogue: case types, categories, deadlines and routing rules.

Only configuration lives here (decision 005). Cases, their events, parties, assignments,
supervisions, feedback, attachments, notifications and training examples are not in the
admin at all: they are read on the case pages, through the selectors and their territory.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.models import CaseType, Category, RoutingRule

DEADLINE_FIELDS = (
    "deadline_amount",
    "deadline_unit",
    "warn_fraction",
    "max_extension",
    "max_extensions",
)


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ("code", "name", "parent", "is_active")
    raw_id_fields = ("parent",)
    extra = 0
    show_change_link = True


@admin.register(CaseType)
class CaseTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "deadline_amount", "deadline_unit", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    fieldsets = (
        (None, {"fields": ("code", "name", "is_active")}),
        (_("Deadline"), {"fields": DEADLINE_FIELDS}),
    )
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "tree_name",
        "code",
        "case_type",
        "keyword_count",
        "deadline_amount",
        "deadline_unit",
        "is_active",
    )
    list_filter = ("case_type", "is_active")
    search_fields = ("code", "name", "keywords")
    ordering = ("case_type__code", "code")
    raw_id_fields = ("parent",)
    fieldsets = (
        (None, {"fields": ("code", "name", "case_type", "parent", "is_active")}),
        (_("Classification"), {"fields": ("keywords",)}),
        (_("Deadline (blank: the parent's or the case type's)"), {"fields": DEADLINE_FIELDS}),
    )

    @admin.display(description=_("name"), ordering="code")
    def tree_name(self, obj: Category) -> str:
        depth, node = 0, obj.parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return ("　" * depth + ("└ " if depth else "")) + obj.name

    @admin.display(description=_("keywords"))
    def keyword_count(self, obj: Category) -> int:
        return len(obj.keyword_list())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case_type", "parent__parent")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "case_type",
        "category",
        "area_level",
        "unit_kind",
        "co_unit_kinds",
        "is_active",
    )
    list_display_links = ("case_type",)
    list_editable = ("order", "is_active")
    list_filter = ("case_type", "unit_kind", "area_level", "is_active")
    raw_id_fields = ("category",)
