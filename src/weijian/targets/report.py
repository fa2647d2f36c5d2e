"""The commission's annual summary (年度工作总结) of a computed work plan, as Word (.docx) and PDF.

`report_content` gathers everything from one stored assessment, so the document says what the snapshot
says, however the data move later. It adds the plan's editable narrative blocks (`ReportText`):
- 一、总体情况: the narrative, then the city's composite score, the targets met and the districts' ranking;
- 二、分领域完成情况: per domain (the app that declares the indicators), one sentence per item from the
  indicator's template, e.g. "中级及以上职称卫生人员学分达标率为95.3%（1.23万/1.29万人）";
- 三、各区县考核结果: a table of the districts (composite, rank, rating, targets met) and a bar chart;
- 四、未完成目标: every item the city missed, and per item the districts that missed it;
- 五、存在问题与下一步工作: the narrative.
Documents stay in Chinese whatever the reader's language: they are the commission's issued text.
"""

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.utils import translation

from weijian.core.indicators import RATE
from weijian.targets.models import Assessment, AssessmentTotal, AssessmentValue, Level, PlanItem, ReportText
from weijian.targets.registry import all_indicators
from weijian.targets.scoring import Rag

FONT = "STSong-Light"
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def chinese_count(value: Decimal | int | float) -> str:
    """12345 → "1.23万", 89 → "89", 2.5 → "2.5" (the way the summaries write numbers)."""
    number = Decimal(str(value))
    if abs(number) >= 10000:
        text = f"{number / 10000:.2f}".rstrip("0").rstrip(".")
        return f"{text}万"
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _value(value: Decimal | None, kind: str, unit: str) -> str:
    if value is None:
        return "—"
    if kind == RATE:
        return f"{value * 100:.1f}%"
    return f"{chinese_count(value)}{unit}"


@dataclass
class DistrictRow:
    name: str
    score: str
    rank: str
    rating: str
    met: str
    chart_score: float


@dataclass
class ReportContent:
    title: str
    year: int
    plan: str
    as_of: str
    opening: str
    highlights: str
    next_year: str
    overall: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    districts: list[DistrictRow] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def _sentence(item: PlanItem, value: AssessmentValue, indicator) -> str:
    template = str(indicator.sentence) if indicator is not None and indicator.sentence else ""
    figures = {"value": _value(value.actual, item.kind, item.unit), "numerator": chinese_count(value.numerator),
               "denominator": chinese_count(value.denominator),
               "target": _value(value.target, item.kind, item.unit) if value.target is not None else "—"}
    text = template.format(**figures) if template else f"{item.name}为{figures['value']}"
    if value.target is not None:
        verdict = "达到" if value.rag == Rag.GREEN else "未达到"
        text += f"，{verdict}目标（{figures['target']}）"
    return text + "。"


def _domain_label(domain: str) -> str:
    try:
        return str(apps.get_app_config(domain).verbose_name)
    except LookupError:
        return domain


def report_content(assessment: Assessment) -> ReportContent:
    with translation.override("zh-hans"):
        return _content(assessment)


