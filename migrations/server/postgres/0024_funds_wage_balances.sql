-- Issue 22: the arrears warning without reading every month's wage totals (docs/funds-and-wages.md,
-- "Arrears warning"). Two summaries of what funds::wages::balances reads (funds_month_totals rows of
-- kind wage and advance, wage payments with a month), kept by triggers in the transaction of every
-- write to those tables (a decision's totals, a payment, a batch, a cancellation, and rows written
-- by hand or by the seed), and filled below from the existing rows.
--
-- funds_wage_months: per project and month, gross wages, advances and wage payments, and how many
-- source rows the month has (a month is in the ledger while it has any, even rows netted to zero).
--
-- funds_wage_balances: per project, month and row identity as stored (not as the roster resolves
-- it today), gross − advances − paid. The identity is the part of a row that decides, through the
-- roster, which wage ledger row it falls in, and nothing finer, so that one identity always falls in
-- one ledger row whatever the roster says:
--   'roster' + the roster id                (entries with a worker_id; payments with a worker_id),
--   'name'   + the name + the entry's crew  (entries with a name only; payments with only a payee),
--   'crew'   + the crew                     (the unnamed rest of a crew; payments to a crew).
-- A ledger row's balance is the sum of its identities' balances, so a row can be owed wages only
-- if one of its identities has a positive balance: the arrears warning resolves those few
-- (index funds_wage_balances_owing) and reads the wage totals and payments of those rows only.
-- Roster edits change which ledger row an identity falls in, not the identities: nothing here
-- depends on the roster.
CREATE TABLE funds_wage_months (
    project_id     TEXT NOT NULL,
    -- YYYY-MM-01.
    month          TEXT NOT NULL,
    gross_minor    BIGINT NOT NULL,
    advances_minor BIGINT NOT NULL,
    paid_minor     BIGINT NOT NULL,
    source_rows    BIGINT NOT NULL,
    PRIMARY KEY (project_id, month)
);

CREATE TABLE funds_wage_balances (
    project_id    TEXT NOT NULL,
    month         TEXT NOT NULL,
    key_kind      TEXT NOT NULL CHECK (key_kind IN ('roster', 'name', 'crew')),
    key_text      TEXT NOT NULL,
    -- The crew of a 'name' identity; '' otherwise.
    key_crew      TEXT NOT NULL,
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (project_id, month, key_kind, key_text, key_crew)
);
CREATE INDEX funds_wage_balances_owing ON funds_wage_balances (project_id, month) WHERE balance_minor > 0;

-- backfill:begin (server/tests/funds_arrears_summary.rs runs this part again to check it)
INSERT INTO funds_wage_months (project_id, month, gross_minor, advances_minor, paid_minor, source_rows)
SELECT project_id, month, SUM(gross), SUM(advances), SUM(paid), SUM(n)
FROM (SELECT project_id, month, CASE WHEN kind = 'wage' THEN amount_minor ELSE 0 END AS gross,
             CASE WHEN kind = 'advance' THEN amount_minor ELSE 0 END AS advances, 0 AS paid, 1 AS n
      FROM funds_month_totals WHERE kind IN ('wage', 'advance')
      UNION ALL
      SELECT project_id, month, 0, 0, amount_minor, 1 FROM funds_payments WHERE kind = 'wage' AND month IS NOT NULL) s
GROUP BY project_id, month;

INSERT INTO funds_wage_balances (project_id, month, key_kind, key_text, key_crew, balance_minor)
SELECT project_id, month, key_kind, key_text, key_crew, SUM(balance)
FROM (SELECT project_id, month,
             CASE WHEN worker_id <> '' THEN 'roster' WHEN worker_name <> '' THEN 'name' ELSE 'crew' END AS key_kind,
             CASE WHEN worker_id <> '' THEN worker_id WHEN worker_name <> '' THEN worker_name ELSE crew END AS key_text,
             CASE WHEN worker_id = '' AND worker_name <> '' THEN crew ELSE '' END AS key_crew,
             CASE WHEN kind = 'wage' THEN amount_minor ELSE -amount_minor END AS balance
      FROM funds_month_totals WHERE kind IN ('wage', 'advance')
      UNION ALL
      SELECT project_id, month,
             CASE WHEN worker_id IS NOT NULL THEN 'roster' WHEN crew IS NOT NULL THEN 'crew'
                  WHEN COALESCE(payee, '') <> '' THEN 'name' ELSE 'crew' END,
             CASE WHEN worker_id IS NOT NULL THEN worker_id WHEN crew IS NOT NULL THEN crew
                  ELSE COALESCE(payee, '') END,
             '', -amount_minor
      FROM funds_payments WHERE kind = 'wage' AND month IS NOT NULL) s
