"""KYC: beneficiary bank accounts (details encrypted with the records key ring, as
customers' are), the account an eligibility check was for, and history lines about an
account.

Revision ID: kyc_0004
Revises: kyc_0003
Create Date: 2026-12-02
"""

from alembic import op

revision = "kyc_0004"
down_revision = "kyc_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE bank_accounts (
            account_id      uuid        PRIMARY KEY,
            customer_id     uuid        NOT NULL REFERENCES customers,
            state           text        NOT NULL
                            CHECK (state IN ('checking', 'verified', 'refused')),
            reason          text,
            bank_result     text
                            CHECK (bank_result IN ('match', 'mismatch', 'not_found', 'closed')),
            -- the account's details: AES-256-GCM under the records key ring, bound to the row
            pii_key_id      text        NOT NULL,
            pii_ciphertext  bytea       NOT NULL,
            registration_id uuid        NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now(),
            CHECK ((state = 'refused') = (reason IS NOT NULL))
        )
        """
    )
    op.execute("CREATE INDEX bank_accounts_customer ON bank_accounts (customer_id)")
    op.execute("ALTER TABLE eligibility_checks ADD COLUMN beneficiary_account_id uuid")
    op.execute("ALTER TABLE kyc_history ADD COLUMN account_id uuid")


def downgrade() -> None:
    op.execute("ALTER TABLE kyc_history DROP COLUMN account_id")
    op.execute("ALTER TABLE eligibility_checks DROP COLUMN beneficiary_account_id")
    op.execute("DROP TABLE bank_accounts")
