"""Slide building blocks for the board pack (python-pptx): a 16:9 deck, titled slides, native
editable charts, tables, text and pictures, in the project's colours and projector-sized type.

Charts are python-pptx chart objects (their data sits in the workbook embedded in the pptx, so
a presenter can edit them in PowerPoint or Impress); only maps are pictures. A value of None is
a blank point (a suppressed count): the chart draws nothing there, and the slide says in words
what is hidden. Colours come from insight.charts.base (Okabe-Ito, Tol's muted scheme for authorities), set once.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from insight.charts.base import OKABE_ITO

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
FONT = "Arial"  # everywhere; LibreOffice draws it with the metric-compatible Liberation Sans
INK, MUTED, RULE, HEADER_FILL, ROW_FILL = "222222", "555555", "BBBBBB", "E8EEF4", "F6F6F6"
SERIES = {"current": OKABE_ITO[0], "previous": OKABE_ITO[4], "last_year": OKABE_ITO[1]}
RISE, FALL = OKABE_ITO[5], OKABE_ITO[0]  # vermillion / blue, always with an arrow beside them
TITLE_PT, SUBTITLE_PT, BODY_PT, SMALL_PT = 30, 17, 16, 12
TITLE_FITS = 55  # characters on one line at TITLE_PT; a longer title is set smaller
# characters on the subtitle's one line (its box is 0.45 in tall) at SUBTITLE_PT, and at SMALL_PT, the
# size a longer subtitle is set in; a subtitle longer than that is the slide's to shorten
SUBTITLE_FITS, SUBTITLE_FITS_SMALL = 95, 135
TITLE_ONLY_LAYOUT = 5


def rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def box(left: float, top: float, width: float, height: float) -> tuple[Emu, Emu, Emu, Emu]:
    """A rectangle in inches."""
    return Inches(left), Inches(top), Inches(width), Inches(height)


BODY = box(0.5, 1.75, 12.33, 5.1)
LEFT, RIGHT = box(0.5, 1.75, 7.6, 5.1), box(8.4, 1.75, 4.43, 5.1)


def new_deck() -> Presentation:
    """An empty 16:9 presentation."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    return deck


def _style(run_font, size: int, colour: str = INK, bold: bool = False) -> None:
    run_font.name, run_font.size, run_font.bold = FONT, Pt(size), bold
    run_font.color.rgb = rgb(colour)


def add_slide(deck: Presentation, title: str, subtitle: str | None = None, footer: str = ""):
    """A slide whose title placeholder holds the message; a subtitle line and a footer below."""
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = box(0.5, 0.3, 12.33, 0.95)
    shape.text_frame.word_wrap = True
    shape.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    paragraph = shape.text_frame.paragraphs[0]
    paragraph.text, paragraph.alignment = title, PP_ALIGN.LEFT
    _style(paragraph.runs[0].font, TITLE_PT if len(title) <= TITLE_FITS else TITLE_PT - 6, bold=True)
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDTH, Inches(0.12))
    band.fill.solid()
    band.fill.fore_color.rgb = rgb(SERIES["current"])
    band.line.fill.background()
    if subtitle:
        text(slide, box(0.5, 1.25, 12.33, 0.45), [subtitle],
             SUBTITLE_PT if len(subtitle) <= SUBTITLE_FITS else SMALL_PT, MUTED, name="subtitle")
    if footer:
        text(slide, box(0.5, 6.95, 12.33, 0.4), [footer], SMALL_PT, MUTED)
    return slide


def text(slide, where, paragraphs: Sequence[str], size: int = BODY_PT, colour: str = INK,
         bold_first: bool = False, name: str | None = None):
    """A text box of paragraphs (editable), top-aligned and wrapping."""
    shape = slide.shapes.add_textbox(*where)
    if name:
        shape.name = name
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    for i, line in enumerate(paragraphs or [""]):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.space_after = Pt(6)
        for run in paragraph.runs:
            _style(run.font, size, colour, bold=bold_first and i == 0)
    return shape


