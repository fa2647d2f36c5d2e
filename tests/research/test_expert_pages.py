"""The commission's expert pool: experts enter with their specialties and institution (what conflict
avoidance compares), and the list shows their open reviews against the cap."""

import pytest
from django.urls import reverse

from weijian.research.models import Expert

pytestmark = pytest.mark.django_db


def test_the_commission_adds_experts_and_sees_the_pool(world, client_for):
    client = client_for(world.user("commission_science"))
    missing = client.post(reverse("research:expert-create"), {"name": "钱教授", "specialties": "心血管内科",
                                                              "title_level": "senior", "load_cap": "8"})
    assert missing.status_code == 422 and "请选择本市单位或填写外单位名称" in missing.content.decode()
    assert client.post(reverse("research:expert-create"), {
        "name": "钱教授", "specialties": "心血管内科，全科医学", "institution": world.inst_b1.pk,
        "title_level": "senior", "load_cap": "8"}).status_code == 302
    assert client.post(reverse("research:expert-create"), {
        "name": "孙教授", "specialties": "公共卫生", "affiliation": "某医科大学", "title_level": "senior",
        "load_cap": "5"}).status_code == 302
    local, outside = Expert.objects.get(name="钱教授"), Expert.objects.get(name="孙教授")
    assert (outside.name, outside.institution, outside.affiliation) == ("孙教授", None, "某医科大学")
    assert (local.specialties, local.institution) == (["心血管内科", "全科医学"], world.inst_b1)
    listing = client.get(reverse("research:expert-list")).content.decode()
    assert "钱教授" in listing and "心血管内科、全科医学" in listing and "某医科大学" in listing


def test_the_pool_is_the_commissions_alone(world, client_for):
    for key in ("institution_a1", "district_a", "worker_a1", "expert"):
        assert client_for(world.user(key)).get(reverse("research:expert-list")).status_code == 403
