//! The funds and wages centre (资金数据中心, issue 21; docs/funds-and-wages.md): what approved day
//! labour owes each worker, what was advanced on site and paid by the office, wage arrears, the
//! owner's labour-cost allocations and the project's cash flow. Tables in migration 0018.
//!
//! * `entries`: what an approved record version owes or advances (pure, like `ledger::postings`);
//!   `stored`: those entries appended in the decision's own transaction, reversals included.
//! * `masking`: ID and bank card numbers hashed (keyed) and masked; `roster`: the real-name roster.
//! * `payments`, `batch` (a bank's batch result file), `allocations` (人工费拨付), `settings`.
//! * `wages`: the wage payment ledger (工资支付台账); `arrears`: the arrears warning (欠薪预警);
//!   `cashflow`: planned vs approved vs paid per month, payables by age.

pub mod allocations;
pub mod arrears;
pub mod batch;
pub mod cashflow;
pub mod entries;
pub mod error;
pub mod masking;
pub mod payments;
pub mod roster;
pub mod settings;
pub mod sheet;
pub mod stored;
pub mod wages;
