"""Settlement: the double-entry ledger, deposits, payouts, statements, supply view,
attestations; and the bank simulator's own tables (schema bank_sim).

Revision ID: settlement_0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "settlement_0001"
down_revision = None
branch_labels = ("settlement",)
depends_on = "runtime_0001"

LEDGER = """
CREATE TABLE accounts (
    account          text PRIMARY KEY,
    name             text   NOT NULL,
    currency         text   NOT NULL,
    kind             text   NOT NULL
        CHECK (kind IN ('asset', 'liability', 'clearing', 'income', 'expense')),
    normal_side      char(1) NOT NULL CHECK (normal_side IN ('D', 'C')),
    may_be_negative  boolean NOT NULL,
    balance_minor    bigint NOT NULL DEFAULT 0,
    UNIQUE (account, currency),
    CHECK (account = name || ':' || currency),
    -- accounts whose type may not go negative are refused at the line that would do it
    CONSTRAINT balance_not_negative CHECK (may_be_negative OR balance_minor >= 0)
);

CREATE TABLE journal_entries (
    entry_id          uuid PRIMARY KEY,
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    template          text NOT NULL,
    deposit_id        uuid,
    redemption_id     uuid,
    payout_id         uuid,
    case_id           uuid,
    cause_message_id  uuid,
    actor             text NOT NULL,
    memo              text NOT NULL DEFAULT '',
    booked_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_entries_redemption ON journal_entries (redemption_id);
CREATE INDEX journal_entries_deposit ON journal_entries (deposit_id);

CREATE TABLE journal_lines (
    entry_id      uuid    NOT NULL REFERENCES journal_entries,
    line_no       integer NOT NULL,
    account       text    NOT NULL,
    currency      text    NOT NULL,
    side          char(1) NOT NULL CHECK (side IN ('D', 'C')),
    amount_minor  bigint  NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (entry_id, line_no),
    FOREIGN KEY (account, currency) REFERENCES accounts (account, currency)
);
CREATE INDEX journal_lines_account ON journal_lines (account);

-- Every line moves its account's balance at once (so an overdraft fails on the spot) ...
CREATE FUNCTION journal_line_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts
       SET balance_minor = balance_minor
           + CASE WHEN NEW.side = normal_side THEN NEW.amount_minor ELSE -NEW.amount_minor END
     WHERE account = NEW.account;
    RETURN NEW;
END $$;
CREATE TRIGGER journal_line_post AFTER INSERT ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION journal_line_post();

-- ... and every entry must balance per currency when its transaction commits.
CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT ON journal_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();

-- History is never rewritten: corrections are new entries.
CREATE FUNCTION journal_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_immutable();
CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION journal_immutable();
"""

BUSINESS = """
-- settlement's view of KYC: which wallet a deposit reference belongs to
CREATE TABLE wallets (
    deposit_reference text PRIMARY KEY,
    customer_id       uuid NOT NULL,
    wallet_id         uuid NOT NULL UNIQUE,
    registered_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deposits (
    deposit_id        uuid PRIMARY KEY,
    bank_reference    text NOT NULL UNIQUE,           -- one deposit per bank credit
    amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
    currency          text NOT NULL,
    remittance        text NOT NULL,
    payer             jsonb NOT NULL,
    value_date        date NOT NULL,
    customer_id       uuid,
    wallet_id         uuid,
    state             text NOT NULL
        CHECK (state IN ('minting', 'confirmed', 'suspended', 'refunding', 'refunded')),
    reason            text,
    detail            text NOT NULL DEFAULT '',
    mint_command_id   uuid UNIQUE,                    -- one mint per deposit
    received_at       timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deposits_state ON deposits (state);

CREATE TABLE payouts (
    payout_id         uuid PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('redemption', 'refund')),
    redemption_id     uuid UNIQUE,                    -- at most one payout per redemption
    deposit_id        uuid UNIQUE REFERENCES deposits,  -- at most one refund per deposit
    amount_minor      bigint NOT NULL CHECK (amount_minor >= 0),
    currency          text NOT NULL,
    par_minor         bigint NOT NULL CHECK (par_minor >= 0),
    conversion_id     uuid,
    beneficiary       jsonb NOT NULL,
    rail              text,
    bank_reference    text UNIQUE,
    state             text NOT NULL
        CHECK (state IN ('sent', 'unknown', 'settled', 'failed', 'rejected', 'returned')),
    detail            text NOT NULL DEFAULT '',
    requested_at      timestamptz NOT NULL,
    submitted_at      timestamptz NOT NULL DEFAULT now(),
    settled_at        timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'redemption') = (redemption_id IS NOT NULL)),
    CHECK ((kind = 'refund') = (deposit_id IS NOT NULL))
);
CREATE INDEX payouts_open ON payouts (state) WHERE state IN ('sent', 'unknown');

CREATE TABLE payout_returns (
    case_id           uuid PRIMARY KEY,
    payout_id         uuid NOT NULL UNIQUE REFERENCES payouts,
    bank_reference    text NOT NULL UNIQUE,
    amount_minor      bigint NOT NULL,
    currency          text NOT NULL,
    reason            text NOT NULL,
    state             text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    returned_at       timestamptz NOT NULL,
    opened_at         timestamptz NOT NULL DEFAULT now()
);

