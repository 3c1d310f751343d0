"""Runtime settings, read from the environment (and `.env`) when the app or CLI starts."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./priorities.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql://user@host/db (psycopg 3).",
    )
    max_body_bytes: int = Field(default=1_048_576, description="Larger request bodies get 413.")
    idempotency_ttl_hours: int = Field(default=24, description="How long Idempotency-Key replays.")
    db_pool_size: int = Field(default=10, description="PostgreSQL connections per process.")
    log_level: str = Field(default="INFO")
    share_secret: str | None = Field(
        default=None,
        description="SHARE_SECRET: key that signs report share links. Unset: a random secret is "
        "created in the database on first use and shared by every process. Changing it "
        "invalidates every link.",
    )
    stale_after_hours: int = Field(
        default=48, description="A network whose newest metric snapshot is older is 'stale'.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL used in links the API hands out (share links, feeds).",
    )
