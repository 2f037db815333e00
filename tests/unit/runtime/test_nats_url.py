"""PLAZADESK_NATS_URL names one server or a cluster, comma-separated (README, deploy files):
each server is checked at start-up and handed to the client as its own URL."""

from __future__ import annotations

import pytest

from libs.runtime import bus
from libs.runtime.settings import ServiceSettings, SettingsError, nats_servers


class Probe(ServiceSettings, kw_only=True):
    service: str = "intake"
    http_port: int = 0


def test_a_cluster_url_is_split_into_one_url_per_server():
    assert nats_servers("nats://a:4222,nats://b:4222, nats://c:4222") == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
    assert nats_servers("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]


def test_the_broker_gets_every_server_of_a_cluster_url():
    broker = bus.make_broker("nats://a:4222,nats://b:4222")
    assert broker.options["servers"] == ["nats://a:4222", "nats://b:4222"]
    assert broker.options["max_reconnect_attempts"] == -1  # never gives up reconnecting


def test_every_server_of_a_cluster_url_must_be_a_nats_url():
    assert Probe(nats_url="nats://a:4222,tls://b:4222").nats_url == "nats://a:4222,tls://b:4222"
    with pytest.raises(SettingsError, match="'b:4222'"):
        Probe(nats_url="nats://a:4222,b:4222")
