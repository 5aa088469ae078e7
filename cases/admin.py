"""Django admin for the case catalogue (types, categories, routing) and read-only case records.

Configuration is edited here; cases are not: every change of a case goes through
`cases.services` and leaves an event, so the admin shows cases, events and notifications
without letting anyone change them.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Assignment,
    Case,
    CaseEvent,
    CaseType,
    Category,
    Feedback,
    Notification,
    Party,
    RoutingRule,
    Supervision,
)

DEADLINE_FIELDS = ("deadline_amount", "deadline_unit", "warn_fraction", "max_extension",
                   "max_extensions")


class ReadOnlyMixin:
    """View only: the records are written by the services, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    fieldsets = ((None, {"fields": ("code", "name", "is_active")}),
                 (_("Deadline"), {"fields": DEADLINE_FIELDS}))
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("tree_name", "code", "case_type", "keyword_count", "deadline_amount",
                    "deadline_unit", "is_active")
    list_filter = ("case_type", "is_active")
    search_fields = ("code", "name", "keywords")
    ordering = ("case_type__code", "code")
    raw_id_fields = ("parent",)
    fieldsets = ((None, {"fields": ("code", "name", "case_type", "parent", "is_active")}),
                 (_("Classification"), {"fields": ("keywords",)}),
                 (_("Deadline (blank: the parent's or the case type's)"),
                  {"fields": DEADLINE_FIELDS}))

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
    list_display = ("order", "case_type", "category", "area_level", "unit_kind", "co_unit_kinds",
                    "is_active")
    list_display_links = ("case_type",)
    list_editable = ("order", "is_active")
    list_filter = ("case_type", "unit_kind", "area_level", "is_active")
    raw_id_fields = ("category",)


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    fields = ("seq", "at", "kind", "from_status", "to_status", "actor_label", "actor_unit",
              "reason")
    readonly_fields = fields
    extra = 0
    ordering = ("seq",)


class PartyInline(ReadOnlyMixin, admin.TabularInline):
    """Only the masked values: unmasking is done on the case page, with a reason, audited."""

    model = Party
    fields = ("role", "masked_name", "masked_phone", "masked_id_number", "masked_email")
    readonly_fields = fields
    extra = 0


class AssignmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Assignment
    fields = ("unit", "role", "assigned_at", "assigned_by", "ended_at")
    readonly_fields = fields
    extra = 0


class SupervisionInline(ReadOnlyMixin, admin.TabularInline):
    model = Supervision
    fields = ("leader", "note", "due_at", "created_at", "answered_at")
    readonly_fields = fields
    extra = 0


class FeedbackInline(ReadOnlyMixin, admin.TabularInline):
    model = Feedback
    fields = ("rating", "method", "contact_failed", "comment", "at")
    readonly_fields = fields
    extra = 0


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "title", "case_type", "category", "status", "deadline_state",
                    "area_code", "owner_unit", "received_at")
    list_filter = ("status", "case_type", "channel", "deadline_state", "location")
    search_fields = ("number", "title", "address", "area_code")
    date_hierarchy = "received_at"
    list_select_related = ("case_type", "category", "owner_unit")
    exclude = ("public_code_hash", "client_key")
    readonly_fields = ("case_page",)
    inlines = [PartyInline, AssignmentInline, SupervisionInline, FeedbackInline, EventInline]

    @admin.display(description=_("case page"))
    def case_page(self, obj: Case) -> str:
        url = reverse("cases:detail", kwargs={"number": obj.number})
        return format_html('<a href="{}">{}</a>', url, obj.number)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case", "seq", "at", "kind", "from_status", "to_status", "actor_label")
    list_filter = ("kind",)
    search_fields = ("case__number", "actor_label", "reason")
    date_hierarchy = "at"
    list_select_related = ("case",)
    raw_id_fields = ("case", "actor", "actor_unit")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("subject", "medium", "unit", "recipient", "created_at", "sent_at",
                    "read_at", "attempts")
    list_filter = ("medium",)
    search_fields = ("subject", "case__number", "unit__name")
    date_hierarchy = "created_at"
    list_select_related = ("unit", "recipient")
    raw_id_fields = ("recipient", "unit", "case")
