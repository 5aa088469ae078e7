"""The audit page and its Excel export, for leaders, auditors and superusers."""

from __future__ import annotations

import io
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from org import access, selectors
from org.forms import AuditFilterForm
from pingan.redact import neutralise

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


def _parse(request):
    """(form, filter) for a reader of the audit; 403 for anyone else, 404 for an area
    outside the reader's territory."""
    if not selectors.can_read_audit(request.user):
        raise PermissionDenied(_("Only leaders and auditors read the audit trail."))
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    flt = form.audit_filter()
    if flt.area and not access.can_see_code(request.user, flt.area, selectors.AUDIT_ROLES):
        raise Http404(_("No such area in your territory."))
    return form, flt


@login_required
@require_GET
def audit(request):
    form, flt = _parse(request)
    if flt is None:
        return render(request, "org/audit.html", {"form": form}, status=400)
    page = Paginator(selectors.audit_log(request.user, flt), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "org/audit.html",
        {
            "form": form,
            "page": page,
            "entries": selectors.entries(page.object_list),
            "query": query.urlencode(),
        },
    )


def _plain(value) -> str:
    """A cell's text: never a formula, no control character (pingan.redact.neutralise)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True)) if value else ""
    return neutralise(str(value))


@login_required
@require_GET
def audit_export(request):
    form, flt = _parse(request)
    if flt is None:
        return render(request, "org/audit.html", {"form": form}, status=400)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Audit"))
    ws.append(
        [
            _("When"),
            _("Who"),
            _("What"),
            _("Concerning"),
            _("Case"),
            _("Fields"),
            _("Reason"),
            _("Area code"),
            _("Before"),
            _("After"),
        ]
    )
    rows = selectors.audit_log(request.user, flt)[:EXPORT_LIMIT]
    for start in range(0, EXPORT_LIMIT, 2000):
        chunk = selectors.entries(rows[start : start + 2000])
        for e in chunk:
            ws.append(
                [
                    _plain(f"{timezone.localtime(e.at):%Y-%m-%d %H:%M:%S}"),
                    _plain(e.actor),
                    _plain(e.action),
                    _plain(e.subject),
                    _plain(e.case_number),
                    _plain(e.fields),
                    _plain(e.reason),
                    _plain(e.area_code),
                    _plain(e.before),
                    _plain(e.after),
                ]
            )
        if len(chunk) < 2000:
            break
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"audit-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
