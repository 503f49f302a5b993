# One image for every shopsync process; the command picks the role (api, worker, simulator, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY bulk ./bulk
COPY service ./service
COPY workers ./workers
COPY schema ./schema
COPY simulator ./simulator
COPY cli ./cli
RUN pip install --no-cache-dir . && useradd --system --uid 10001 shopsync
USER shopsync
ENTRYPOINT ["shopsync"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
