"""The bank's settings: the runtime's (database, secrets, logging) and its own."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field

from services.runtime.settings import ServiceSettings

API_KEY_FILE = "api.key"  # infra/secrets.py writes it to the bank's secrets folder


class BankSettings(ServiceSettings):
    service: str = "bank"
    bank_host: str = "127.0.0.1"
    bank_port: int = Field(
        default=18190, ge=1, le=65_535, validation_alias=AliasChoices("BANK_PORT", "CNH_BANK_PORT")
    )
    bank_faults: bool = False
    """CNH_BANK_FAULTS=1 opens /admin/faults: tests make the bank fail on purpose."""
    bank_settle_delay_s: float = Field(default=2.0, ge=0)
    """CHATS and RTGS settle after this, SWIFT after twice it, FPS at once."""
    bank_late_delay_s: float = Field(default=60.0, ge=0)
    bank_return_delay_s: float = Field(default=300.0, ge=0)
    bank_account: str = "HK-RESERVE-CNH-0001"
    """The issuer's reserve account at the bank: the account its statements are of."""
    bank_delivery_interval_s: float = Field(default=0.2, gt=0)
    """How often the bank looks for notices and statement pages due for delivery."""
    bank_statement_interval_s: float = Field(default=60.0, gt=0)
    """The bank sends a statement of the issuer's account this often."""
    bank_withhold_max_s: float = Field(default=300.0, gt=0)
    """An answer the bank withholds (no answer) waits this long at most for the client to
    hang up."""

    def api_key(self) -> str:
        return (Path(self.secrets_dir) / API_KEY_FILE).read_text().strip()
