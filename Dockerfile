# socialwall: the web app and its ingest workers in one container.
#   docker build -t socialwall .
#   docker run -p 8000:8000 -v socialwall-data:/app/data socialwall
# Mount your own settings with -v ./my-config.yaml:/app/config.yaml:ro, and use PostgreSQL with
# -e SOCIALWALL_DATABASE_URL=postgresql://user:password@db/socialwall.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
COPY ingest ./ingest
COPY wall_ui ./wall_ui
RUN pip install -c constraints.txt . && rm -rf app ingest wall_ui

COPY config.yaml ./
RUN useradd --system --create-home socialwall && mkdir -p /app/data && chown socialwall /app/data
USER socialwall
VOLUME ["/app/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

CMD ["socialwall", "serve", "--config", "/app/config.yaml", "--host", "0.0.0.0", "--port", "8000"]
