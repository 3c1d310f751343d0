"""The yardstick: a bare FastAPI endpoint with no database, measured beside the API."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}
