"""The scorecard as a government report: Excel (openpyxl) and PDF (reportlab, Chinese CID
font STSong-Light, so no system fonts are needed)."""

from __future__ import annotations

import io
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from measures.scorecard import RULES, ListResult
from pingan.redact import neutralise

TITLE = "平安报表（一表四单）"


def _value(line) -> str:
    if line.value is None:
        return "—"
    return f"{line.value:.2f}%" if line.kpi.is_rate else f"{line.value:.0f}"


def _parts(line) -> str:
    if line.denominator is None:
        return str(line.numerator)
    return f"{line.numerator} ÷ {line.denominator}"


def _target(line) -> str:
    ind = line.indicator
    sign = "≥" if ind.direction == "higher" else "≤"
    unit = "%" if line.kpi.is_rate else ""
    return f"{sign} {ind.target:g}{unit}"


def _score(result: ListResult) -> str:
    return "—" if result.score is None else f"{result.score:.1f}"


def workbook(
    place_name: str,
    period_label: str,
    lists: list[ListResult],
    children: list[tuple[str, list[ListResult]]],
    generated: datetime | None = None,
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    generated = generated or timezone.localtime()
    wb = Workbook()
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="F2DCDB")
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="center", wrap_text=True)

    def title(ws, text, width):
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.cell(1, 1, neutralise(text)).font = Font(bold=True, size=16)
        ws.cell(1, 1).alignment = centre
        ws.row_dimensions[1].height = 30
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
        area, period, made = _("Area"), _("Period"), _("Generated")
        ws.cell(
            2,
            1,
            f"{area}：{place_name}    {period}：{period_label}    "
            f"{made}：{generated:%Y-%m-%d %H:%M}",
        ).alignment = centre

    def table(ws, row, header, rows, widths):
        for col, text in enumerate(header, 1):
            c = ws.cell(row, col, neutralise(text))
            c.font, c.fill, c.border, c.alignment = bold, head_fill, box, centre
        for r in rows:
            row += 1
            for col, text in enumerate(r, 1):
                c = ws.cell(row, col, neutralise(text))
                c.border = box
                c.alignment = wrap if col == 1 or col == 2 else centre
        for col, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(col)].width = width
        return row

    ws = wb.active
    ws.title = _("Summary")
    title(ws, f"{place_name} {TITLE}", 4)
    last = table(
        ws,
        4,
        [_("List"), _("Indicators"), _("Score"), _("Grade")],
        [[r.name, len(r.lines), _score(r), r.grade or "—"] for r in lists],
        [36, 12, 12, 10],
    )
    ws.cell(last + 2, 1, str(RULES)).alignment = wrap
    ws.merge_cells(start_row=last + 2, start_column=1, end_row=last + 2, end_column=4)
    ws.row_dimensions[last + 2].height = 60
    ws.cell(
        last + 3,
        1,
        _("Computed from the case events by the definitions shown; no figure is typed in by hand."),
    )

    for result in lists:
        sheet = wb.create_sheet(result.name[:28].replace("/", "・"))
        title(sheet, f"{place_name} · {result.name}", 7)
        rows = [
            [
                ln.indicator.name,
                str(ln.kpi.formula),
                _parts(ln),
                _value(ln),
                _target(ln),
                ln.indicator.weight,
                ln.grade or "—",
            ]
            for ln in result.lines
        ]
        last = table(
            sheet,
            4,
            [
                _("Indicator"),
                _("Definition"),
                _("Numerator ÷ denominator"),
                _("Value"),
                _("Target"),
                _("Weight"),
                _("Grade"),
            ],
            rows,
            [22, 36, 20, 12, 12, 8, 8],
        )
        sheet.cell(last + 1, 1, _("List score")).font = bold
        sheet.cell(last + 1, 4, _score(result))
        sheet.cell(last + 1, 7, result.grade or "—").font = bold

    if children:
        sheet = wb.create_sheet(_("By area"))
        names = [r.name for r in lists]
        by_area = _("Grades by area")
        title(sheet, f"{place_name} · {by_area}", 1 + len(names))
        rows = [
            [name, *[f"{r.grade or '—'} ({_score(r)})" for r in results]]
            for name, results in children
        ]
        table(sheet, 4, [_("Area"), *names], rows, [22] + [20] * len(names))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pdf(
    place_name: str,
    period_label: str,
    lists: list[ListResult],
    children: list[tuple[str, list[ListResult]]],
    generated: datetime | None = None,
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    generated = generated or timezone.localtime()
    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    title_style = ParagraphStyle(
        "t", fontName=font, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4 * mm
    )
    sub_style = ParagraphStyle(
        "s", fontName=font, fontSize=10.5, leading=15, alignment=TA_CENTER, spaceAfter=6 * mm
    )
    h_style = ParagraphStyle(
        "h", fontName=font, fontSize=13, leading=18, spaceBefore=5 * mm, spaceAfter=2 * mm
    )
    cell = ParagraphStyle("c", fontName=font, fontSize=9, leading=12)
    note = ParagraphStyle(
        "n", fontName=font, fontSize=8.5, leading=12, textColor=colors.HexColor("#444444")
    )

    def grid(rows, widths):
        t = Table(
            [[Paragraph(str(x), cell) for x in r] for r in rows], colWidths=widths, repeatRows=1
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2DCDB")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    period_word, made, score_word, grade_word = _("Period"), _("Generated"), _("score"), _("grade")
    story = [
        Paragraph(f"{place_name} {TITLE}", title_style),
        Paragraph(
            f"{period_word}：{period_label}　　{made}：{generated:%Y-%m-%d %H:%M}", sub_style
        ),
        Paragraph(_("Summary"), h_style),
        grid(
            [
                [_("List"), _("Indicators"), _("Score"), _("Grade")],
                *[[r.name, len(r.lines), _score(r), r.grade or "—"] for r in lists],
            ],
            [80 * mm, 25 * mm, 25 * mm, 25 * mm],
        ),
    ]
    for result in lists:
        rows = [
            [
                _("Indicator"),
                _("Definition"),
                _("Numerator ÷ denominator"),
                _("Value"),
                _("Target"),
                _("Grade"),
            ],
            *[
                [
                    ln.indicator.name,
                    ln.kpi.formula,
                    _parts(ln),
                    _value(ln),
                    _target(ln),
                    ln.grade or "—",
                ]
                for ln in result.lines
            ],
        ]
        story.append(
            KeepTogether(
                [
                    Paragraph(
                        f"{result.name}　{score_word} {_score(result)}　{grade_word} "
                        f"{result.grade or '—'}",
                        h_style,
                    ),
                    grid(rows, [32 * mm, 48 * mm, 30 * mm, 22 * mm, 22 * mm, 16 * mm]),
                ]
            )
        )
    if children:
        story.append(Paragraph(_("Grades by area"), h_style))
        header = [_("Area"), *[r.name.split("(")[0].split("（")[0] for r in lists]]
        rows = [
            [name, *[f"{r.grade or '—'} {_score(r)}" for r in results]]
            for name, results in children
        ]
        width = (170 * mm - 34 * mm) / max(1, len(lists))
        story.append(grid([header, *rows], [34 * mm] + [width] * len(lists)))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(str(RULES), note),
        Paragraph(
            _(
                "Computed from the case events by the definitions shown; no figure "
                "is typed in by hand."
            ),
            note,
        ),
    ]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"— {doc.page} —")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{place_name} {TITLE}",
        author="Pingan",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