-- who/what/why of every state change of a deposit or a payout
CREATE TABLE history (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject           text NOT NULL CHECK (subject IN ('deposit', 'payout')),
    subject_id        uuid NOT NULL,
    from_state        text,
    to_state          text NOT NULL,
    actor             text NOT NULL,
    cause             text NOT NULL,
    detail            text NOT NULL DEFAULT '',
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_subject ON history (subject_id);

-- notices from the bank, kept as received; applied to their payout now or by reconciliation
CREATE TABLE bank_notices (
    message_id        uuid PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('settled', 'rejected', 'returned')),
    bank_reference    text NOT NULL,
    end_to_end_id     uuid NOT NULL,
    body              jsonb NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    applied_at        timestamptz,
    outcome           text
);
CREATE INDEX bank_notices_pending ON bank_notices (received_at) WHERE applied_at IS NULL;

CREATE TABLE statements (
    statement_id      text NOT NULL,
    sequence          bigint NOT NULL,
    page              integer NOT NULL,
    pages             integer NOT NULL,
    account_number    text NOT NULL,
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (statement_id, page)
);

CREATE TABLE statement_lines (
    statement_id      text NOT NULL,
    page              integer NOT NULL,
    line_no           integer NOT NULL,
    bank_reference    text NOT NULL,
    end_to_end_id     uuid,
    direction         text NOT NULL CHECK (direction IN ('debit', 'credit')),
    amount_minor      bigint NOT NULL,
    currency          text NOT NULL,
    booked_at         timestamptz NOT NULL,
    description       text NOT NULL,
    matched_payout_id uuid,
    PRIMARY KEY (statement_id, page, line_no),
    FOREIGN KEY (statement_id, page) REFERENCES statements
);
CREATE INDEX statement_lines_e2e ON statement_lines (end_to_end_id);

-- token supply as issuance reports it (mints and burns), for coverage
CREATE TABLE supply_movements (
    movement_id       uuid PRIMARY KEY,               -- mint id or burn id
    kind              text NOT NULL CHECK (kind IN ('minted', 'burned')),
    amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
    supply_after      bigint NOT NULL,
    occurred_at       timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reserve_releases (
    redemption_id     uuid PRIMARY KEY,               -- one release per redemption
    amount_minor      bigint NOT NULL,
    reserve_after     bigint NOT NULL,
    entry_id          uuid NOT NULL REFERENCES journal_entries,
    released_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE anomalies (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL,
    reference         text NOT NULL,
    detail            text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attestations (
    report_id         uuid PRIMARY KEY,
    generated_at      timestamptz NOT NULL,
    supply_minor      bigint NOT NULL,
    reserve_minor     bigint NOT NULL,
    report            text NOT NULL
);

CREATE TABLE attested_entries (
    entry_id          uuid PRIMARY KEY REFERENCES journal_entries,
    report_id         uuid NOT NULL REFERENCES attestations
);
"""

BANK = """
-- "The bank": the simulator's own state, apart from settlement's tables
CREATE SCHEMA bank_sim;

CREATE TABLE bank_sim.payments (
    instruction_id    uuid PRIMARY KEY,               -- the end-to-end id: dedupes orders
    bank_reference    text NOT NULL UNIQUE,
    behaviour         text NOT NULL,
    rail              text NOT NULL,
    amount_minor      bigint NOT NULL,
    currency          text NOT NULL,
    beneficiary       jsonb NOT NULL,
    outcome           text NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE bank_sim.messages (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id        uuid NOT NULL UNIQUE,
    bank_reference    text NOT NULL,
    type              text NOT NULL,
    body              jsonb NOT NULL,
    due_at            timestamptz NOT NULL,
    delivered_at      timestamptz
);
CREATE INDEX bank_sim_messages_due ON bank_sim.messages (due_at) WHERE delivered_at IS NULL;

CREATE TABLE bank_sim.bookings (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bank_reference    text NOT NULL UNIQUE,
    end_to_end_id     uuid,
    direction         text NOT NULL,
    amount_minor      bigint NOT NULL,
    currency          text NOT NULL,
    description       text NOT NULL,
    booked_at         timestamptz NOT NULL,
    statement_id      text
);
CREATE INDEX bank_sim_bookings_open ON bank_sim.bookings (booked_at) WHERE statement_id IS NULL;

CREATE TABLE bank_sim.statements (
    statement_id      text PRIMARY KEY,
    sequence          bigint NOT NULL UNIQUE,
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL UNIQUE
);
"""


def _statements(script: str) -> list[str]:
    """One statement per execute (the driver prepares each): a statement ends with a line
    ending in ";" outside a $$-quoted function body."""
    statements, current, quoted = [], [], False
    for line in script.splitlines():
        current.append(line)
        quoted ^= line.count("$$") % 2 == 1
        if line.rstrip().endswith(";") and not quoted:
            statements.append("\n".join(current).strip())
            current = []
    return [s for s in statements if s]


def upgrade() -> None:
    for statement in _statements(LEDGER + BUSINESS + BANK):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP SCHEMA bank_sim CASCADE")
    for table in (
        "attested_entries",
        "attestations",
        "anomalies",
        "reserve_releases",
        "supply_movements",
        "statement_lines",
        "statements",
        "bank_notices",
        "history",
        "payout_returns",
        "payouts",
        "deposits",
        "wallets",
        "journal_lines",
        "journal_entries",
        "accounts",
    ):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP FUNCTION journal_line_post, journal_entry_balanced, journal_immutable")
