"""Serving stored files: always through a permission-checked view, never from a public media URL."""

from django.http import FileResponse, Http404


def private_download(field_file, *, name: str, content_type: str = "") -> FileResponse:
    """Stream a file from Django's storage as a private, uncached download; 404 when the stored file is gone.

    The caller has already checked that the user may see the file.
    """
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("Tệp không còn trong kho lưu trữ.") from exc
    response = FileResponse(handle, as_attachment=True, filename=name,
                            content_type=content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
