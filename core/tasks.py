from anymail.exceptions import AnymailAPIError
from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    autoretry_for=(AnymailAPIError, ConnectionError, TimeoutError),
    retry_backoff=10,
    retry_jitter=True,
    max_retries=5,
)
def send_email(*, to: list[str], subject: str, text: str, html: str) -> None:
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()
