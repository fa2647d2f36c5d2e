"""Uploaded files: read with a size limit and recognised by their content (magic bytes), never by the
name or the type the browser claims. Domain apps map the exceptions to their own error codes."""

MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


class FileTooLarge(ValueError):
    pass


class FileEmpty(ValueError):
    pass


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, JPEG or PNG file, by its first bytes; None for anything else."""
    for magic, content_type, extension in MAGIC:
        if data.startswith(magic):
            return content_type, extension
    return None


def read_limited(uploaded_file, max_bytes: int) -> bytes:
    """The whole upload, refusing it as soon as it passes `max_bytes` (before reading the rest)."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise FileTooLarge
    chunks, total = [], 0
    for chunk in uploaded_file.chunks() if hasattr(uploaded_file, "chunks") else [uploaded_file.read()]:
        total += len(chunk)
        if total > max_bytes:
            raise FileTooLarge
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise FileEmpty
    return data
