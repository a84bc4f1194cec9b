"""Issuance's mints and burns as settlement records them (the attestation's view of the
token supply; a movement seen twice counts once)."""

from __future__ import annotations

from schemas.issuance import Burned, Minted
from services.settlement.repository.supply import SupplyMovement
from services.settlement.use_cases.work import SettlementWork


async def tokens_minted(work: SettlementWork, event: Minted) -> None:
    work.supply.record(
        SupplyMovement(
            event.mint_id,
            "minted",
            event.amount.amount_minor,
            event.supply_after.amount_minor,
            work.occurred_at,
            deposit_id=event.deposit_id,
        )
    )


async def tokens_burned(work: SettlementWork, event: Burned) -> None:
    work.supply.record(
        SupplyMovement(
            event.burn_id,
            "burned",
            event.amount.amount_minor,
            event.supply_after.amount_minor,
            work.occurred_at,
            redemption_id=event.redemption_id,
        )
    )
