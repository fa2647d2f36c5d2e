import re


def _stats(response) -> dict[str, int]:
    html = response.content.decode()
    return {k: int(v) for k, v in re.findall(r'data-stat="([^"]+)">(\d+)<', html)}


def test_each_role_sees_counts_of_its_own_scope(world, client_for):
    city = _stats(client_for(world.user("commission_science")).get("/"))
    assert city["在业机构"] == 3 and city["在岗卫生人员"] == 3
    district = _stats(client_for(world.user("district_b")).get("/"))
    assert district["在业机构"] == 1 and district["在岗卫生人员"] == 1
    own = _stats(client_for(world.user("institution_a1")).get("/"))
    assert own["在业机构"] == 1 and own["在岗卫生人员"] == 1
    audit = _stats(client_for(world.user("audit_admin")).get("/"))
    assert "在岗卫生人员" not in audit and audit["审计事件"] > 0


def test_breakdown_compares_districts_only_for_city_roles(world, client_for):
    assert "各区县在业机构数" in client_for(world.user("commission_info")).get("/").content.decode()
    page = client_for(world.user("district_a")).get("/").content.decode()
    assert "在业机构类别构成" in page and "各区县在业机构数" not in page