def picture(slide, png: bytes, where, alt: str = ""):
    """A PNG image as large as fits in the rectangle, proportions kept, at its top left; `alt` its
    text for a screen reader (python-pptx leaves the file's name, "image.png")."""
    shape = slide.shapes.add_picture(io.BytesIO(png), where[0], where[1], height=where[3])
    if alt:
        shape._element.nvPicPr.cNvPr.set("descr", alt)
    if shape.width > where[2]:
        shape.height = int(shape.height * where[2] / shape.width)
        shape.width = where[2]
    return shape


def _numbers(values: Sequence) -> list[float | None]:
    """Chart values: None (and NaN, 'no data') as blank points."""
    return [None if v is None or v != v else float(v) for v in values]


def _axes(chart, number_format: str, size: int) -> None:
    category, value = chart.category_axis, chart.value_axis
    category.tick_labels.font.size = value.tick_labels.font.size = Pt(size)
    category.tick_labels.font.name = value.tick_labels.font.name = FONT
    category.format.line.color.rgb = rgb(RULE)
    category.has_major_gridlines = False
    value.has_major_gridlines = True
    value.major_gridlines.format.line.color.rgb = rgb("DDDDDD")
    value.format.line.fill.background()
    value.tick_labels.number_format, value.tick_labels.number_format_is_linked = number_format, False
    value.minimum_scale = 0


def _legend(chart, show: bool, size: int) -> None:
    chart.has_title = False  # the slide's title says what the chart shows
    chart.has_legend = show
    if show:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size, chart.legend.font.name = Pt(size), FONT


NO_DATA = "Nothing to chart: the authorities chosen have no records for this in the month."


def _no_data(slide, where, font_pt: int):
    """A sentence where a chart would be: python-pptx cannot draw a chart of no categories, and a
    partner with nothing in the month (one that joined later, an empty export) is no error."""
    return text(slide, where, [NO_DATA], size=font_pt, colour=MUTED)


def bar_chart(slide, where, categories: Sequence[str], series: dict[str, Sequence],
              colours: Sequence[str], horizontal: bool = True, number_format: str = "#,##0",
              point_colours: Sequence[str] | None = None, font_pt: int = 14, data_labels: bool = True,
              maximum: float | None = None):
    """A clustered bar (or column) chart, one series per entry of `series` (None = blank point,
    which draws nothing and has no label: say in words what is hidden); `point_colours` colours
    the points of a single series one by one; with no categories, a sentence saying so (`NO_DATA`)."""
    if not len(categories):
        return _no_data(slide, where, font_pt)
    data = CategoryChartData(number_format=number_format)
    data.categories = list(categories)
    for name, values in series.items():
        data.add_series(name, _numbers(values))
    kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
    chart = slide.shapes.add_chart(kind, *where, data).chart
    chart.font.size, chart.font.name = Pt(font_pt), FONT
    plot = chart.plots[0]
    plot.gap_width, plot.overlap = 45, -5
    for s, colour in zip(plot.series, colours, strict=False):
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = rgb(colour)
        s.invert_if_negative = False
    if point_colours:
        for point, colour in zip(plot.series[0].points, point_colours, strict=False):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = rgb(colour)
    if data_labels:
        plot.has_data_labels = True
        plot.data_labels.number_format, plot.data_labels.number_format_is_linked = number_format, False
        plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
        plot.data_labels.font.size, plot.data_labels.font.name = Pt(font_pt - 2), FONT
    _axes(chart, number_format, font_pt)
    if maximum is not None:
        chart.value_axis.maximum_scale = maximum
    if horizontal:
        chart.category_axis.reverse_order = True  # first category at the top, as read
    _every_label(chart)
    if horizontal and len(categories) >= MANY_LABELS and max(len(str(c)) for c in categories) > ONE_LINE_LABEL:
        chart.category_axis.tick_labels.font.size = Pt(SMALL_PT)   # labels on two lines must fit their bars
    _legend(chart, len(series) > 1, font_pt)
    return chart


