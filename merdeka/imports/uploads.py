"""An upload handler that stops oversized uploads while they stream in."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Refuses a request once its files pass the import size limit, before it is all on disk."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.limit = settings.MERDEKA_IMPORT_MAX_BYTES

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)
