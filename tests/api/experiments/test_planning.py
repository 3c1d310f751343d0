"""Planning per-post experiments: sizes in posts from the network's own between-post variance,
a documented fallback, and the detectable effect for a given size."""

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from services.abtest import sizing
from tests.api.experiments.test_router import count_events
from tests.api.team.test_router import assert_problem
from tests.factories import Api

ARMS = [{"key": "video", "name": "Product video", "role": "team"},
        {"key": "webinar", "name": "Webinar post", "role": "stakeholder"}]


def history(api: Api, network: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` recent posts on `network` with overdispersed engagement; (engagements,
    impressions) as the API counts them (likes are the only engagement here)."""
    rng = np.random.default_rng(seed)
    impressions = rng.integers(500, 5_000, count)
    likes = rng.binomial(impressions, rng.beta(3, 97, count))
    when = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    api.ok(api.client.post("/v1/posts/bulk", headers=api.manager, json={"posts": [
        {"network": network, "external_id": f"h{i}", "published_at": when,
         "content_type": "image", "snapshots": [{"captured_at": when,
                                                 "impressions": int(impressions[i]),
                                                 "likes": int(likes[i])}]}
        for i in range(count)]}))
    return likes.astype(float), impressions.astype(float)


def test_per_post_size_uses_the_networks_between_post_variance(api: Api) -> None:
    api.make_network("instagram")
    y, x = history(api, "instagram", 40, seed=3)
    r = api.client.post("/v1/experiments", headers=api.manager, json={
        "name": "Webinar vs video", "baseline_rate": 0.03, "mde": 0.01, "network": "instagram",
        "arms": ARMS})
    body = api.ok(r, 201)

    rate = y.sum() / x.sum()
    dispersion = ((y - rate * x) ** 2).sum() / 39 / x.mean() ** 2 / (rate * (1 - rate))
    m2 = (x**2).mean() / x.mean() ** 2
    assert body["planned_n_per_arm"] == sizing.required_posts(
        dispersion * 0.03 * 0.97, 0.01, variance_b=dispersion * 0.04 * 0.96,
        extra_posts=2 * m2)
    assert "40 recent" in body["sizing_basis"] and "fallback" not in body["sizing_basis"]
    assert body["unit"] == "post"


def test_plans_answer_the_detectable_effect_and_write_nothing(api: Api) -> None:
    api.make_network("instagram")
    history(api, "instagram", 25, seed=4)
    ask = {"baseline_rate": 0.03, "mde": 0.01, "network": "instagram"}
    sized = api.ok(api.client.post("/v1/experiments/plans", headers=api.manager, json=ask))
    back = api.ok(api.client.post("/v1/experiments/plans", headers=api.manager, json={
        "baseline_rate": 0.03, "n_per_arm": sized["n_per_arm"], "network": "instagram"}))
    views = api.ok(api.client.post("/v1/experiments/plans", headers=api.manager, json={
        "primary_metric": "video_views", "n_per_arm": 40}))

    assert sized["counted"] == "posts" and sized["n_per_arm"] >= 10
    # The detectable effect takes the baseline's variance in both arms (the size used the
    # higher rate's in the other arm), so it is a little below the mde the size was made for.
    assert 0.008 < back["detectable_effect"] <= 0.01
    assert views["detectable_effect"] == pytest.approx(np.expm1(sizing.detectable_effect_posts(
        40, sizing.FALLBACK_LOG_SD**2)), rel=1e-12)
    assert "fallback" in views["basis"]
    assert count_events(api, "experiment.created") == 0


@pytest.mark.parametrize("body", [
    {"baseline_rate": 0.03},
    {"baseline_rate": 0.03, "mde": 0.01, "network": "myspace"},
    {"mde": 0.01},
    {"baseline_rate": 0.03, "n_per_arm": 1},
], ids=["nothing-asked", "unknown-network", "no-baseline", "one-post"])
def test_bad_plans_are_rejected(api: Api, body: dict[str, Any]) -> None:
    assert_problem(api.client.post("/v1/experiments/plans", headers=api.manager, json=body), 422)


def test_plans_need_a_staff_key(api: Api) -> None:
    r = api.client.post("/v1/experiments/plans", json={"baseline_rate": 0.03, "mde": 0.01},
                        headers=api.service_key("experiments:read"))
    assert_problem(r, 403)
