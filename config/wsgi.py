import os

from django.core.wsgi import get_wsgi_application

from config.embedded import ensure_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ensure_services()

application = get_wsgi_application()
