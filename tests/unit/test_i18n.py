import pytest
from django.utils import translation

from weijian.core.errors import BusinessError
from weijian.workforce.errors import WorkforceErrorCode
from weijian.workforce.idnumber import IdNumberError, parse_id_number


def test_business_errors_speak_the_active_language():
    with translation.override("zh-hans"):
        assert BusinessError(WorkforceErrorCode.ID_NUMBER_TAKEN).message == "该身份证号已登记"
    with translation.override("en"):
        assert BusinessError(WorkforceErrorCode.ID_NUMBER_TAKEN).message == "This ID number is already registered"
        with pytest.raises(IdNumberError, match="An ID number has 18 characters"):
            parse_id_number("123")


def test_pages_switch_to_english(world, client_for):
    client = client_for(world.user("district_a"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/workforce/workers/").content.decode()
    assert "Export Excel" in page or "Export" in page
    assert "导出 Excel" not in page


def test_chinese_by_default_even_for_an_english_browser(world, client_for):
    client = client_for(world.user("district_a"))
    page = client.get("/workforce/workers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "导出 Excel" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/workforce/workers/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "导出 Excel" not in page