def _content(assessment: Assessment) -> ReportContent:
    plan = assessment.plan
    texts = {t.block: t.text for t in ReportText.objects.filter(plan=plan)}
    items = list(plan.items.all())
    values = list(AssessmentValue.objects.filter(assessment=assessment).select_related("item"))
    city_values = {v.item_id: v for v in values if v.level == Level.CITY}
    city = AssessmentTotal.objects.filter(assessment=assessment, level=Level.CITY).first()
    districts = list(AssessmentTotal.objects.filter(assessment=assessment, level=Level.DISTRICT)
                     .order_by("rank", "unit_name"))
    scored = [d for d in districts if d.score is not None]
    overall = f"{plan.year}年度工作计划“{plan.title}”共设考核指标{len(items)}项。"
    if city is not None and city.score is not None:
        overall += (f"全市综合得分{chinese_count(city.score)}分，{city.items_scored}项已考核指标中达到目标"
                    f"{city.items_met}项。")
    if scored:
        green = sum(1 for d in scored if d.rag == Rag.GREEN)
        overall += (f"{len(scored)}个区（县）中，{green}个综合评价为达标，得分最高的是{scored[0].unit_name}"
                    f"（{chinese_count(scored[0].score)}分）。")
    by_domain: dict[str, list[str]] = defaultdict(list)
    indicators = all_indicators()
    for item in items:
        value = city_values.get(item.pk)
        if value is not None:
            indicator = indicators.get(item.indicator_code)
            by_domain[indicator.domain if indicator else "other"].append(_sentence(item, value, indicator))
    sections = [(_domain_label(domain), sentences) for domain, sentences in by_domain.items()]
    missed = []
    failing_districts: dict[int, list[str]] = defaultdict(list)
    for v in values:
        if v.level == Level.DISTRICT and v.rag == Rag.RED:
            failing_districts[v.item_id].append(v.unit_name)
    for item in items:
        value = city_values.get(item.pk)
        city_missed = value is not None and value.target is not None and value.rag != Rag.GREEN
        if city_missed:
            missed.append(f"{item.name}：全市{_value(value.actual, item.kind, item.unit)}，目标"
                          f"{_value(value.target, item.kind, item.unit)}。")
        if failing_districts.get(item.pk):
            missed.append(f"{item.name}未达底线的区（县）：{'、'.join(sorted(failing_districts[item.pk]))}。")
    rows = [DistrictRow(d.unit_name, chinese_count(d.score) if d.score is not None else "—", str(d.rank or "—"),
                        str(Rag(d.rag).label), f"{d.items_met}/{d.items_scored}",
                        float(d.score) if d.score is not None else 0.0) for d in districts]
    return ReportContent(
        title=f"{plan.year}年度卫生健康科教与信息化工作总结", year=plan.year, plan=plan.title,
        as_of=assessment.as_of.isoformat(), opening=texts.get("opening", ""), highlights=texts.get("highlights", ""),
        next_year=texts.get("next_year", ""), overall=overall, sections=sections, districts=rows, missed=missed)


# ---- Word ------------------------------------------------------------------------------------

