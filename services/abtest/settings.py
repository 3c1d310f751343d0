"""The evaluator's settings, from ABTEST_* environment variables (and `.env`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.client import ExperimentsClient, RetryPolicy, make_http_client


class AbtestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ABTEST_", env_file=".env", extra="ignore")

    api_url: str = Field(default="http://127.0.0.1:8000", description="The API's base URL.")
    api_key: str = Field(default="", description="Service key with experiments:read and "
                                                 "verdicts:write.")
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    attempts: int = Field(default=5, ge=1, le=20, description="Tries per request in all.")
    backoff_seconds: float = Field(default=0.5, ge=0, description="First wait; doubles.")
    max_backoff_seconds: float = Field(default=8.0, ge=0)
    workers: int = Field(default=2, ge=1, le=16, description="Pages evaluated at once.")
    page_size: int = Field(default=200, ge=1, le=200,
                           description="Due experiments per page (and per verdict batch).")

    def client(self) -> ExperimentsClient:
        http = make_http_client(self.api_url, self.api_key, connect_timeout=self.connect_timeout,
                                read_timeout=self.read_timeout)
        return ExperimentsClient(http, retry=RetryPolicy(self.attempts, self.backoff_seconds,
                                                         self.max_backoff_seconds))
