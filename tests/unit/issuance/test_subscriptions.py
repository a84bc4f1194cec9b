"""Issuance accepts every KYC and settlement fact (the codec would dead-letter an
unaccepted type) and every issuance command."""

from __future__ import annotations

from schemas import MESSAGE_TYPES
from services.issuance.handlers import subscriptions


def test_every_kyc_and_settlement_type_and_every_issuance_command_has_a_handler() -> None:
    commands, mints, kyc, settlement = subscriptions("0")
    assert (commands.topic, mints.topic, kyc.topic, settlement.topic) == (
        "issuance.commands", "issuance.mints", "kyc.events", "settlement.events",
    )  # fmt: skip
    for facts in (kyc, settlement):
        owner = facts.topic.split(".")[0]
        types = {cls for name, cls in MESSAGE_TYPES.items() if name.startswith(f"{owner}.")}
        assert types <= set(facts.accepts)
    # the saga's topic carries no mint, settlement's carries nothing but mints
    assert {cls.TYPE for cls in commands.accepts} == {
        "issuance.place_hold",
        "issuance.release_hold",
        "issuance.burn_held",
    }
    assert {cls.TYPE for cls in mints.accepts} == {"issuance.mint_for_deposit"}
