"""No file uploads, except on the paths in settings.FILE_UPLOAD_PATHS (none yet).

Multipart bodies themselves are fine (some clients send every form that way, Django's test
client included); the cost is in their file parts, which Django spools to a temporary file. This
handler runs first and refuses a file part before any byte of it is stored: the request answers
415 (see todo_site.errors.bad_request). On an allowed path it steps aside for Django's handlers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler


class FileUploadRefused(BadRequest):
    """A file part in a request to a path that takes no files."""


class RefuseFiles(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.request is None or self.request.path_info not in settings.FILE_UPLOAD_PATHS:
            raise FileUploadRefused("This address takes no file uploads.")
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # handed on to the next handler

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file
