"""Settlement's settings (CNH_SETTLEMENT_* environment variables)."""

from __future__ import annotations

from pydantic import Field, model_validator

from services.runtime.settings import ServiceSettings


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

    settlement_bank_account: str = "HK-RESERVE-CNH-0001"
    """The issuer's reserve account number at the bank (statements are of this account)."""
    settlement_bank_principal: str = "bank"
    """The simulated bank publishes its notices as the bank's principal (its secrets folder
    under CNH_SECRETS_ROOT): settlement itself may not write its ingress topic."""
    settlement_bank_poll_interval_s: float = Field(default=0.2, gt=0)
    settlement_bank_settle_delay_s: float = Field(default=2.0, ge=0)
    """CHATS and SWIFT: time from acceptance to settlement (FPS settles at once)."""
    settlement_bank_late_delay_s: float = Field(default=60.0, ge=0)
    """Behaviour "-0004" (settles later): time to the delayed settlement notice."""
    settlement_bank_return_delay_s: float = Field(default=300.0, ge=0)
    """Behaviour "-0005" (returned): time from settlement to the return ("days later")."""
    settlement_bank_statement_interval_s: float = Field(default=60.0, gt=0)
    """The bank sends a statement of the reserve account this often."""

    @model_validator(mode="after")
    def _issuance_url(self) -> SettlementSettings:
        if not self.settlement_issuance_database_url:
            url = self.database_url_for("issuance")
            object.__setattr__(self, "settlement_issuance_database_url", url)
        return self
