"""Journal lines move their accounts' balances once per statement, not once per line.

A batch writes all its lines in one statement (repository/ledger.py Journal), and the busy
accounts (the reserve, the clearing accounts) had one UPDATE per line: dozens of row
versions of the same row in one transaction, while its lock blocks every other batch. Now
one UPDATE per account per statement applies the net of its lines. The accounts are locked
in account order first, as the per-line posting did, so two batches never wait on each
other in a cycle. An account that may not go negative is still refused by the statement
that would take it below zero.

Revision ID: settlement_0005
Revises: settlement_0004
Create Date: 2026-11-25
"""

from alembic import op

revision = "settlement_0005"
down_revision = "settlement_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER journal_line_post ON journal_lines")
    op.execute("DROP FUNCTION journal_line_post()")
    op.execute(
        """
        CREATE FUNCTION journal_lines_post() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- NO KEY UPDATE, as an UPDATE of the balance takes: FOR UPDATE would also
            -- wait for the key-share locks of other transactions' line inserts (their
            -- foreign keys to these accounts), and those for this one's: a deadlock
            PERFORM 1 FROM accounts
              WHERE account IN (SELECT account FROM new_lines)
              ORDER BY account FOR NO KEY UPDATE;
            UPDATE accounts AS a
               SET balance_minor = a.balance_minor + net.amount_minor
              FROM (SELECT l.account,
                           sum(CASE WHEN l.side = x.normal_side THEN l.amount_minor
                                    ELSE -l.amount_minor END) AS amount_minor
                      FROM new_lines AS l JOIN accounts AS x USING (account)
                     GROUP BY l.account) AS net
             WHERE a.account = net.account;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER journal_lines_post AFTER INSERT ON journal_lines
            REFERENCING NEW TABLE AS new_lines
            FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_post()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER journal_lines_post ON journal_lines")
    op.execute("DROP FUNCTION journal_lines_post()")
    op.execute(
        """
        CREATE FUNCTION journal_line_post() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE accounts
               SET balance_minor = balance_minor
                   + CASE WHEN NEW.side = normal_side THEN NEW.amount_minor
                          ELSE -NEW.amount_minor END
             WHERE account = NEW.account;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER journal_line_post AFTER INSERT ON journal_lines
            FOR EACH ROW EXECUTE FUNCTION journal_line_post()
        """
    )
