"""The attestation's backing checks: settlement's record of issuance's mints and burns keeps
the deposit or redemption each one was for (from the Minted and Burned events), and the
reserve watch remembers the exception state it last alerted.

Mints recorded before this revision get their deposit from the mint_confirmed journal entry
that names them (its memo is the mint id); burns before it stay unlinked (a payout is then
backed by its reserve release).

Revision ID: settlement_0006
Revises: settlement_0005
Create Date: 2026-11-27
"""

from alembic import op

revision = "settlement_0006"
down_revision = "settlement_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE supply_movements ADD COLUMN deposit_id uuid")
    op.execute("ALTER TABLE supply_movements ADD COLUMN redemption_id uuid")
    op.execute(
        """
        UPDATE supply_movements s SET deposit_id = e.deposit_id
          FROM journal_entries e
         WHERE s.kind = 'minted' AND e.template = 'mint_confirmed'
           AND e.memo = s.movement_id::text
        """
    )
    op.execute(
        "CREATE INDEX supply_movements_redemption ON supply_movements (redemption_id)"
        " WHERE redemption_id IS NOT NULL"
    )
    op.execute(
        """
        CREATE TABLE reserve_alerts (
            singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
            fingerprint  text        NOT NULL,
            sequence     bigint      NOT NULL,
            alerted_at   timestamptz NOT NULL
        )
        """
    )
    op.execute("INSERT INTO reserve_alerts VALUES (true, '', 0, now())")


def downgrade() -> None:
    op.execute("DROP TABLE reserve_alerts")
    op.execute("DROP INDEX supply_movements_redemption")
    op.execute("ALTER TABLE supply_movements DROP COLUMN redemption_id")
    op.execute("ALTER TABLE supply_movements DROP COLUMN deposit_id")
