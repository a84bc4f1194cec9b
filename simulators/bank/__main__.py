"""`python -m simulators.bank`: the simulated bank on 127.0.0.1:$BANK_PORT."""

from __future__ import annotations

import uvicorn

from services.runtime.logging import configure_logging
from simulators.bank.app import create_app
from simulators.bank.settings import BankSettings


def main() -> None:
    settings = BankSettings()
    configure_logging(settings.service, settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.bank_host,
        port=settings.bank_port,
        log_config=None,  # the runtime's logging, not uvicorn's
        access_log=False,
        timeout_graceful_shutdown=5,  # a withheld answer must not hold the stop up
    )


if __name__ == "__main__":
    main()
