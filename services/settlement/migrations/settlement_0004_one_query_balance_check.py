"""The deferred balance check of a journal entry runs one query instead of two: it fires at
the commit for every line and every entry written (the busiest trigger of the ledger).

Revision ID: settlement_0004
Revises: settlement_0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "settlement_0004"
down_revision = "settlement_0003"
branch_labels = None
depends_on = None

ONE_QUERY = """
CREATE OR REPLACE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_lines bigint;
    bad_currency text;
    bad_net numeric;
BEGIN
    SELECT sum(per.lines),
           (array_agg(per.currency ORDER BY per.currency) FILTER (WHERE per.net <> 0))[1],
           (array_agg(per.net ORDER BY per.currency) FILTER (WHERE per.net <> 0))[1]
      INTO found_lines, bad_currency, bad_net
      FROM (SELECT currency, count(*) AS lines,
                   sum(CASE WHEN side = 'D' THEN amount_minor ELSE -amount_minor END) AS net
              FROM journal_lines WHERE entry_id = NEW.entry_id
             GROUP BY currency) AS per;
    IF bad_currency IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance in %: debits - credits = %',
            NEW.entry_id, bad_currency, bad_net USING ERRCODE = 'check_violation';
    END IF;
    IF coalesce(found_lines, 0) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two lines', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

TWO_QUERIES = """
CREATE OR REPLACE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT currency, sum(CASE WHEN side = 'D' THEN amount_minor ELSE -amount_minor END) AS net
      INTO bad
      FROM journal_lines WHERE entry_id = NEW.entry_id
     GROUP BY currency
    HAVING sum(CASE WHEN side = 'D' THEN amount_minor ELSE -amount_minor END) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance in %: debits - credits = %',
            NEW.entry_id, bad.currency, bad.net USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT count(*) FROM journal_lines WHERE entry_id = NEW.entry_id) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two lines', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(ONE_QUERY)


def downgrade() -> None:
    op.execute(TWO_QUERIES)
