"""Settlement's settings (CNH_SETTLEMENT_* environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, model_validator

from services.runtime.settings import ServiceSettings
from services.settlement.adapters.bank.http_bank import HttpBank


class SettlementSettings(ServiceSettings):
    settlement_reconcile_interval_s: float = Field(default=5.0, gt=0)
    """How often the reconciliation loop matches statements and pending notices to payouts."""
    settlement_mint_retries: int = Field(default=4, ge=1)
    """Mints asked for one deposit at most, when issuance refused for a reason that may pass
    (it had not yet seen the wallet or the customer's verification)."""
    settlement_mint_retry_delay_s: float = Field(default=1.0, gt=0)
    """Doubled with each attempt."""
    settlement_unknown_grace_s: float = Field(default=600.0, gt=0)
    """A payout with an unknown outcome is declared not executed only when a complete bank
    statement starting this long after its submission does not show it. Must exceed the
    bank's booking delay."""

    settlement_attest_interval_s: float = Field(default=60.0, gt=0)
    """How often the service runs the attestation checks (and alerts on a new state)."""
    settlement_attest_record_interval_s: float = Field(default=86_400.0, gt=0)
    """How often the service records an attestation report (the daily coverage report);
    `make attest` prints one at any time, read-only, covering what followed the last."""
    settlement_attest_payout_grace_s: float = Field(default=900.0, ge=0)
    """A payout is judged (burned, released or refunded behind it) only this long after its
    submission: the saga burns right after the bank accepted it."""
    settlement_issuance_database_url: str = ""
    """Issuance's database, read by `make attest` (read-only) for issuance's own mints, holds
    and supply. Defaults to `database_url_template` filled with "issuance". The service itself
    reads only its own database."""

    settlement_bank_url: str = ""
    """The bank's payment API (simulators/bank); defaults to 127.0.0.1 on BANK_PORT, where
    `make up` starts the simulated bank."""
    bank_port: int = Field(
        default=18190, ge=1, le=65_535, validation_alias=AliasChoices("BANK_PORT", "CNH_BANK_PORT")
    )
    settlement_bank_timeout_s: float = Field(default=5.0, gt=0)
    """How long settlement waits for the bank's answer to a call; a payment order without an
    answer by then has an unknown outcome (PayoutOutcomeUnknown)."""
    settlement_bank_status_after_s: float = Field(default=30.0, gt=0)
    """A payout submitted without an answer is asked about (its status at the bank) once it
    is this old: a bank that never booked it gets it again, under the same idempotency key."""
    settlement_bank_status_interval_s: float = Field(default=10.0, gt=0)
    """How often the payouts without an answer are looked for."""

    @model_validator(mode="after")
    def _settlement_defaults(self) -> SettlementSettings:
        if not self.settlement_bank_url:
            url = f"http://127.0.0.1:{self.bank_port}"
            object.__setattr__(self, "settlement_bank_url", url)
        if not self.settlement_issuance_database_url:
            url = self.database_url_for("issuance")
            object.__setattr__(self, "settlement_issuance_database_url", url)
        return self

    def bank(self) -> HttpBank:
        """The bank's payment API, as settlement's client (its key in settlement's folder)."""
        return HttpBank.of_folder(
            self.settlement_bank_url, Path(self.secrets_dir), self.settlement_bank_timeout_s
        )
