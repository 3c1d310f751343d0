FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY services ./services
COPY shared ./shared
RUN pip install --no-cache-dir '.[postgres]'
USER nobody
EXPOSE 8000
# `serve` applies migrations first (one process at a time, under an advisory lock).
CMD ["priorities", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
