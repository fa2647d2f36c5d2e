"""The one wrapper over the task queue (django-tasks).

Default backend: the database (django-tasks-db; no extra server; several `db_worker`
processes can share a PostgreSQL database with SKIP LOCKED). With WEIJIAN_TASK_BACKEND=redis
the same tasks run on RQ workers. Tests use the immediate backend.
"""

from django.db import transaction
from django_tasks import task as _task


def background(func):
    """Declare a job: a thin function taking ids, safe to run twice."""
    return _task(func)


def enqueue_on_commit(job, *args, **kwargs) -> None:
    transaction.on_commit(lambda: job.enqueue(*args, **kwargs))
