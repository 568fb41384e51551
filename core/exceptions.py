class DomainError(Exception):
    """A rule a user broke, with a message written for them. Views show it on the page."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
