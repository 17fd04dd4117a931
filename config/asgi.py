from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from config.checks import refuse_placeholder_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
refuse_placeholder_key()
