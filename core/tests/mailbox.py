"""The ``mailbox`` fixture: each test gets its own empty file mailbox, read the way a person
reads their inbox (newest last)."""

import re

import pytest

from core.mail import StoredMail, stored_mail_list


class Mailbox:
    def all(self) -> list[StoredMail]:
        return list(reversed(stored_mail_list()))

    def to(self, address: str) -> list[StoredMail]:
        return [m for m in self.all() if address.lower() in m.to.lower()]

    def only(self, address: str | None = None) -> StoredMail:
        mails = self.to(address) if address else self.all()
        assert len(mails) == 1, (
            f"expected one email{f' to {address}' if address else ''}, got {[m.subject for m in mails]}"
        )
        return mails[0]

    @staticmethod
    def link(mail: StoredMail, path_fragment: str) -> str:
        """The path of the first link in the text part that contains ``path_fragment``."""
        for url in re.findall(r"https?://[^\s\"'<>]+", mail.text):
            if path_fragment in url:
                return re.sub(r"^https?://[^/]+", "", url)
        raise AssertionError(f"no link containing {path_fragment!r} in:\n{mail.text}")


@pytest.fixture
def mailbox(settings, tmp_path):
    # pytest-django swaps in the locmem backend; put back the file mailbox the app really uses.
    settings.EMAIL_BACKEND = "core.mail.DevMailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return Mailbox()
