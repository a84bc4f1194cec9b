"""XCNH's issuer roles on the real node: each role's powers, and everyone else's refusal."""

from __future__ import annotations

import pytest

from tests.integration.chain.conftest import ALLOWANCE, Issuer
from tests.support.chain import refused, send

pytestmark = pytest.mark.integration


def test_the_token_is_an_erc20_of_six_decimals_with_the_roles_it_was_deployed_with(
    xcnh: Issuer,
) -> None:
    f = xcnh.token.functions
    assert (f.name().call(), f.symbol().call(), f.decimals().call()) == ("XCNH", "XCNH", 6)
    assert f.totalSupply().call() == 0
    assert f.owner().call() == xcnh.owner.address
    assert f.masterMinter().call() == xcnh.master.address
    assert f.pauser().call() == xcnh.pauser.address
    assert f.blacklister().call() == xcnh.blacklister.address
    assert f.isMinter(xcnh.minter.address).call()
    assert f.minterAllowance(xcnh.minter.address).call() == ALLOWANCE


def test_only_the_owner_appoints_the_roles_and_hands_over_ownership(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    stranger, successor = xcnh.holder(), xcnh.holder()
    appointments = (
        f.updateMasterMinter(stranger.address),
        f.updatePauser(stranger.address),
        f.updateBlacklister(stranger.address),
        f.transferOwnership(stranger.address),
    )
    for appointment in appointments:
        for not_owner in (stranger, xcnh.master, xcnh.pauser, xcnh.blacklister, xcnh.minter):
            assert "caller is not the owner" in refused(appointment, not_owner)

    send(w3, xcnh.owner, f.updateMasterMinter(successor.address))
    send(w3, xcnh.owner, f.updatePauser(successor.address))
    send(w3, xcnh.owner, f.updateBlacklister(successor.address))
    assert f.masterMinter().call() == f.pauser().call() == f.blacklister().call()
    assert f.blacklister().call() == successor.address
    # the former holders lost their powers with their roles
    assert "not the masterMinter" in refused(f.configureMinter(stranger.address, 1), xcnh.master)
    assert "not the pauser" in refused(f.pause(), xcnh.pauser)
    assert "not the blacklister" in refused(f.blacklist(stranger.address), xcnh.blacklister)
    send(w3, successor, f.configureMinter(stranger.address, 5))
    assert f.minterAllowance(stranger.address).call() == 5

    send(w3, xcnh.owner, f.transferOwnership(successor.address))
    assert f.owner().call() == successor.address
    assert "caller is not the owner" in refused(f.updatePauser(xcnh.owner.address), xcnh.owner)
    assert "zero address" in refused(f.transferOwnership("0x" + "00" * 20), successor)


def test_only_the_master_minter_configures_and_removes_minters(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    newcomer, holder = xcnh.holder(), xcnh.holder()
    for not_master in (xcnh.owner, xcnh.minter, xcnh.pauser, newcomer):
        assert "not the masterMinter" in refused(f.configureMinter(newcomer.address, 9), not_master)
        assert "not the masterMinter" in refused(f.removeMinter(xcnh.minter.address), not_master)

    send(w3, xcnh.master, f.configureMinter(newcomer.address, 7))
    send(w3, newcomer, f.mint(holder.address, 7))
    assert f.balanceOf(holder.address).call() == 7

    send(w3, xcnh.master, f.removeMinter(newcomer.address))
    assert not f.isMinter(newcomer.address).call()
    assert f.minterAllowance(newcomer.address).call() == 0
    assert "not a minter" in refused(f.mint(holder.address, 1), newcomer)


def test_a_minter_mints_within_its_allowance_and_no_further(xcnh: Issuer) -> None:
    f = xcnh.token.functions
    holder = xcnh.holder()
    xcnh.mint(holder.address, 400 * 10**6)
    assert f.minterAllowance(xcnh.minter.address).call() == ALLOWANCE - 400 * 10**6
    assert f.totalSupply().call() == f.balanceOf(holder.address).call() == 400 * 10**6

    left = ALLOWANCE - 400 * 10**6
    exceeds = f.mint(holder.address, left + 1)
    assert "exceeds minterAllowance" in refused(exceeds, xcnh.minter)
    xcnh.mint(holder.address, left)  # exhausted: exactly its allowance, to the last unit
    assert f.minterAllowance(xcnh.minter.address).call() == 0
    assert "exceeds minterAllowance" in refused(f.mint(holder.address, 1), xcnh.minter)
    assert f.totalSupply().call() == ALLOWANCE

    # raising the allowance is the master minter's act, and lets it mint again
    send(xcnh.token.w3, xcnh.master, f.configureMinter(xcnh.minter.address, 5))
    xcnh.mint(holder.address, 5)
    assert f.totalSupply().call() == ALLOWANCE + 5


def test_nobody_but_a_minter_mints_or_burns(xcnh: Issuer) -> None:
    f = xcnh.token.functions
    holder = xcnh.holder()
    xcnh.mint(holder.address, 10)
    for not_minter in (holder, xcnh.owner, xcnh.master, xcnh.pauser, xcnh.blacklister):
        assert "not a minter" in refused(f.mint(holder.address, 1), not_minter)
        assert "not a minter" in refused(f.burn(1), not_minter)
    assert "mint amount not greater than 0" in refused(f.mint(holder.address, 0), xcnh.minter)


def test_a_minter_burns_from_its_own_balance_only(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    holder = xcnh.holder()
    xcnh.mint(holder.address, 30)
    xcnh.mint(xcnh.minter.address, 20)  # the minter's own balance: the redemption vault
    assert "exceeds balance" in refused(f.burn(21), xcnh.minter)
    send(w3, xcnh.minter, f.burn(20))
    assert f.balanceOf(xcnh.minter.address).call() == 0
    assert f.totalSupply().call() == 30 == f.balanceOf(holder.address).call()
