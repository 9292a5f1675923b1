-- Issue 26: a project's hours per 点工 day and its own expense categories (docs/approvals-and-ledgers.md,
-- "Reference data"). Both reach phones in the project's `reference:<project>` document.
--
-- Hours in one day's pay, decimal text ("8", "7.5"; (0, 24], at most 2 decimals); NULL: the
-- default, 8. A crew line keeps the figure it was added with, so changing it later re-prices
-- nothing already recorded.
ALTER TABLE projects ADD COLUMN hours_per_day TEXT;

-- The categories an expense may be booked in: `code` is what expenses hold (`equipment_rental`),
-- `name` what people read (机械租赁). A project with none uses the default list
-- (record_schema::reference::DEFAULT_EXPENSE_CATEGORIES). A row is deleted only while no expense
-- is booked in it (server/src/reference/edit.rs).
CREATE TABLE expense_categories (
    project_id TEXT NOT NULL,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (project_id, code)
);
