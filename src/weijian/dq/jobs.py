"""Checking an upload's data in the background once it is stored (called through
`records.hooks.after_upload`, see settings.RECORDS_AFTER_UPLOAD)."""

from weijian.core.tasks import background
from weijian.dq import services


@background
def check_upload(upload_id: int) -> None:
    services.check_upload(upload_id)


def check_upload_later(upload_id: int) -> None:
    """The hook: queue the check (the hook itself already runs after the upload's commit)."""
    check_upload.enqueue(upload_id)
