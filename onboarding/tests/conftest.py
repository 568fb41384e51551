from core.tests.mailbox import mailbox  # noqa: F401
