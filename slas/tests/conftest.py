"""Configure minimal Django settings so pure-module tests run without a project settings file."""

from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=False)
