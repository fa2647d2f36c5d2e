from weijian.accounts.access import scoped_queryset
from weijian.workforce.models import Worker


def test_district_user_sees_only_its_district_workers(world):
    seen = set(scoped_queryset(world.user("district_a"), Worker).values_list("name", flat=True))
    assert seen == {"张医生", "李护士"}


def test_health_worker_sees_only_self(world):
    seen = list(scoped_queryset(world.user("worker_a1"), Worker).values_list("name", flat=True))
    assert seen == ["张医生"]