def report_docx(content: ReportContent) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(content.title)
    run.bold, run.font.size = True, Pt(18)
    document.add_paragraph(f"（依据工作计划“{content.plan}”，数据截至{content.as_of}）").alignment = \
        WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading("一、总体情况", level=1)
    for text in (content.opening, content.overall, content.highlights):
        for paragraph in filter(None, (p.strip() for p in text.splitlines())):
            document.add_paragraph(paragraph)
    document.add_heading("二、分领域完成情况", level=1)
    for number, (domain, sentences) in enumerate(content.sections, start=1):
        document.add_heading(f"（{_chinese_ordinal(number)}）{domain}", level=2)
        document.add_paragraph("".join(sentences))
    document.add_heading("三、各区县考核结果", level=1)
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("区（县）", "综合得分", "排名", "评价", "达标指标"), strict=True):
        cell.text = text
    for row in content.districts:
        cells = table.add_row().cells
        for cell, text in zip(cells, (row.name, row.score, row.rank, row.rating, row.met), strict=True):
            cell.text = text
    chart = _chart_png(content.districts)
    if chart:
        document.add_paragraph()
        document.add_picture(io.BytesIO(chart), width=Cm(16))
    document.add_heading("四、未完成目标", level=1)
    for text in content.missed or ["全部目标均已完成。"]:
        document.add_paragraph(text, style="List Bullet")
    document.add_heading("五、存在问题与下一步工作", level=1)
    for paragraph in filter(None, (p.strip() for p in content.next_year.splitlines())):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _chinese_ordinal(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def _chart_png(rows: list[DistrictRow]) -> bytes | None:
    """A bar chart of the districts' composites for the Word file, drawn with Pillow; labelled with the
    district names when a CJK font is installed, by rank otherwise. None when there is nothing to draw."""
    if not rows:
        return None
    from PIL import Image, ImageDraw, ImageFont

    font_path = next((path for path in CJK_FONTS if Path(path).exists()), None)
    font = ImageFont.truetype(font_path, 16) if font_path else ImageFont.load_default()
    width, height, left, bottom = 1200, 480, 60, 110
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    top = max(100.0, max(row.chart_score for row in rows))
    step = (width - left - 20) / len(rows)
    colours = {"达标": "#2a9d8f", "接近": "#e9c46a", "未达标": "#d62828"}
    draw.line((left, 20, left, height - bottom), fill="black")
    draw.line((left, height - bottom, width - 20, height - bottom), fill="black")
    for tick in range(0, int(top) + 1, 20):
        y = height - bottom - (height - bottom - 20) * tick / top
        draw.text((10, y - 8), str(tick), fill="black", font=font)
    for i, row in enumerate(rows):
        x0 = left + i * step + step * 0.15
        y = height - bottom - (height - bottom - 20) * row.chart_score / top
        draw.rectangle((x0, y, x0 + step * 0.7, height - bottom), fill=colours.get(row.rating, "#adb5bd"))
        label = row.name if font_path else str(i + 1)
        for j, char in enumerate(label[:5]):
            draw.text((x0 + step * 0.2, height - bottom + 6 + j * 18), char, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# ---- PDF -------------------------------------------------------------------------------------

def report_pdf(content: ReportContent) -> bytes:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=6)
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=14, leading=22, spaceBefore=10, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=20, spaceBefore=6)
    text = ParagraphStyle("text", fontName=FONT, fontSize=10.5, leading=18, firstLineIndent=21)
    note = ParagraphStyle("note", fontName=FONT, fontSize=9, leading=14, alignment=1)
    story = [Paragraph(content.title, title),
             Paragraph(f"（依据工作计划“{_escape(content.plan)}”，数据截至{content.as_of}）", note),
             Paragraph("一、总体情况", h1)]
    for block in (content.opening, content.overall, content.highlights):
        story += [Paragraph(_escape(p.strip()), text) for p in block.splitlines() if p.strip()]
    story.append(Paragraph("二、分领域完成情况", h1))
    for number, (domain, sentences) in enumerate(content.sections, start=1):
        story += [Paragraph(f"（{_chinese_ordinal(number)}）{_escape(domain)}", h2),
                  Paragraph(_escape("".join(sentences)), text)]
    story.append(Paragraph("三、各区县考核结果", h1))
    data = [["区（县）", "综合得分", "排名", "评价", "达标指标"]] + [
        [row.name, row.score, row.rank, row.rating, row.met] for row in content.districts]
    table = Table(data, repeatRows=1, colWidths=[4 * cm, 3 * cm, 2 * cm, 3 * cm, 3 * cm])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef"))]))
    story.append(table)
    if content.districts:
        drawing = Drawing(16 * cm, 7 * cm)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 1.2 * cm, 1.6 * cm, 14 * cm, 5 * cm
        chart.data = [[row.chart_score for row in content.districts]]
        chart.categoryAxis.categoryNames = [row.name for row in content.districts]
        chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 6
        chart.categoryAxis.labels.angle, chart.categoryAxis.labels.boxAnchor = 45, "ne"
        chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, max(100.0, *chart.data[0])
        chart.bars[0].fillColor = colors.HexColor("#0b5ea8")
        drawing.add(chart)
        story += [Spacer(1, 0.3 * cm), drawing]
    story.append(Paragraph("四、未完成目标", h1))
    story += [Paragraph("· " + _escape(line), text) for line in content.missed or ["全部目标均已完成。"]]
    story.append(Paragraph("五、存在问题与下一步工作", h1))
    story += [Paragraph(_escape(p.strip()), text) for p in content.next_year.splitlines() if p.strip()]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=content.title, leftMargin=2.2 * cm, rightMargin=2.2 * cm,
                      topMargin=2 * cm, bottomMargin=2 * cm).build(story)
    return out.getvalue()


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
