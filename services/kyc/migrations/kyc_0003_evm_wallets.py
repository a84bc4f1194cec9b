"""EVM wallets: the EIP-191 signature that proved a wallet's control is kept with it, and the
EIP-712 signature each eligibility decision was made on (the per-wallet due-diligence record:
who asked, with which key). Wallets verified by the Ed25519 proof go back to pending: that
proof never bound its key to the address, so it proves nobody controls the address; the
change is in each wallet's history.

Revision ID: kyc_0003
Revises: kyc_0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "kyc_0003"
down_revision = "kyc_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE wallets ADD COLUMN proof_signature text")
    op.execute("ALTER TABLE eligibility_checks ADD COLUMN signature text")
    op.execute(
        """
        INSERT INTO kyc_history (customer_id, wallet_id, action, reason, actor)
        SELECT customer_id, wallet_id, 'wallet_proof_superseded', 'ed25519_proof_retired',
               'migration'
          FROM wallets WHERE proof_of_control = 'verified'
        """
    )
    op.execute(
        "UPDATE wallets SET proof_of_control = 'pending', updated_at = now() "
        "WHERE proof_of_control = 'verified'"
    )


def downgrade() -> None:
    # the superseded proofs stay pending: re-verifying them would trust the retired proof
    op.execute("ALTER TABLE eligibility_checks DROP COLUMN signature")
    op.execute("ALTER TABLE wallets DROP COLUMN proof_signature")
