"""Re-encryption after a rotation of the key ring: personal data at rest sealed again under
the active key, a batch per work (opened in memory only)."""

from __future__ import annotations

from dataclasses import dataclass

from services.kyc import pii
from services.kyc.use_cases.work import KycWork


@dataclass(frozen=True)
class Reencrypt:
    batch: int = 500
    """Rows of each kind per work."""


@dataclass(frozen=True)
class Reencrypted:
    customers: int
    accounts: int

    def more(self, batch: int) -> bool:
        """Whether a full batch of either kind was sealed again: there may be more."""
        return self.customers == batch or self.accounts == batch


async def reencrypt(work: KycWork, command: Reencrypt) -> Reencrypted:
    """Up to a batch of customers and of bank accounts another key sealed, sealed again
    under the active key; how many of each."""
    ring = work.terms.keyring
    customers = await work.customers.sealed_under_other_keys(ring.active_key_id, command.batch)
    for customer in customers:
        particulars = pii.particulars_of(ring, customer)
        await work.customers.reseal(
            customer.customer_id, pii.seal(ring, customer.customer_id, particulars)
        )
    accounts = await work.accounts.sealed_under_other_keys(ring.active_key_id, command.batch)
    for account in accounts:
        details = pii.details_of(ring, account)
        await work.accounts.reseal(
            account.account_id,
            pii.seal_account(ring, account.customer_id, account.account_id, details),
        )
    return Reencrypted(len(customers), len(accounts))