# A horizontal chart of this many categories whose labels wrap (longer than ONE_LINE_LABEL characters:
# "Bus stop on Beech Drive, North East Derbyshire", and "Derbyshire Dales" at 14 pt beside the
# threshold slide's table) sets them at SMALL_PT, where two lines fit a bar: LibreOffice's PDF
# dropped four of the nine authorities' names at 14 pt (the UX audit of 7 December)
MANY_LABELS, ONE_LINE_LABEL = 8, 14


def _every_label(chart) -> None:
    """Every category's label drawn (`c:tickLblSkip` 1): left to itself, a renderer that finds the
    labels too tall for their bars skips every other one (LibreOffice's PDF of the busiest-places
    slide named five of its ten places: the usability audit of 6 December)."""
    axis = chart.category_axis._element
    skip = axis.find(qn("c:tickLblSkip"))
    if skip is None:
        skip = OxmlElement("c:tickLblSkip")
        after = axis.find(qn("c:noMultiLvlLbl"))
        if after is not None:
            after.addprevious(skip)
        else:
            axis.append(skip)
    skip.set("val", "1")


def line_chart(slide, where, categories: Sequence[str], series: dict[str, Sequence],
               colours: Sequence[str], number_format: str = "#,##0", font_pt: int = 14,
               label_points: Sequence[int] = ()):
    """A line chart with markers, one line per series; the points at `label_points` labelled (with no
    categories, a sentence saying so, as `bar_chart`)."""
    if not len(categories):
        return _no_data(slide, where, font_pt)
    data = CategoryChartData(number_format=number_format)
    data.categories = list(categories)
    for name, values in series.items():
        data.add_series(name, _numbers(values))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, *where, data).chart
    chart.font.size, chart.font.name = Pt(font_pt), FONT
    for s, colour in zip(chart.plots[0].series, colours, strict=False):
        s.smooth = False
        s.format.line.color.rgb = rgb(colour)
        s.format.line.width = Pt(3)
        s.marker.style, s.marker.size = XL_MARKER_STYLE.CIRCLE, 8
        s.marker.format.fill.solid()
        s.marker.format.fill.fore_color.rgb = rgb(colour)
        s.marker.format.line.color.rgb = rgb(colour)
        for index in label_points:
            label = s.points[index].data_label  # a point's own label shows its value
            label.position = XL_LABEL_POSITION.ABOVE
            label.font.size, label.font.bold = Pt(font_pt), True
    _axes(chart, number_format, font_pt)
    _legend(chart, len(series) > 1, font_pt)
    return chart


def table(slide, where, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
          font_pt: int = BODY_PT, emphasis: dict[tuple[int, int], str] | None = None,
          align_right_from: int = 1, row_height: float = 0.45):
    """A native table: a shaded header row, banded rows; `emphasis` colours (row, column) cells'
    text (row 0 is the first body row) and makes it bold."""
    shape = slide.shapes.add_table(len(rows) + 1, len(header), where[0], where[1], where[2],
                                   Inches(row_height) * (len(rows) + 1))
    grid = shape.table
    grid.first_row, grid.horz_banding = True, False
    for j, width in enumerate(widths):
        grid.columns[j].width = Inches(width)
    for i, values in enumerate([header, *rows]):
        for j, value in enumerate(values):
            cell = grid.cell(i, j)
            cell.text = str(value)
            cell.fill.solid()
            cell.fill.fore_color.rgb = rgb(HEADER_FILL if i == 0 else ROW_FILL if i % 2 == 0 else "FFFFFF")
            cell.margin_left = cell.margin_right = Inches(0.08)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            paragraph = cell.text_frame.paragraphs[0]
            paragraph.alignment = PP_ALIGN.RIGHT if j >= align_right_from else PP_ALIGN.LEFT
            colour = (emphasis or {}).get((i - 1, j))
            for run in paragraph.runs:
                _style(run.font, font_pt, colour or INK, bold=i == 0 or colour is not None)
    return grid
