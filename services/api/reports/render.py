"""A rendered report as CSV, as one self-contained HTML page with inline SVG charts that
prints cleanly, and as an "email highlights" summary in text and HTML."""

import csv
import io
from datetime import datetime
from html import escape
from typing import Any

from services.api.reports.schemas import Chart, Highlights, RenderedReport, RenderedSection


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_csv(report: RenderedReport) -> str:
    """One block per section: a `# section` line, the header, the rows; blocks are separated
    by an empty line. Values are raw (rates as fractions)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([f"# report: {report.name}", f"from {report.period.start}",
                f"to {report.period.end}",
                f"data as of {_when(report.freshness.data_as_of)}"])
    for s in report.sections:
        w.writerow([])
        w.writerow([f"# section: {s.title}", s.key, s.kind])
        w.writerow(s.columns)
        for row in s.rows:
            w.writerow([_cell(v) for v in row])
    return out.getvalue()


def rows_csv(columns: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return out.getvalue()


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "no data"


def svg_chart(chart: Chart) -> str:
    """A horizontal bar chart; negative values grow left of the zero line."""
    label_w, plot_w, row_h, top = 250, 380, 22, 26
    values = [b.value for b in chart.bars] + ([chart.reference] if chart.reference else [])
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return label_w + (v - lo) / span * plot_w

    height = top + row_h * len(chart.bars) + 10
    width = label_w + plot_w + 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(chart.title)}</title>",
             f'<text x="0" y="16" class="chart-title">{escape(chart.title)}</text>']
    for i, bar in enumerate(chart.bars):
        y = top + i * row_h
        x0, x1 = sorted((x(0), x(bar.value)))
        color = "#c0392b" if bar.value < 0 or bar.note in ("behind", "drop") else "#2e6fd8"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" '
                     f'class="bar-label">{escape(bar.label)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" '
                     f'height="{row_h - 6}" fill="{color}"><title>{escape(bar.label)}: '
                     f"{_exact(bar.value)}{escape(chart.unit)}</title></rect>")
        shown = f"{bar.value:,.1f}" if chart.unit == "%" or abs(bar.value) < 100 \
            else f"{bar.value:,.0f}"
        parts.append(f'<text x="{max(x1, x(0)) + 4:.1f}" y="{y + 14}" class="bar-value">'
                     f"{shown}{escape(chart.unit)}</text>")
    zero = chart.reference if chart.reference is not None else 0.0
    parts.append(f'<line x1="{x(zero):.1f}" y1="{top - 4}" x2="{x(zero):.1f}" '
                 f'y2="{height - 6}" stroke="#333" stroke-dasharray="3,2"/>')
    parts.append("</svg>")
    return "".join(parts)


CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b;
margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#555}.stale{color:#b25b00}.missing{color:#c0392b}
table{border-collapse:collapse;width:100%;font-size:12px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
.annotation{border-left:4px solid #2e6fd8;background:#eef4fd;padding:6px 10px;margin:8px 0}
.chart-title{font-weight:600;font-size:13px}.bar-label,.bar-value{font-size:11px}
ul.highlights{margin:6px 0 6px 18px;padding:0}
section{break-inside:avoid-page}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;font-size:11px}section{break-inside:avoid}
h2{break-after:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _exact(value: float) -> str:
    """A bar's value in its tooltip: whole counts without decimals (1, not 1.00)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _fmt(column: str, value: Any) -> tuple[str, bool]:
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int | float):
        if column in ("engagement_rate",) or (column in ("current", "previous", "actual",
                                                         "target") and 0 < abs(value) < 1):
            return f"{value * 100:.2f}%", True
        if column.endswith("_pct") or column == "percent_of_goal":
            return f"{value:+.1f}%" if column.endswith("_pct") else f"{value:.0f}%", True
        if column == "p_adjusted":
            return f"{value:.3g}", True
        return (f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"), True
    return str(value), False


def _section_html(s: RenderedSection) -> str:
    parts = [f'<section id="{escape(s.key)}"><h2>{escape(s.title)}</h2>']
    parts += [f'<div class="annotation">{escape(a.body)}</div>' for a in s.annotations]
    if s.highlights:
        parts.append('<ul class="highlights">' + "".join(
            f"<li>{escape(h)}</li>" for h in s.highlights) + "</ul>")
    if s.chart is not None:
        parts.append(svg_chart(s.chart))
    if s.rows:
        head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in s.columns)
        body = []
        for row in s.rows:
            cells = []
            for column, value in zip(s.columns, row, strict=True):
                text, numeric = _fmt(column, value)
                cells.append(f'<td class="n">{escape(text)}</td>' if numeric
                             else f"<td>{escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
                     "</tbody></table>")
    else:
        parts.append('<p class="meta">No data for this section in the period.</p>')
    parts.append("</section>")
    return "".join(parts)


def to_html(report: RenderedReport) -> str:
    f = report.freshness
    fresh = "".join(
        f'<li class="{n.status}">{escape(n.name)}: {n.status}'
        f"{'' if n.data_as_of is None else ', data as of ' + _when(n.data_as_of)}</li>"
        for n in f.networks)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(report.name)}</title><meta name=\"viewport\" "
        "content=\"width=device-width,initial-scale=1\">"
        f"<style>{CSS}</style></head><body><header><h1>{escape(report.name)}</h1>"
        f"<p class=\"meta\">{escape(report.description)}</p>"
        f"<p class=\"meta\">Period {report.period.start} to {report.period.end} · data as of "
        f"{_when(f.data_as_of)} · generated {_when(report.generated_at)}</p>"
        "<p class=\"meta\">Engagement rate = engagements / impressions summed over the posts."
        f"</p><details open><summary>Data freshness</summary><ul>{fresh}</ul></details>"
        "</header>" + "".join(_section_html(s) for s in report.sections) + "</body></html>")


def highlights(report: RenderedReport) -> Highlights:
    subject = f"{report.name}: highlights {report.period.start} to {report.period.end}"
    stale = [n for n in report.freshness.networks if n.status != "fresh"]
    lines = [subject, f"Data as of {_when(report.freshness.data_as_of)}.", ""]
    html = [f"<h2>{escape(subject)}</h2>",
            f"<p>Data as of {_when(report.freshness.data_as_of)}.</p>"]
    for s in report.sections:
        lines.append(s.title)
        lines += [f"- {h}" for h in s.highlights]
        lines += [f"  Note: {a.body}" for a in s.annotations]
        lines.append("")
        html.append(f"<h3>{escape(s.title)}</h3><ul>" + "".join(
            f"<li>{escape(h)}</li>" for h in s.highlights) + "".join(
            f"<li><em>Note: {escape(a.body)}</em></li>" for a in s.annotations) + "</ul>")
    if stale:
        warning = "Not current: " + ", ".join(f"{n.name} ({n.status})" for n in stale) + "."
        lines.append(warning)
        html.append(f"<p><strong>{escape(warning)}</strong></p>")
    return Highlights(subject=subject, text="\n".join(lines).strip() + "\n",
                      html="<div>" + "".join(html) + "</div>")
