"""Beneficiary accounts on file: the accounts KYC asked the bank about, kept sealed to
settlement (only its key opens them, in memory, to order a payment) with the bank's answer
and KYC's decision; a redemption's payout names its account instead of holding its details.

Revision ID: settlement_0008
Revises: settlement_0007
Create Date: 2026-12-02
"""

from alembic import op

revision = "settlement_0008"
down_revision = "settlement_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE bank_accounts (
            account_id   uuid        PRIMARY KEY,
            customer_id  uuid        NOT NULL,
            -- schemas.sealed.Sealed as KYC sent it: never the details in clear
            sealed       jsonb       NOT NULL,
            bank_result  text        NOT NULL
                         CHECK (bank_result IN ('match', 'mismatch', 'not_found', 'closed')),
            state        text        NOT NULL DEFAULT 'checked'
                         CHECK (state IN ('checked', 'verified', 'refused')),
            reason       text,
            checked_at   timestamptz NOT NULL DEFAULT now(),
            updated_at   timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX bank_accounts_customer ON bank_accounts (customer_id)")
    _history_subjects("'deposit', 'payout', 'bank_account'")
    op.execute("ALTER TABLE payouts ADD COLUMN beneficiary_account_id uuid")
    op.execute("ALTER TABLE payouts ALTER COLUMN beneficiary DROP NOT NULL")
    # a redemption's payout names its account; a refund pays back the deposit's payer
    op.execute(
        "ALTER TABLE payouts ADD CONSTRAINT payouts_beneficiary_named"
        " CHECK (beneficiary IS NOT NULL OR beneficiary_account_id IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE payouts DROP CONSTRAINT payouts_beneficiary_named")
    # refuses while a payout names only its account: its details are not in this table
    op.execute("ALTER TABLE payouts ALTER COLUMN beneficiary SET NOT NULL")
    op.execute("ALTER TABLE payouts DROP COLUMN beneficiary_account_id")
    op.execute("DELETE FROM history WHERE subject = 'bank_account'")
    _history_subjects("'deposit', 'payout'")
    op.execute("DROP TABLE bank_accounts")


def _history_subjects(subjects: str) -> None:
    op.execute("ALTER TABLE history DROP CONSTRAINT history_subject_check")
    op.execute(
        f"ALTER TABLE history ADD CONSTRAINT history_subject_check CHECK (subject IN ({subjects}))"
    )
