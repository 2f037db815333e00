"""The bus, used the same way by every service.

    connection  the service's NATS connection (nats-py), re-opened when closed for good
    streams     its own stream declared; other services' streams waited for
    consumers   Consumers: durable pull subscriptions, batches applied behind the inbox,
                settled (ack, nak with back-off, dead letter with the reason)
    feed        each consumer's fetch loop and the standing pull request feeding it
    publisher   the relay's publish: pipelined messages and atomic batches
    wire        raw protocol writes and every private attribute of nats-py in use
"""

from libs.runtime.bus.connection import Broker, make_broker
from libs.runtime.bus.consumers import BatchHandler, Consumers, Handler, Prompt, fact_wait_delay, log_context
from libs.runtime.bus.feed import PullConsumer
from libs.runtime.bus.publisher import MAX_ATOMIC_BATCH, PublishRefused, TooLarge, Unstorable, publisher
from libs.runtime.bus.streams import DUPLICATE_WINDOW_S, declare_own_stream, wait_for_streams
from libs.runtime.bus.wire import ack_all, send_all

__all__ = [
    "DUPLICATE_WINDOW_S", "MAX_ATOMIC_BATCH", "BatchHandler", "Broker", "Consumers", "Handler",
    "Prompt", "PublishRefused", "PullConsumer", "TooLarge", "Unstorable", "ack_all", "declare_own_stream",
    "fact_wait_delay", "log_context", "make_broker", "publisher", "send_all", "wait_for_streams",
]
