"""What runs after an upload is stored, named in settings (`RECORDS_AFTER_UPLOAD`, dotted paths taking the
upload's id) so that apps downstream of the record store (data-quality control) are called without the
store importing them. Each is called when the upload's transaction commits."""

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string


def after_upload(upload_id: int) -> None:
    for path in getattr(settings, "RECORDS_AFTER_UPLOAD", ()):
        hook = import_string(path)
        transaction.on_commit(lambda hook=hook: hook(upload_id))
