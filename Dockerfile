FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=wsgi
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pybabel compile -d translations && useradd --system --home /app carebridge && mkdir -p instance && chown carebridge instance
USER carebridge
EXPOSE 8000
# Migrate, then serve. Demo data only when SEED_DEMO=1 (never in production).
CMD ["sh", "-c", "flask db upgrade && if [ \"$SEED_DEMO\" = 1 ]; then flask seed-demo --if-empty; fi && exec gunicorn --workers ${WORKERS:-3} --bind 0.0.0.0:8000 --access-logfile - wsgi:app"]
