# One image for the portal's web, worker and beat processes (compose.yaml). Each container
# runs one `deploy/run` command: the same commands `make serve` runs under its tests.
# Not built by CI (there is no Docker engine there).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VENV_BIN=/app/.venv/bin \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app
# The PDFs' layout engine (WeasyPrint) needs Pango >= 1.44 and HarfBuzz; fonts come from PyPI.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin portal

COPY requirements.txt ./
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.txt

COPY . .
# Hashed, compressed static files go into the image; settings need a key to load, not this one.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-used-at-runtime SEAL_PRIVATE_KEY=collectstatic-only \
    deploy/run static \
    && mkdir -p var/media && chown -R portal:portal var

USER portal
EXPOSE 8000
CMD ["deploy/run", "web"]
