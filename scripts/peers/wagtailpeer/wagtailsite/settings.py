"""Wagtail 8 as its project template sets it up (DEBUG off, gzip on), with its page cache: the
bench's "Wagtail" peer (scripts/bench.py).

"Its page cache": Wagtail's documentation names no page cache of its own (it recommends a caching
proxy, with purging through wagtail.contrib.frontend_cache); the in-app whole-page cache Wagtail
sites use is Django's per-site cache middleware, or the wagtail-cache package built on it, which
does not support Wagtail 8 yet (3.0.0 requires wagtail<8). So: Django's cache middleware,
UpdateCacheMiddleware first and FetchFromCacheMiddleware last, in each process's memory (like the
clinic's `pages` cache).
"""

import os
from pathlib import Path

PEERS = Path(__file__).resolve().parents[2]
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-peer-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "pages",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHE_MIDDLEWARE_SECONDS = 600
ROOT_URLCONF = "wagtailsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PEERS / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
WSGI_APPLICATION = "wagtailsite.wsgi.application"
# The bench makes a fresh database for each run (PEER_DATABASE: an SQLite file in its temporary directory).
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("PEER_DATABASE", "peer.sqlite3")}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "/static/"
WAGTAIL_SITE_NAME = "Example Clinic"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
