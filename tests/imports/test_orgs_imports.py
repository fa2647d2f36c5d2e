"""Institution and division imports: through the same framework, written by the orgs services."""

import itertools

from tests import factories
from tests.imports.helpers import apply, upload, xlsx
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.imports.models import JobStatus
from weijian.orgs.importers import DIVISION_IMPORT, INSTITUTION_IMPORT
from weijian.orgs.models import Division, Institution

INST_HEADERS = [c.header for c in INSTITUTION_IMPORT.columns]
DIV_HEADERS = [c.header for c in DIVISION_IMPORT.columns]


_seeds = itertools.count(7000)  # clear of the world's institutions (seeds 1-3)


def institution(**values):
    row = {"统一社会信用代码": factories.uscc(next(_seeds)), "机构名称": "锦江区妇幼保健院", "机构类别": "妇幼保健院",
           "机构等级": "二级甲等", "经济类型": "公立", "所在区划代码": "510104", "是否在业": "是"}
    row.update(values)
    return row


def test_district_user_imports_institutions_in_its_district_only(world):
    actor = world.user("district_a")
    ok = institution()
    township = institution(机构名称="春熙路社区医院", 机构类别="社区卫生服务中心", 所在区划代码="510104020", 机构等级="")
    other_district = institution(机构名称="青羊区某医院", 所在区划代码="510105")
    bad_code = institution(统一社会信用代码="12510100000000001Y")
    update = {**institution(), "统一社会信用代码": world.inst_a1.uscc, "机构名称": "锦江区人民医院（新院区）",
              "机构类别": "综合医院", "机构等级": "三级甲等"}
    out_of_scope = {**update, "统一社会信用代码": world.inst_b1.uscc, "机构名称": "青羊区人民医院", "所在区划代码": "510104"}
    job = upload(actor, xlsx([ok, township, other_district, bad_code, update, out_of_scope], INST_HEADERS),
                 "机构.xlsx", entity="institution")
    assert job.status == JobStatus.VALIDATED
    assert (job.create_count, job.update_count, job.error_rows) == (2, 1, 3)
    reasons = {e["row"]: (e["column"], e["reason"]) for e in job.errors_preview}
    assert reasons[4] == ("所在区划代码", "该行政区划不在您的管辖范围内")
    assert reasons[5] == ("统一社会信用代码", "统一社会信用代码校验位错误")
    assert reasons[7] == ("统一社会信用代码", "该统一社会信用代码已登记在您管辖范围以外的机构，不能通过导入修改")
    job = apply(actor, job, only_valid=True)
    assert job.status == JobStatus.DONE and (job.create_count, job.update_count) == (2, 1)
    created = Institution.objects.get(uscc=township["统一社会信用代码"])
    assert (created.type, created.grade, created.division_id, created.district_id) == (
        "community_centre", "none", "510104020", "510104")
    world.inst_a1.refresh_from_db()
    world.inst_b1.refresh_from_db()
    assert world.inst_a1.name == "锦江区人民医院（新院区）" and world.inst_b1.name == "青羊区人民医院"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, entity="institution").count() >= 2
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, entity="institution",
                                     entity_id=str(world.inst_a1.pk)).exists()


def test_institution_import_of_a_closed_institution(world):
    actor = world.user("commission_info")
    row = institution(是否在业="否")
    job = apply(actor, upload(actor, xlsx([row], INST_HEADERS), "机构.csv.xlsx", entity="institution"))
    assert job.status == JobStatus.DONE
    assert Institution.objects.get(uscc=row["统一社会信用代码"]).is_active is False


def test_division_import_creates_parents_before_children_in_any_order(world):
    actor = world.user("commission_info")
    rows = [
        {"区划代码": "510106001", "名称": "抚琴街道", "级别": "乡镇（街道）", "上级区划代码": "510106"},
        {"区划代码": "510106", "名称": "金牛区", "级别": "区县级", "上级区划代码": "510100"},
        {"区划代码": "510104", "名称": "锦江区（更名）", "级别": "区县级", "上级区划代码": "510100"},
        {"区划代码": "510107", "名称": "武侯区", "级别": "区县级", "上级区划代码": "519999"},
        {"区划代码": "5101", "名称": "错误代码", "级别": "区县级", "上级区划代码": "510100"},
    ]
    job = upload(actor, xlsx(rows, DIV_HEADERS), "区划.xlsx", entity="division")
    assert (job.create_count, job.update_count, job.error_rows) == (2, 1, 2)
    reasons = {e["row"]: e["reason"] for e in job.errors_preview}
    assert reasons == {5: "上级区划代码不存在", 6: "区划代码应为6位（乡镇为9位）数字"}
    job = apply(actor, job, only_valid=True)
    assert job.status == JobStatus.DONE
    assert Division.objects.get(pk="510106001").parent_id == "510106"
    assert Division.objects.get(pk="510104").name == "锦江区（更名）"
    assert not Division.objects.filter(pk="510107").exists()


def test_only_the_information_centre_may_import_divisions(world):
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(world.user("district_a"), xlsx([], DIV_HEADERS), "区划.xlsx", entity="division")
