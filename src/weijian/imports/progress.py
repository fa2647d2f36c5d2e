"""Live progress of running import jobs, kept in the cache so any web process can read it
while the worker holds a long write transaction (the durable state lives in ImportJob)."""

from django.core.cache import cache

TTL_SECONDS = 24 * 3600


def _key(job_id) -> str:
    return f"import-progress:{job_id}"


def report(job_id, *, phase: str, done: int, total: int | None) -> None:
    cache.set(_key(job_id), {"phase": phase, "done": done, "total": total}, TTL_SECONDS)


def read(job_id) -> dict | None:
    return cache.get(_key(job_id))


def clear(job_id) -> None:
    cache.delete(_key(job_id))