GROUP BY project_id, month, key_kind, key_text, key_crew;
-- backfill:end

-- Adds figures to both summaries (a month's source rows change by `n`).
CREATE FUNCTION fieldledger_wage_summary_add(p TEXT, m TEXT, kk TEXT, kt TEXT, kc TEXT, gross BIGINT, advances BIGINT,
                                             paid BIGINT, n BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF gross = 0 AND advances = 0 AND paid = 0 AND n = 0 THEN
        RETURN;
    END IF;
    INSERT INTO funds_wage_months AS t (project_id, month, gross_minor, advances_minor, paid_minor, source_rows)
    VALUES (p, m, gross, advances, paid, n)
    ON CONFLICT (project_id, month) DO UPDATE SET gross_minor = t.gross_minor + excluded.gross_minor,
        advances_minor = t.advances_minor + excluded.advances_minor, paid_minor = t.paid_minor + excluded.paid_minor,
        source_rows = t.source_rows + excluded.source_rows;
    IF gross - advances - paid <> 0 THEN
        INSERT INTO funds_wage_balances AS t (project_id, month, key_kind, key_text, key_crew, balance_minor)
        VALUES (p, m, kk, kt, kc, gross - advances - paid)
        ON CONFLICT (project_id, month, key_kind, key_text, key_crew) DO UPDATE
            SET balance_minor = t.balance_minor + excluded.balance_minor;
    END IF;
END;
$$;

-- A funds_month_totals row's `amount` (signed) added to its month and identity; its month's
-- source rows change by `n`.
CREATE FUNCTION fieldledger_wage_totals_row(r funds_month_totals, amount BIGINT, n BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF r.kind NOT IN ('wage', 'advance') THEN
        RETURN;
    END IF;
    PERFORM fieldledger_wage_summary_add(r.project_id, r.month,
        CASE WHEN r.worker_id <> '' THEN 'roster' WHEN r.worker_name <> '' THEN 'name' ELSE 'crew' END,
        CASE WHEN r.worker_id <> '' THEN r.worker_id WHEN r.worker_name <> '' THEN r.worker_name ELSE r.crew END,
        CASE WHEN r.worker_id = '' AND r.worker_name <> '' THEN r.crew ELSE '' END,
        CASE WHEN r.kind = 'wage' THEN amount ELSE 0 END, CASE WHEN r.kind = 'advance' THEN amount ELSE 0 END, 0, n);
END;
$$;

CREATE FUNCTION fieldledger_wage_totals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.project_id, OLD.month, OLD.kind, OLD.worker_id, OLD.worker_name, OLD.crew)
        IS NOT DISTINCT FROM (NEW.project_id, NEW.month, NEW.kind, NEW.worker_id, NEW.worker_name, NEW.crew) THEN
        -- The upsert of a decision's totals: the same row, a new amount.
        PERFORM fieldledger_wage_totals_row(NEW, NEW.amount_minor - OLD.amount_minor, 0);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM fieldledger_wage_totals_row(OLD, -OLD.amount_minor, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM fieldledger_wage_totals_row(NEW, NEW.amount_minor, 1);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funds_month_totals_wage_summary AFTER INSERT OR UPDATE OR DELETE ON funds_month_totals
    FOR EACH ROW EXECUTE FUNCTION fieldledger_wage_totals_changed();

-- funds_payments is append-only (0018): only inserts.
CREATE FUNCTION fieldledger_wage_payment_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'wage' AND NEW.month IS NOT NULL THEN
        PERFORM fieldledger_wage_summary_add(NEW.project_id, NEW.month,
            CASE WHEN NEW.worker_id IS NOT NULL THEN 'roster' WHEN NEW.crew IS NOT NULL THEN 'crew'
                 WHEN COALESCE(NEW.payee, '') <> '' THEN 'name' ELSE 'crew' END,
            CASE WHEN NEW.worker_id IS NOT NULL THEN NEW.worker_id WHEN NEW.crew IS NOT NULL THEN NEW.crew
                 ELSE COALESCE(NEW.payee, '') END,
            '', 0, 0, NEW.amount_minor, 1);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER funds_payments_wage_summary AFTER INSERT ON funds_payments
    FOR EACH ROW EXECUTE FUNCTION fieldledger_wage_payment_added();
