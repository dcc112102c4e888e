"""The launch-state store: file store always, Redis when EMM_TEST_REDIS_URL is set."""
from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path

import pytest

from lti_tool.state_store import FileStateStore, open_state_store

STORES = ["file"] + (["redis"] if os.environ.get("EMM_TEST_REDIS_URL") else [])


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "file":
        return open_state_store(f"file://{tmp_path / 'state'}")
    return open_state_store(os.environ["EMM_TEST_REDIS_URL"])


def test_put_get_pop(store) -> None:
    key = "state:" + secrets.token_hex(8)
    store.put(key, {"nonce": "n-1", "issuer": "https://lms.example"}, ttl=60)
    assert store.get(key) == {"nonce": "n-1", "issuer": "https://lms.example"}
    assert store.pop(key)["nonce"] == "n-1"
    assert store.pop(key) is None
    assert store.get(key) is None


def test_entries_expire(store) -> None:
    key = "state:" + secrets.token_hex(8)
    store.put(key, {"v": 1}, ttl=1)
    time.sleep(1.2)
    assert store.get(key) is None
    assert store.pop(key) is None


def test_pop_is_taken_once_by_racing_threads(store) -> None:
    key = "state:" + secrets.token_hex(8)
    store.put(key, {"v": 1}, ttl=60)
    barrier = threading.Barrier(16)
    won: list[object] = []

    def take() -> None:
        barrier.wait()
        value = store.pop(key)
        if value is not None:
            won.append(value)

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_file_store_prunes_expired_entries(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "state")
    store.put("a", {"v": 1}, ttl=1)
    store.put("b", {"v": 2}, ttl=60)
    time.sleep(1.2)
    assert store.prune() == 1
    assert store.get("b") == {"v": 2}
