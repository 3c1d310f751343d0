"""The priority matrix as a hand-written SVG scatter chart: impact (up) against effort
(right), quadrant lines at the manager's thresholds, every point labelled with its item id
(the title on hover) and escaped, so 200 points stay readable."""

import math
from xml.sax.saxutils import escape

from services.api.planning.schemas import MatrixPublic

WIDTH, HEIGHT, MARGIN = 800, 600, 60
COLOURS = {"quick_win": "#2e7d32", "major_project": "#1565c0", "fill_in": "#f9a825",
           "thankless": "#c62828"}
NAMES = {"quick_win": "Quick wins", "major_project": "Major projects",
         "fill_in": "Fill-ins", "thankless": "Thankless tasks"}


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def render(matrix: MatrixPublic) -> str:
    max_effort = max([p.effort_hours for p in matrix.points] + [matrix.low_effort_max_hours * 2])
    # Effort on a log scale: a 2-hour post and a 200-hour campaign both stay readable.
    top = math.log1p(max_effort)
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def x(effort: float) -> float:
        return MARGIN + plot_w * math.log1p(effort) / top

    def y(impact: float) -> float:
        return HEIGHT - MARGIN - plot_h * (impact - 0.5) / 5

    split_x = x(matrix.low_effort_max_hours)
    split_y = y(matrix.medium_impact_min - 0.5)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        "<title>Action priority matrix</title>",
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{plot_w}" height="{plot_h}" fill="white" '
        'stroke="#333"/>',
        f'<line class="quadrant-line" x1="{split_x:.1f}" y1="{MARGIN}" x2="{split_x:.1f}" '
        f'y2="{HEIGHT - MARGIN}" stroke="#888" stroke-dasharray="6 4"/>',
        f'<line class="quadrant-line" x1="{MARGIN}" y1="{split_y:.1f}" x2="{WIDTH - MARGIN}" '
        f'y2="{split_y:.1f}" stroke="#888" stroke-dasharray="6 4"/>',
        f'<text x="{MARGIN + 6}" y="{MARGIN + 16}" fill="{COLOURS["quick_win"]}">'
        f'{NAMES["quick_win"]} ({matrix.counts.get("quick_win", 0)})</text>',
        f'<text x="{WIDTH - MARGIN - 6}" y="{MARGIN + 16}" text-anchor="end" '
        f'fill="{COLOURS["major_project"]}">{NAMES["major_project"]} '
        f'({matrix.counts.get("major_project", 0)})</text>',
        f'<text x="{MARGIN + 6}" y="{HEIGHT - MARGIN - 8}" fill="{COLOURS["fill_in"]}">'
        f'{NAMES["fill_in"]} ({matrix.counts.get("fill_in", 0)})</text>',
        f'<text x="{WIDTH - MARGIN - 6}" y="{HEIGHT - MARGIN - 8}" text-anchor="end" '
        f'fill="{COLOURS["thankless"]}">{NAMES["thankless"]} '
        f'({matrix.counts.get("thankless", 0)})</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 20}" text-anchor="middle">Effort (hours, log '
        "scale)</text>",
        f'<text x="20" y="{HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 20 {HEIGHT / 2})">Impact (1-5)</text>',
    ]
    for impact in range(1, 6):
        out.append(f'<text x="{MARGIN - 10}" y="{y(impact) + 4:.1f}" text-anchor="end">'
                   f"{impact}</text>")
    for effort in (1, 2, 4, 8, 16, 40, 100, 250, 1000):
        if effort <= max_effort:
            out.append(f'<text x="{x(effort):.1f}" y="{HEIGHT - MARGIN + 16}" '
                       f'text-anchor="middle">{effort}</text>')
    for n, p in enumerate(matrix.points):
        # Points sharing a spot fan out a little so their labels stay apart.
        cx, cy = x(p.effort_hours), y(p.impact) - (n % 5) * 7
        colour = COLOURS[p.quadrant.value]
        # Beside the point only its id (titles of 200 points would cover each other); the
        # whole title shows on hover, and the id finds the item in the queue.
        out.append(f'<g class="point" data-item-id="{p.item_id}">'
                   f"<title>#{p.item_id} {escape(p.title)} (impact {p.impact}, "
                   f"{p.effort_hours:g}h)</title>"
                   f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/>'
                   f'<text x="{cx + 6:.1f}" y="{cy + 3:.1f}" font-size="9">{p.item_id}</text>'
                   "</g>")
    out.append("</svg>")
    return "\n".join(out)
