"""The OpenAPI schema builds without warnings and is served with Swagger UI from local assets."""

import re

import yaml
from django.core.management import call_command

EXPECTED_OPERATIONS = {
    "division_list", "division_detail",
    "institution_list", "institution_create", "institution_detail", "institution_update", "institution_deactivate",
    "worker_list", "worker_create", "worker_detail", "worker_update", "worker_deactivate",
    "worker_reveal_id_number",
    "cme_credit_bulk", "cme_worker_transcript",
    "research_call_list", "research_call_detail",
    "research_application_list", "research_application_create", "research_application_detail",
    "research_application_update", "research_application_submit", "research_application_endorse",
    "research_application_return", "research_application_decide", "research_application_scores",
    "research_review_list", "research_review_detail", "research_review_submit",
    "research_indicators", "research_project_cleanup",
    "records_dataset_upload", "records_dataset_template", "records_upload_detail",
    "card_lookup", "card_usage", "card_issue",
}


def test_schema_validates_with_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    operations = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    assert operations == EXPECTED_OPERATIONS
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "wj_…"}
    worker = schema["components"]["schemas"]["Worker"]["properties"]
    assert "id_number_masked" in worker and "id_number" not in worker


def test_schema_and_docs_are_served(world, client):
    assert client.get("/api/schema/").status_code == 401  # not without login
    client.force_login(world.user("institution_a1"), backend="weijian.accounts.backends.LockoutModelBackend")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/workers/{id}/reveal-id-number/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html) and "https://" not in html
