"""What every service runs on: settings, logs, broker, database, migrations, outbox and
relay, inbox, dead letters, retries and batch handling."""

from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.retry import TransientError
from services.runtime.service import Service
from services.runtime.settings import ServiceSettings

__all__ = ["HandlerContext", "Service", "ServiceSettings", "Subscription", "TransientError"]
