"""Personal data sealed or absent in settlement's tables (design section 8).

- deposits: the payer's account and remittance text were kept in clear. Now the deposit
  reference extracted from the text (an id: "CNH-" + 10 characters) is kept in clear, what
  matching needs, and the payer and text only as the notice's sealed value (`particulars`,
  sealed to settlement's own key: opened in memory to refund the payer). A row from before
  this revision keeps its extracted reference and no payer: its refund needs the payer's
  account from the bank (docs/OPERATIONS.md).
- payouts and the simulated bank's payments: the beneficiary's account was kept in clear;
  now only its digest (the order carried the account in memory, and nothing reads it back).
  A redemption's payout has none: it names its account on file (settlement_0008), so a
  payout names one or the other.

The downgrade brings the columns back empty: what was dropped is not recoverable.

Revision ID: settlement_0009
Revises: settlement_0008
Create Date: 2026-12-02
"""

from alembic import op

revision = "settlement_0009"
down_revision = "settlement_0008"
branch_labels = None
depends_on = None

_DIGEST = "'sha256:' || encode(sha256(convert_to({column}::text, 'UTF8')), 'hex')"


def upgrade() -> None:
    for statement in (
        """
        ALTER TABLE deposits
            ADD COLUMN deposit_reference text
                CHECK (deposit_reference ~ '^CNH-[A-Z0-9]{10}$'),
            ADD COLUMN particulars jsonb
        """,
        """
        UPDATE deposits
           SET deposit_reference = (regexp_match(upper(remittance), 'CNH-[A-Z0-9]{10}'))[1]
        """,
        "ALTER TABLE deposits DROP COLUMN remittance, DROP COLUMN payer",
        """
        CREATE INDEX deposits_suspended_reference ON deposits (deposit_reference)
         WHERE state = 'suspended'
        """,
    ):
        op.execute(statement)
    for table in ("payouts", "bank_sim.payments"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN beneficiary_digest text")
        op.execute(
            f"UPDATE {table} SET beneficiary_digest = {_DIGEST.format(column='beneficiary')}"
            " WHERE beneficiary IS NOT NULL"
        )
    op.execute("ALTER TABLE payouts DROP CONSTRAINT payouts_beneficiary_named")
    op.execute(
        "ALTER TABLE payouts DROP COLUMN beneficiary, ADD CONSTRAINT payouts_beneficiary_named"
        " CHECK (beneficiary_digest IS NOT NULL OR beneficiary_account_id IS NOT NULL)"
    )
    op.execute(
        "ALTER TABLE bank_sim.payments ALTER COLUMN beneficiary_digest SET NOT NULL,"
        " DROP COLUMN beneficiary"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE bank_sim.payments ADD COLUMN beneficiary jsonb NOT NULL DEFAULT '{}',"
        " DROP COLUMN beneficiary_digest"
    )
    op.execute("ALTER TABLE bank_sim.payments ALTER COLUMN beneficiary DROP DEFAULT")
    op.execute("ALTER TABLE payouts DROP CONSTRAINT payouts_beneficiary_named")
    op.execute("ALTER TABLE payouts ADD COLUMN beneficiary jsonb")
    op.execute("UPDATE payouts SET beneficiary = '{}' WHERE beneficiary_account_id IS NULL")
    op.execute(
        "ALTER TABLE payouts DROP COLUMN beneficiary_digest, ADD CONSTRAINT"
        " payouts_beneficiary_named"
        " CHECK (beneficiary IS NOT NULL OR beneficiary_account_id IS NOT NULL)"
    )
    op.execute("DROP INDEX deposits_suspended_reference")
    op.execute(
        """
        ALTER TABLE deposits
            ADD COLUMN remittance text NOT NULL DEFAULT '',
            ADD COLUMN payer jsonb NOT NULL DEFAULT '{}',
            DROP COLUMN deposit_reference,
            DROP COLUMN particulars
        """
    )
    op.execute(
        "ALTER TABLE deposits ALTER COLUMN remittance DROP DEFAULT, ALTER COLUMN payer DROP DEFAULT"
    )
