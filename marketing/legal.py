"""The legal documents: one template each under ``marketing/legal/``, listed here with the date
they last changed. Change a document's text → change its ``updated`` date."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LegalDocument:
    url_name: str
    title: str
    summary: str
    updated: date

    @property
    def template(self) -> str:
        return f"marketing/legal/{self.url_name}.html"


LEGAL_DOCUMENTS = {
    document.url_name: document
    for document in [
        LegalDocument(
            "terms",
            "Terms of service",
            "The agreement between Personae and the people and organisations who use it: accounts, "
            "plans and credits, your content, and our responsibilities.",
            date(2026, 11, 22),
        ),
        LegalDocument(
            "privacy",
            "Privacy policy",
            "What personal data Personae collects, including face data used for consistent characters, "
            "why, who processes it, how long we keep it and your rights.",
            date(2026, 12, 7),
        ),
        LegalDocument(
            "acceptable_use",
            "Acceptable use policy",
            "What you may and may not create with Personae: likeness consent, adults only, adult-content "
            "rules, and how to report content or request a takedown.",
            date(2026, 11, 22),
        ),
        LegalDocument(
            "cookies",
            "Cookie notice",
            "The few cookies Personae sets, all strictly necessary: no advertising or tracking cookies.",
            date(2026, 11, 22),
        ),
    ]
}
