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
    idempotency_lease_seconds: float = Field(
        default=30.0, gt=0, description="How long a claimed Idempotency-Key waits for a request "
        "that stopped renewing it (its process died) before a retry may run again.")
    # A request holds its connection throughout, and when the pool runs dry, newly arriving
    # requests take returned connections ahead of the waiting ones: p99 of a one-row read went
    # from 0.6 s to 0.13 s at 16 clients when the pool grew from 10 to 20. Keep it at least at
    # the concurrent requests one process serves.
    db_pool_size: int = Field(
        default=30, description="PostgreSQL connections per process in each of its two pools "
        "(ORM sessions; hot reads).")
    auth_cache_seconds: float = Field(
        default=5.0, description="How long a process trusts a key it has looked up; a key "
        "revoked in another worker process still works there for up to this long. 0: off.")
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
    double_booking_minutes: int = Field(
        default=120, description="Two entries on one network closer than this get a warning.")
    update_cadence_days: int = Field(
        default=3, description="Default days until a request's next progress update is due.")
    webhook_worker: bool = Field(default=True, description="Run the webhook delivery worker.")
    webhook_poll_seconds: float = Field(default=1.0, description="Delivery worker poll period.")
    webhook_max_attempts: int = Field(default=8, description="Attempts before a delivery fails.")
    webhook_backoff_seconds: float = Field(
        default=10.0, description="First retry delay; doubles on each attempt (capped at 1 h).")
    webhook_timeout_seconds: float = Field(default=10.0, description="Per-delivery HTTP timeout.")
