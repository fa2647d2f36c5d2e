"""A complete application: budget by head within the ceiling, milestones, required attachments."""

from datetime import date
from decimal import Decimal

import pytest

from weijian.research.completeness import (
    Milestone,
    budget_total,
    clean_budget,
    completeness_problems,
    milestones_text,
    parse_milestones,
)


def test_the_budget_keeps_known_heads_with_positive_amounts():
    lines = clean_budget({"equipment": "3", "materials": "2.505", "labour": "0", "travel": ""})
    assert lines == {"equipment": "3.00", "materials": "2.51"}  # half-up to two places; zeros dropped
    assert budget_total(lines) == Decimal("5.51")
    with pytest.raises(ValueError, match="未知的预算科目"):
        clean_budget({"overhead": "1"})
    with pytest.raises(ValueError, match="材料费应为金额"):
        clean_budget({"materials": "两万"})
    with pytest.raises(ValueError, match="劳务费应为0至99999万元之间的金额"):
        clean_budget({"labour": "-1"})


def test_milestones_are_parsed_line_by_line_in_date_order():
    text = "2027-12-31 完成随访并结题\n\n2026-12-31\u3000完成入组300例\n2027-06-30\t发表论文1篇"
    milestones, problems = parse_milestones(text)
    assert problems == []
    assert milestones == [Milestone(date(2026, 12, 31), "完成入组300例"), Milestone(date(2027, 6, 30), "发表论文1篇"),
                          Milestone(date(2027, 12, 31), "完成随访并结题")]
    assert parse_milestones(milestones_text([m.as_json() for m in milestones]))[0] == milestones


def test_bad_milestone_lines_are_named():
    _milestones, problems = parse_milestones("明年完成入组\n2027-02-30 发表论文\n2027-06-30")
    assert problems == ["第1行：应以完成日期开头，格式如 2027-06-30", "第2行：应以完成日期开头，格式如 2027-06-30",
                        "第3行：请在日期后写明阶段目标"]


def test_completeness_reports_everything_missing_at_once():
    empty = completeness_problems(budget_lines={}, ceiling=Decimal("20"), milestones=[],
                                  required_attachments=["伦理审查批件", "单位承诺书"], attached={"单位承诺书"})
    assert empty == ["请填写经费预算（按科目）", "请填写进度安排（至少一项阶段目标）", "缺少必需附件：伦理审查批件"]
    over = completeness_problems(budget_lines={"equipment": "15", "labour": "5.01"}, ceiling=Decimal("20"),
                                 milestones=[{"due": "2027-06-30", "goal": "入组"}], required_attachments=[],
                                 attached=set())
    assert over == ["申请经费 20.01 万元超过本通知的单项资助上限 20 万元"]
    exactly = completeness_problems(budget_lines={"equipment": "15", "labour": "5"}, ceiling=Decimal("20"),
                                    milestones=[{"due": "2027-06-30", "goal": "入组"}],
                                    required_attachments=["单位承诺书"], attached={"单位承诺书", "其他"})
    assert exactly == []
