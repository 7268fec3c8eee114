"""Redis URL and client settings follow Dojo's variables (dojo-contract §3.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from services.common.env import ConfigError, Env
from services.common.redis_conn import RedisConfig, build_url, create_blocking_client, create_client, redact
from tests.redisproc import RedisProcess


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [
        ("", "", "redis://redis:6379"),
        ("admin", "", "redis://redis:6379"),  # a username alone is not sent
        ("", "s3cret", "redis://:s3cret@redis:6379"),
        ("admin", "s3cret", "redis://admin:s3cret@redis:6379"),
        ("ad min", "p@ss:w/rd", "redis://ad%20min:p%40ss%3Aw%2Frd@redis:6379"),
    ],
)
def test_build_url_follows_dojo_rule(username: str, password: str, expected: str) -> None:
    assert build_url("redis", 6379, username, password) == expected


def test_defaults_match_dojo() -> None:
    cfg = RedisConfig.from_env(Env({}))
    assert cfg.url == "redis://localhost:6379"


def test_default_username_is_sent_with_a_password() -> None:
    cfg = RedisConfig.from_env(Env({"REDIS_HOST": "redis", "REDIS_PORT": "6380", "REDIS_PASSWORD": "pw"}))
    assert cfg.url == "redis://default:pw@redis:6380"
    assert cfg.redacted_url == "redis://default:***@redis:6380"


def test_redis_url_overrides_the_parts() -> None:
    env = Env({"REDIS_URL": "redis://u:p@elsewhere:7000/2", "REDIS_HOST": "ignored"})
    assert RedisConfig.from_env(env).url == "redis://u:p@elsewhere:7000/2"


def test_bad_values_fail_at_start_up() -> None:
    env = Env({"REDIS_URL": "http://x", "REDIS_SOCKET_TIMEOUT": "soon"})
    RedisConfig.from_env(env)
    with pytest.raises(ConfigError) as err:
        env.check()
    assert "REDIS_URL" in str(err.value) and "REDIS_SOCKET_TIMEOUT" in str(err.value)


def test_redact_hides_only_the_password() -> None:
    assert redact("redis://user:hunter2@h:1") == "redis://user:***@h:1"
    assert redact("redis://h:1") == "redis://h:1"


@pytest.mark.parametrize("make", [create_client, lambda cfg: create_blocking_client(cfg, 4)])
async def test_closing_a_client_closes_its_connections(redis_server: RedisProcess, redis: Redis,
                                                       make: Callable[[RedisConfig], Redis]) -> None:
    async def ids() -> set[str]:
        return {str(c["id"]) for c in await redis.client_list()}

    before = await ids()
    client = make(RedisConfig(url=redis_server.url))
    await asyncio.gather(*(client.ping() for _ in range(4)))
    opened = await ids() - before  # other tests' clients may come and go meanwhile: follow only these
    assert opened
    await client.aclose()
    for _ in range(50):
        if not opened & await ids():
            break
        await asyncio.sleep(0.02)
    assert not opened & await ids()
