"""The built-in terminology, and who may write what."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.terminology.conftest import A1_MAP, SEX
from weijian.accounts.access import scoped_queryset
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.terminology import operations, services
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.importers import MapRow
from weijian.terminology.models import CodeSystem, Concept, ConceptMap, ConceptMapElement, ValueSet
from weijian.terminology.seed import code_system_url, terminology_seed, value_set_url

pytestmark = pytest.mark.django_db


def test_seed_is_loaded_by_the_migration(db):
    assert [c["code"] for c in operations.expand(value_set_url("gb-t-2261-1"))["contains"]] == ["0", "1", "2", "9"]
    ethnicity = operations.expand(value_set_url("gb-t-3304"))
    assert ethnicity["total"] == 58
    assert operations.lookup(code_system_url("gb-t-3304"), "01")["display"] == "汉族"
    assert operations.lookup(code_system_url("gb-t-3304"), "56")["display"] == "基诺族"
    assert operations.lookup(code_system_url("ws-364-cv04-50-005"), "4")["display"] == "AB型"
    assert operations.lookup(code_system_url("ws-364-cv04-50-020"), "2")["display"] == "阳性"
    assert not CodeSystem.objects.filter(url=code_system_url("gb-t-2260")).exists()  # no divisions yet


def test_seed_twice_changes_nothing_and_picks_up_divisions(world):
    counts = (CodeSystem.objects.count(), Concept.objects.count(), ValueSet.objects.count())
    audits = AuditEvent.objects.count()
    results = terminology_seed(actor=world.user("commission_info"))
    assert results["gb-t-2261-1"].unchanged == 4 and results["gb-t-2261-1"].created == 0
    # the world's five divisions arrive as GB/T 2260 concepts, with their hierarchy
    assert results["gb-t-2260"].created == 5
    assert operations.lookup(code_system_url("gb-t-2260"), "510104")["parent"] == ["510100"]
    assert (CodeSystem.objects.count(), Concept.objects.count(), ValueSet.objects.count()) == (
        counts[0] + 1, counts[1] + 5, counts[2] + 1)
    written = AuditEvent.objects.count() - audits
    again = terminology_seed(actor=world.user("commission_info"))
    assert all(r.created == r.updated == 0 for r in again.values())
    assert AuditEvent.objects.count() - audits == written  # nothing new to audit
    with pytest.raises(PermissionDenied):
        terminology_seed(actor=world.user("district_a"))


def test_every_reader_reads_terminology(world, terms):
    for key in ("commission_science", "commission_info", "district_a", "institution_b1", "worker_a1"):
        user = world.user(key)
        assert scoped_queryset(user, ConceptMap).filter(url=A1_MAP).exists(), key
        assert scoped_queryset(user, Concept).filter(code_system__url=SEX).count() == 4, key
    assert not scoped_queryset(world.user("audit_admin"), CodeSystem).exists()


def test_health_worker_and_district_cannot_write(world, terms):
    for key in ("worker_a1", "district_a", "commission_science"):
        with pytest.raises(PermissionDenied):
            services.code_system_create(actor=world.user(key), url="urn:x:1", name="X")
        with pytest.raises(PermissionDenied):
            services.concept_deactivate(actor=world.user(key), concept=terms.lab.concepts.get(code="GLU"))
        with pytest.raises(PermissionDenied):
            services.concept_map_elements_upsert(actor=world.user(key), concept_map=terms.a1_map,
                                                 rows=[MapRow("1", "X", "x", "1", "")])
    assert terms.lab.concepts.get(code="GLU").is_active


def test_institution_writes_only_its_own_concept_maps(world, terms):
    b1 = world.user("institution_b1")
    with pytest.raises(BusinessError) as exc:
        services.concept_map_elements_upsert(actor=b1, concept_map=terms.a1_map,
                                             rows=[MapRow("1", "X", "x", "1", "")])
    assert exc.value.code == E.INSTITUTION_OUT_OF_SCOPE
    with pytest.raises(BusinessError) as exc:  # nor a city-wide map, nor one for another hospital
        services.concept_map_create(actor=b1, url="http://test.local/ConceptMap/x", name="X",
                                    source_system="urn:x", target_system=SEX)
    assert exc.value.code == E.INSTITUTION_OUT_OF_SCOPE
    with pytest.raises(BusinessError):
        services.concept_map_create(actor=b1, url="http://test.local/ConceptMap/x", name="X",
                                    source_system="urn:x", target_system=SEX, source_institution=world.inst_a1)
    own = services.concept_map_create(actor=b1, url="http://test.local/ConceptMap/b1", name="B1",
                                      source_system="urn:b1", target_system=SEX, source_institution=world.inst_b1)
    assert own.source_institution == world.inst_b1
    with pytest.raises(PermissionDenied):
        services.code_system_create(actor=b1, url="urn:x:1", name="X")
    # the information centre keeps every map
    services.concept_map_elements_upsert(actor=world.user("commission_info"), concept_map=terms.a1_map,
                                         rows=[MapRow("1", "X", "其他", "9", "")])
    assert ConceptMapElement.objects.filter(concept_map=terms.a1_map, source_code="X").exists()


def test_writes_are_audited_with_snapshots(world, terms):
    a1 = world.user("institution_a1")
    event = AuditEvent.objects.get(entity="terminology-concept-map", action="create", summary="M → 1")
    assert event.actor == a1 and event.entity_id == str(terms.a1_map.pk)
    assert event.after["source_code"] == "M" and event.after["target_display"] == "男性"
    info = world.user("commission_info")
    services.code_system_update(actor=info, code_system=terms.lab, title="检验项目字典")
    update = AuditEvent.objects.filter(entity="terminology-code-system", action="update").latest("id")
    assert (update.before, update.after) == ({"title": "检验项目"}, {"title": "检验项目字典"})
    retired = AuditEvent.objects.get(entity="terminology-code-system", action="deactivate")
    assert retired.after == {"code": "K", "is_active": False}


def test_single_concept_writes_raise_field_errors(world, terms):
    info = world.user("commission_info")
    with pytest.raises(BusinessError) as exc:
        services.concept_add(actor=info, code_system=terms.lab, code="hb", display="重复")  # case-insensitive
    assert exc.value.code == E.CODE_TAKEN
    with pytest.raises(BusinessError) as exc:
        services.concept_add(actor=info, code_system=terms.lab, code="PLT", display="血小板", parent_code="NONE")
    assert exc.value.code == E.PARENT_NOT_FOUND
    glu = terms.lab.concepts.get(code="GLU")
    with pytest.raises(BusinessError) as exc:
        services.concept_update(actor=info, concept=glu, display="葡萄糖", parent_code="GLU-F")
    assert exc.value.code == E.PARENT_CYCLE
    plt = services.concept_add(actor=info, code_system=terms.lab, code="PLT", display="血小板", parent_code="HB")
    assert plt.parent.code == "HB"
    with pytest.raises(BusinessError) as exc:
        services.code_system_create(actor=info, url="lab", name="X")
    assert exc.value.code == E.URL_INVALID
    with pytest.raises(BusinessError) as exc:
        services.value_set_create(actor=info, url="http://test.local/ValueSet/lab", name="Lab",
                                  includes=[{"system": terms.lab.url}])
    assert exc.value.code == E.VERSION_TAKEN


def test_load_terminology_command(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("load_terminology", "--as-user", "commission_info", stdout=out)
    assert "gb-t-2261-1: created 0, updated 0, unchanged 4" in out.getvalue()
    assert "gb-t-2260: created 5" in out.getvalue()
