"""Sagas get a secret salt that their command ids derive from (Saga.salt): sagas in flight
are given none, explicitly, so that they keep the ids they already sent (a re-send under a
new id would be a second command to its receiver).

Revision ID: redemption_0002
Revises: redemption_0001
Create Date: 2026-12-01
"""

from alembic import op

revision = "redemption_0002"
down_revision = "redemption_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE redemptions SET saga = saga || jsonb_build_object('salt', null)
         WHERE saga -> 'salt' IS NULL
        """
    )


def downgrade() -> None:
    # the release before refuses the field (extra="forbid"): only unsalted sagas lose it
    op.execute("UPDATE redemptions SET saga = saga - 'salt' WHERE saga -> 'salt' = 'null'")
