"""The annual summary of a small world whose sentences are known (see conftest): the .docx read back with
python-docx, the PDF read back with pypdf."""

import io

import pytest
from docx import Document
from pypdf import PdfReader

from tests.cme.conftest import MID_YEAR
from weijian.targets import services
from weijian.targets.report import chinese_count, report_content, report_docx, report_pdf

EXPECTED = [
    "2025年度工作计划“科教工作要点”共设考核指标2项。",
    "全市综合得分37.05分，1项已考核指标中达到目标0项。",
    "2个区（县）中，1个综合评价为达标，得分最高的是青羊区（100分）。",
    "中级及以上职称卫生人员学分达标率为66.7%（2/3人），未达到目标（95.0%）。",
    "初级及以下职称卫生人员学分达标率为50.0%（1/2人）。",
]


@pytest.fixture
def report(planned):
    science = planned.user("commission_science")
    services.report_text_set(actor=science, plan=planned.plan, block="opening",
                             text="全年围绕继续医学教育提质扩面开展工作。")
    services.report_text_set(actor=science, plan=planned.plan, block="next_year", text="下一年度将加强基层培训。")
    assessment = services.run_assessment(actor=science, plan=planned.plan, today=MID_YEAR)
    return report_content(assessment)


def test_content_sentences_come_from_the_snapshot(report):
    assert report.overall == "".join(EXPECTED[:3])
    sections = dict(report.sections)
    assert sections["继续医学教育"] == EXPECTED[3:5]
    # senior: the city missed (锦江区 sits at its floor: amber, not listed); junior: 锦江区 is red
    assert report.missed == ["中级及以上职称人员学分达标率：全市66.7%，目标95.0%。",
                             "初级及以下职称人员学分达标率未达底线的区（县）：锦江区。"]
    assert [(row.name, row.score, row.rank, row.rating) for row in report.districts] == [
        ("青羊区", "100", "1", "达标"), ("锦江区", "0", "2", "未达标")]


def test_docx_reads_back_with_the_sentences_and_the_district_table(report):
    document = Document(io.BytesIO(report_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    for sentence in (*EXPECTED, "全年围绕继续医学教育提质扩面开展工作。", "下一年度将加强基层培训。"):
        assert sentence in text
    assert "四、未完成目标" in text and "中级及以上职称人员学分达标率：全市66.7%，目标95.0%。" in text
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows == [["区（县）", "综合得分", "排名", "评价", "达标指标"], ["青羊区", "100", "1", "达标", "2/2"],
                    ["锦江区", "0", "2", "未达标", "0/2"]]
    assert len(document.inline_shapes) == 1  # the chart


def test_pdf_renders_with_the_same_text(report):
    reader = PdfReader(io.BytesIO(report_pdf(report)))
    assert 1 <= len(reader.pages) <= 3
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for sentence in (EXPECTED[0], EXPECTED[3], "一、总体情况", "五、存在问题与下一步工作", "下一年度将加强基层培训。"):
        assert sentence in text


@pytest.mark.parametrize("value, text", [(89, "89"), (23400, "2.34万"), (10000, "1万"), ("2.50", "2.5"), (0, "0")])
def test_numbers_are_written_the_way_the_summaries_write_them(value, text):
    assert chinese_count(value) == text
