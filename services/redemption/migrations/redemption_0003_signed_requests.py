"""Signed redemption requests: each saga claims its request's EIP-712 signature (unique), so
the same signature under another redemption id is refused ("signature_replayed"), also
between replicas. Sagas stored before signatures get the signed terms they never had,
explicitly: no signature (65 zero bytes, which recovers nobody), deadline 0, the nil
beneficiary account, and the beneficiary's bank details they carried dropped (personal data
in clear: the saga names an account id only). One that must re-send its eligibility check is
refused by KYC, and a payout not sent yet by settlement (no such account), and compensates;
the others go on as they were. The downgrade cannot bring the details back.

Revision ID: redemption_0003
Revises: redemption_0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "redemption_0003"
down_revision = "redemption_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE redemptions ADD COLUMN signature text")
    op.execute("CREATE UNIQUE INDEX redemptions_signature ON redemptions (signature)")
    op.execute(
        """
        UPDATE redemptions
           SET saga = jsonb_set(
                   saga, '{request}',
                   ((saga -> 'request') - 'beneficiary') || jsonb_build_object(
                   'beneficiary_account_id', '00000000-0000-0000-0000-000000000000',
                   'deadline', 0,
                   'signature', '0x' || repeat('00', 65)))
         WHERE NOT (saga -> 'request') ? 'signature'
        """
    )


def downgrade() -> None:
    # the release before refuses the fields (extra="forbid"); every saga loses them
    op.execute(
        """
        UPDATE redemptions
           SET saga = jsonb_set(saga, '{request}', (saga -> 'request')
                   - 'beneficiary_account_id' - 'deadline' - 'signature')
        """
    )
    op.execute("DROP INDEX redemptions_signature")
    op.execute("ALTER TABLE redemptions DROP COLUMN signature")
