"""XCNH's blacklist and pause on the real node: a frozen address moves nothing, a paused
token moves nothing, and lifting either restores what it stopped."""

from __future__ import annotations

import pytest

from tests.integration.chain.conftest import Issuer
from tests.support.chain import refused, send

pytestmark = pytest.mark.integration

BLACKLISTED = "account is blacklisted"


def test_a_blacklisted_address_cannot_send_receive_be_minted_to_approve_or_be_spent(
    xcnh: Issuer,
) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    frozen, other, spender = xcnh.holder(), xcnh.holder(), xcnh.holder()
    xcnh.mint(frozen.address, 50)
    xcnh.mint(other.address, 50)
    send(w3, frozen, f.approve(spender.address, 10))
    send(w3, other, f.approve(spender.address, 10))

    for not_blacklister in (xcnh.owner, xcnh.master, xcnh.pauser, xcnh.minter, frozen):
        assert "not the blacklister" in refused(f.blacklist(frozen.address), not_blacklister)
    send(w3, xcnh.blacklister, f.blacklist(frozen.address))
    assert f.isBlacklisted(frozen.address).call()

    assert BLACKLISTED in refused(f.transfer(other.address, 1), frozen)  # send
    assert BLACKLISTED in refused(f.transfer(frozen.address, 1), other)  # receive
    assert BLACKLISTED in refused(f.mint(frozen.address, 1), xcnh.minter)  # mint to
    assert BLACKLISTED in refused(f.approve(spender.address, 1), frozen)  # approve
    assert BLACKLISTED in refused(f.approve(frozen.address, 1), other)  # be approved
    spend = f.transferFrom(frozen.address, other.address, 1)
    assert BLACKLISTED in refused(spend, spender)  # its allowance is frozen too
    spend_to = f.transferFrom(other.address, frozen.address, 1)
    assert BLACKLISTED in refused(spend_to, spender)
    assert BLACKLISTED in refused(f.transferFrom(other.address, spender.address, 1), frozen)

    send(w3, xcnh.blacklister, f.unBlacklist(frozen.address))
    send(w3, frozen, f.transfer(other.address, 5))
    send(w3, other, f.transfer(frozen.address, 2))
    xcnh.mint(frozen.address, 3)
    send(w3, spender, f.transferFrom(frozen.address, other.address, 10))
    assert f.balanceOf(frozen.address).call() == 50 - 5 + 2 + 3 - 10
    assert f.balanceOf(other.address).call() == 50 + 5 - 2 + 10


def test_a_blacklisted_minter_can_neither_mint_nor_burn(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    holder = xcnh.holder()
    xcnh.mint(xcnh.minter.address, 10)
    send(w3, xcnh.blacklister, f.blacklist(xcnh.minter.address))
    assert BLACKLISTED in refused(f.burn(1), xcnh.minter)
    assert BLACKLISTED in refused(f.mint(holder.address, 1), xcnh.minter)
    send(w3, xcnh.blacklister, f.unBlacklist(xcnh.minter.address))
    send(w3, xcnh.minter, f.burn(10))
    assert f.totalSupply().call() == 0


def test_only_the_pauser_pauses_and_a_paused_token_moves_nothing(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    holder, other = xcnh.holder(), xcnh.holder()
    xcnh.mint(holder.address, 40)
    xcnh.mint(xcnh.minter.address, 10)
    send(w3, holder, f.approve(other.address, 10))
    for not_pauser in (xcnh.owner, xcnh.master, xcnh.blacklister, xcnh.minter, holder):
        assert "not the pauser" in refused(f.pause(), not_pauser)

    send(w3, xcnh.pauser, f.pause())
    assert f.paused().call()
    assert "paused" in refused(f.transfer(other.address, 1), holder)
    assert "paused" in refused(f.transferFrom(holder.address, other.address, 1), other)
    assert "paused" in refused(f.approve(other.address, 1), holder)
    assert "paused" in refused(f.mint(holder.address, 1), xcnh.minter)
    assert "paused" in refused(f.burn(1), xcnh.minter)
    assert "paused" in refused(f.configureMinter(other.address, 1), xcnh.master)
    assert "not the pauser" in refused(f.unpause(), holder)

    send(w3, xcnh.pauser, f.unpause())
    assert not f.paused().call()
    send(w3, holder, f.transfer(other.address, 1))
    send(w3, other, f.transferFrom(holder.address, other.address, 10))
    xcnh.mint(holder.address, 1)
    send(w3, xcnh.minter, f.burn(10))
    assert f.balanceOf(holder.address).call() == 40 - 1 - 10 + 1
    assert f.totalSupply().call() == 41
