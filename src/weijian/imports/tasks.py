"""Background jobs: thin, idempotent wrappers that take a job id and call one service."""

from weijian.core.context import request_origin
from weijian.core.tasks import background
from weijian.imports import services


@background
def import_validate_job(job_id: str) -> None:
    with request_origin(address="worker", channel_name="job"):
        services.import_validate(job_id=job_id)


@background
def import_apply_job(job_id: str) -> None:
    with request_origin(address="worker", channel_name="job"):
        services.import_apply(job_id=job_id)
