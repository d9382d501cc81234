"""The embedded e-mail backend: every message as an ``.eml`` file under ``var/mail/`` plus a console line."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("coresync.mail")


class FileAndConsoleBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = folder / f"{stamp}-{abs(hash(message.subject)) % 10_000:04d}.eml"
            path.write_bytes(message.message().as_bytes())
            logger.info("mail to=%s subject=%r file=%s", ",".join(message.to), message.subject, path)
            sent += 1
        return sent
