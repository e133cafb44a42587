//! Recording a payment (applied to charges, the rest held as credit), refunding it, and taking
//! it back when it is returned unpaid: each one transaction with its balanced entry.

use lintel_domain::leasing::{Lease, LeaseStatus};
use lintel_domain::ledger::{
    apply_in_order, refund_plan, Allocation, BalancedEntry, ChargeKind, EntrySource, NewCharge,
    NewPayment, NewRefund, NewReturn, Payer, Payment, PaymentMethod, PaymentStatus, Side,
    SystemAccount,
};
use lintel_domain::money::{Currency, Money};
use lintel_domain::{
    Actor, ChargeId, Date, EventKind, FieldError, JournalEntryId, OrgId, PaymentId, RefundId,
    TenantId, Timestamp,
};
use sea_query::{Expr, Order, Query};

use super::{
    PaymentAllocations as PA, PaymentRefunds as PR, PaymentRepo, PaymentRow, Payments as P,
};
use crate::backend::Backend;
use crate::db::Tx;
use crate::error::{parse_col, Result, StoreError};
use crate::events::{self, Change};
use crate::leasing::leases::{for_money, get_in, today};
use crate::leasing::schema::{LeaseTenants as LT, Leases as L};
use crate::ledger::posting::{lock_series, post, set_series, system_accounts, Posting};
use crate::ledger::settle::{self, line};
use crate::prepared::key;
use crate::scope;

#[derive(serde::Deserialize)]
struct LeaseOf {
    lease_id: String,
}

/// The lease a payment is for, read locked ([`for_money`], so with today's date in the
/// organisation's time zone): the one named, or the tenant's one lease in force.
pub(crate) async fn lease_of(
    tx: &mut Tx,
    org: OrgId,
    payer: Payer,
) -> Result<(Lease, Option<TenantId>, Date)> {
    let missing = |e: StoreError| match e {
        StoreError::NotFound => StoreError::Missing("Lease"),
        other => other,
    };
    match payer {
        Payer::Lease(l) => {
            let (lease, today) = for_money(tx, org, l).await.map_err(missing)?;
            Ok((lease, None, today))
        }
        Payer::Both(l, t) => {
            let (lease, today) = for_money(tx, org, l).await.map_err(missing)?;
            if !lease.tenant_ids.contains(&t) {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "tenantId",
                    "is not a tenant on this lease",
                )]));
            }
            Ok((lease, Some(t), today))
        }
        Payer::Tenant(t) => {
            let in_force: Vec<LeaseOf> = tx
                .all(
                    &scope::select::<LT>(org)
                        .column((LT::Table, LT::LeaseId))
                        .inner_join(
                            L::Table,
                            Expr::col((L::Table, L::Id)).equals((LT::Table, LT::LeaseId)),
                        )
                        .and_where(Expr::col((LT::Table, LT::TenantId)).eq(t.to_string()))
                        .and_where(
                            Expr::col((L::Table, L::Status)).is_in(LeaseStatus::in_force_names()),
                        )
                        .to_owned(),
                )
                .await?;
            match in_force.as_slice() {
                [one] => {
                    let id = parse_col("lease_tenants.lease_id", &one.lease_id)?;
                    let (lease, today) = for_money(tx, org, id).await.map_err(missing)?;
                    Ok((lease, Some(t), today))
                }
                [] => Err(StoreError::Invalid(vec![FieldError::new(
                    "tenantId",
                    "has no lease in force: give leaseId",
                )])),
                _ => Err(StoreError::Invalid(vec![FieldError::new(
                    "tenantId",
                    "is on more than one lease in force: give leaseId",
                )])),
            }
        }
    }
}

/// What `allocations` asks for, checked against the lease's charges (locked), and those
/// charges' rows.
async fn checked_allocations(
    tx: &mut Tx,
    org: OrgId,
    lease: &Lease,
    asked: &[(ChargeId, i64)],
) -> Result<(Vec<(ChargeId, i64)>, Vec<settle::Owed>)> {
    let ids: Vec<ChargeId> = asked.iter().map(|(c, _)| *c).collect();
    let found = settle::charges_by_id(tx, org, &ids).await?;
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(found.len());
    for (i, ((_, amount), row)) in asked.iter().zip(found).enumerate() {
        let field = format!("allocations[{i}].chargeId");
        match &row {
            Some(r) if r.lease_id == lease.id.to_string() => {
                if r.kind == ChargeKind::Credit.as_str() {
                    errors.push(FieldError::new(
                        field,
                        "is a credit note, which is not paid",
                    ));
                } else if r.status == "void" {
                    errors.push(FieldError::new(field, "is void"));
                } else if *amount > r.outstanding() {
                    errors.push(FieldError::new(
                        format!("allocations[{i}].amount.amountMinor"),
                        format!("is more than the charge still owes, {}", r.outstanding()),
                    ));
                }
            }
            _ => errors.push(FieldError::new(field, "is not a charge of this lease")),
        }
        rows.extend(row);
    }
    if errors.is_empty() {
        Ok((asked.to_vec(), rows))
    } else {
        Err(StoreError::Invalid(errors))
    }
}

fn receipt_number(n: i64) -> String {
    format!("R-{n:06}")
}

#[derive(serde::Deserialize)]
struct ReceiptRow {
    receipt_number: Option<String>,
}

#[derive(serde::Deserialize)]
struct Unnumbered {
    id: String,
}

/// Numbers, in the order they were recorded, every receipt of the organisation that has none
/// yet: payments that took money (they have an entry) without a number — `R-` and the
/// organisation's next receipt number, six digits or more. Called just after a payment's commit
/// on PostgreSQL and as the last step of its transaction on SQLite ([`PaymentRepo::create`]),
/// or as the last step of the transaction that confirms a card payment. Answers the numbers given. After a commit the receipt counter is locked only for
/// this short transaction, not for the payment's: payments commit together, and one numbering
/// covers all that committed before it. With nothing to number nothing is written, unless
/// `barrier`: then the counter is written back unchanged, so that the transaction's commit is a
/// durable one, and its flush carries any numbering committed before it that is not yet on
/// disk ([`Tx::flushed_by_next_commit`]).
pub(super) async fn number_pending(
    tx: &mut Tx,
    org: OrgId,
    barrier: bool,
) -> Result<Vec<(String, String)>> {
    let last = lock_series(tx, org, "receipt").await?;
    let pending: Vec<Unnumbered> = tx
        .all(
            &scope::select::<P>(org)
                .column(P::Id)
                .and_where(Expr::col(P::ReceiptNumber).is_null())
                .and_where(Expr::col(P::EntryId).is_not_null())
                .order_by(P::CreatedAt, Order::Asc)
                .order_by(P::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut numbered = Vec::with_capacity(pending.len());
    for (n, p) in (last + 1..).zip(pending) {
        let receipt = receipt_number(n);
        tx.defer(
            scope::update::<P>(org)
                .value(P::ReceiptNumber, receipt.clone())
                .and_where(Expr::col(P::Id).eq(p.id.clone()))
                .to_owned(),
        )
        .await?;
        numbered.push((p.id, receipt));
    }
    if barrier || !numbered.is_empty() {
        set_series(tx, org, "receipt", last + numbered.len() as i64).await?;
    }
    Ok(numbered)
}

pub(super) fn currency_of(lease: &Lease) -> Result<Currency> {
    Currency::parse(&lease.rent.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("lease {} currency", lease.id)))
}

/// What posting a payment's money did: its entry and how much of it is held as credit.
pub(super) struct Received {
    pub entry: JournalEntryId,
    pub credit: i64,
}

/// Posts money received for `lease` as payment `id`: debits the method's cash account, credits
/// receivables with what `moves` apply to charges and prepaid rent with the rest. The caller
/// writes the payment's row, records `moves` against the charges, and has its receipt numbered
/// ([`number_pending`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn receive(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    lease: &Lease,
    id: PaymentId,
    method: PaymentMethod,
    received_on: Date,
    total: i64,
    moves: &[(ChargeId, i64)],
) -> Result<Received> {
    let currency = currency_of(lease)?;
    let applied: i64 = moves.iter().map(|(_, a)| a).sum();
    let credit = total - applied;
    let [cash, receivable, prepaid] = system_accounts(
        tx,
        org,
        [
            method.cash_account(),
            SystemAccount::AccountsReceivable,
            SystemAccount::PrepaidRent,
        ],
    )
    .await?;
    let dims = settle::lease_dims(lease);
    let mut lines = Vec::with_capacity(3);
    line(&mut lines, cash, Side::Debit, total, currency, dims);
    line(
        &mut lines,
        receivable,
        Side::Credit,
        applied,
        currency,
        dims,
    );
    line(&mut lines, prepaid, Side::Credit, credit, currency, dims);
    let entry = BalancedEntry::new(lines).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let memo = format!("{method} payment");
    let posting = Posting {
        date: received_on,
        memo: Some(memo.as_str()),
        source: EntrySource::Payment,
        source_id: Some(id.to_string()),
        reversal_of: None,
        system_accounts: true,
    };
    let posted = post(tx, org, actor, posting, &entry).await?;
    Ok(Received {
        entry: posted.id,
        credit,
    })
}

/// The lease's open charges, oldest due first, as what each still owes, and their rows
/// (locked).
pub(super) async fn owed(
    tx: &mut Tx,
    org: OrgId,
    lease: &Lease,
) -> Result<(Vec<(ChargeId, i64)>, Vec<settle::Owed>)> {
    let open = settle::open_charges(tx, org, lease.id).await?;
    let mut owed = Vec::with_capacity(open.len());
    for o in &open {
        owed.push((o.charge_id()?, o.outstanding()));
    }
    Ok((owed, open))
}

/// A payment's row as first written.
pub(super) struct Fresh {
    pub id: PaymentId,
    pub tenant: TenantId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub received_on: Date,
    pub reference: Option<String>,
    pub cheque_number: Option<String>,
    /// What it pays towards charges, recorded with it ([`settle::record`]).
    pub applied: i64,
    pub entry: Option<JournalEntryId>,
}

/// Writes a new payment's row for `lease`; answers the row as written.
pub(super) async fn insert(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    lease: &Lease,
    p: Fresh,
) -> Result<PaymentRow> {
    let now = Timestamp::now().0;
    let row = PaymentRow {
        id: p.id.to_string(),
        org_id: org.to_string(),
        lease_id: lease.id.to_string(),
        tenant_id: p.tenant.to_string(),
        property_id: lease.property_id.to_string(),
        unit_id: lease.unit_id.to_string(),
        amount_minor: p.amount.amount_minor,
        currency: p.amount.currency.code().to_string(),
        method: p.method.as_str().to_string(),
        status: p.status.as_str().to_string(),
        received_on: p.received_on.to_string(),
        reference: p.reference,
        cheque_number: p.cheque_number,
        applied_minor: p.applied,
        refunded_minor: 0,
        returned_minor: 0,
        entry_id: p.entry.map(|e| e.to_string()),
        returned_on: None,
        return_reason: None,
        return_entry_id: None,
        return_fee_charge_id: None,
        failure_reason: None,
        receipt_number: None,
        stripe_session_id: None,
        stripe_payment_intent: None,
        created_by: actor.id.clone(),
        created_at: now,
        updated_at: now,
    };
    let r = row.clone();
    // Deferred: nothing reads it back in the transaction before a statement that sends it.
    tx.defer(
        Query::insert()
            .into_table(P::Table)
            .columns(super::COLUMNS)
            .values_panic([
                r.id.into(),
                r.org_id.into(),
                r.lease_id.into(),
                r.tenant_id.into(),
                r.property_id.into(),
                r.unit_id.into(),
                r.amount_minor.into(),
                r.currency.into(),
                r.method.into(),
                r.status.into(),
                r.received_on.into(),
                r.reference.into(),
                r.cheque_number.into(),
                r.applied_minor.into(),
                r.refunded_minor.into(),
                r.returned_minor.into(),
                r.entry_id.into(),
                r.returned_on.into(),
                r.return_reason.into(),
                r.return_entry_id.into(),
                r.return_fee_charge_id.into(),
                r.failure_reason.into(),
                r.receipt_number.into(),
                r.stripe_session_id.into(),
                r.stripe_payment_intent.into(),
                r.created_by.into(),
                r.created_at.into(),
                r.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(row)
}

/// The lease's currency, if it takes payments (it is or was in force) and `amount` is in it.
pub(super) fn payable(lease: &Lease, amount: Option<Money>) -> Result<Currency> {
    if matches!(
        lease.status,
        LeaseStatus::Draft | LeaseStatus::PendingSignature | LeaseStatus::Cancelled
    ) {
        return Err(StoreError::Refused(format!(
            "Payments are recorded on leases that are or were in force; this one is {}.",
            lease.status
        )));
    }
    let currency = currency_of(lease)?;
    if amount.is_some_and(|a| a.currency != currency) {
        let msg = format!("must be the lease's currency, {}", currency.code());
        return Err(StoreError::Invalid(vec![FieldError::new(
            "amount.currency",
            msg,
        )]));
    }
    Ok(currency)
}

/// Records a payment inside `tx` (see [`PaymentRepo::create`]); answers it as written, so that
/// nothing is read again after the commit.
async fn record_payment(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    new: &NewPayment,
) -> Result<Payment> {
    let (lease, payer, today) = lease_of(tx, org, new.payer).await?;
    payable(&lease, Some(new.amount))?;
    let received_on = new.received_on.unwrap_or(today);
    let (moves, charges) = match &new.allocations {
        Some(asked) => checked_allocations(tx, org, &lease, asked).await?,
        None => {
            let (owed, rows) = owed(tx, org, &lease).await?;
            (apply_in_order(&owed, new.amount.amount_minor).0, rows)
        }
    };
    let id = PaymentId::new();
    let got = receive(
        tx,
        org,
        actor,
        &lease,
        id,
        new.method,
        received_on,
        new.amount.amount_minor,
        &moves,
    )
    .await?;
    let fresh = Fresh {
        id,
        tenant: payer.unwrap_or(lease.primary_tenant_id),
        amount: new.amount,
        method: new.method,
        status: PaymentStatus::Succeeded,
        received_on,
        reference: new.reference.clone(),
        cheque_number: new.cheque_number.clone(),
        applied: moves.iter().map(|(_, a)| a).sum(),
        entry: Some(got.entry),
    };
    let row = insert(tx, org, actor, &lease, fresh).await?;
    let moved = settle::record(tx, org, id, got.entry, &moves, &charges).await?;
    let change = Change::<(), _> {
        kind: EventKind::PaymentRecorded,
        entity_id: &id.to_string(),
        before: None,
        after: Some(&serde_json::json!({
            "leaseId": lease.id,
            "amount": new.amount.to_dto(),
            "method": new.method,
            "receivedOn": received_on,
            "appliedMinor": moved,
            "creditMinor": got.credit,
        })),
    };
    events::emit(tx, org, actor, change).await?;
    let mut payment = row.into_payment()?;
    payment.allocations = moves
        .iter()
        .filter(|(_, a)| *a > 0)
        .map(|&(charge_id, amount_minor)| Allocation {
            charge_id,
            amount_minor,
        })
        .collect();
    Ok(payment)
}

impl PaymentRepo<'_> {
    /// Records money received for a lease that is or was in force: applied to the charges
    /// named, or to the oldest open charges; the rest held as the tenants' credit.
    pub async fn create(&self, actor: &Actor, new: &NewPayment) -> Result<Payment> {
        let org = self.org;
        let mut payment = self
            .db
            .write(move |mut tx| async move {
                let mut payment = record_payment(&mut tx, org, actor, new).await?;
                if tx.backend() == Backend::Sqlite {
                    // One writer at a time: numbering here locks out no other payment, and
                    // saves the numbering its own transaction.
                    let numbered = number_pending(&mut tx, org, false).await?;
                    let id = payment.id.to_string();
                    payment.receipt_number =
                        numbered.into_iter().find(|(p, _)| *p == id).map(|(_, r)| r);
                }
                tx.commit().await?;
                Ok(payment)
            })
            .await?;
        if payment.receipt_number.is_none() {
            payment.receipt_number = Some(self.receipt_of(payment.id).await?);
        }
        Ok(payment)
    }

    /// Numbers the organisation's receipts still without one ([`number_pending`]).
    pub async fn number_receipts(&self) -> Result<()> {
        let org = self.org;
        self.db
            .write(move |mut tx| async move {
                number_pending(&mut tx, org, false).await?;
                tx.commit().await
            })
            .await
    }

    /// Payment `id`'s receipt number, numbering the organisation's pending receipts first (a
    /// numbering by another request may already have given it one). Read and committed in the
    /// numbering's transaction: on SQLite that numbering may still be in the open batch, seen
    /// only there and durable only once it commits.
    ///
    /// The number is durable before it is answered. When the request's answer is kept for its
    /// Idempotency-Key, that keeping is a durable commit made before the answer goes out, so
    /// this transaction need not wait for its own flush
    /// ([`Tx::flushed_by_next_commit`]): the receipt counter is then held only while the
    /// numbering runs, not through a disk flush, and an organisation's payments are numbered
    /// as fast as they commit. Without a key this commit is the durable one, and writes the
    /// counter even when another request numbered the payment, so that its flush covers that
    /// numbering too.
    async fn receipt_of(&self, id: PaymentId) -> Result<String> {
        let org = self.org;
        let kept_later = crate::idempotency::answer_kept_later();
        self.db
            .write(move |mut tx| async move {
                if kept_later {
                    tx.flushed_by_next_commit().await?;
                }
                let numbered = number_pending(&mut tx, org, !kept_later).await?;
                let mine = numbered.into_iter().find(|(p, _)| *p == id.to_string());
                let receipt = match mine {
                    Some((_, r)) => Some(r),
                    None => {
                        let row: Option<ReceiptRow> = tx
                            .opt(
                                &scope::select::<P>(org)
                                    .column(P::ReceiptNumber)
                                    .and_where(Expr::col(P::Id).eq(id.to_string()))
                                    .to_owned(),
                            )
                            .await?;
                        row.and_then(|r| r.receipt_number)
                    }
                };
                tx.commit().await?;
                receipt.ok_or_else(|| {
                    StoreError::Corrupt(format!("payment {id} has no receipt number"))
                })
            })
            .await
    }

    /// Refunds part or all of a succeeded payment, today: first from the credit it still
    /// holds, then from what it paid, the most recent charges first (re-opening them).
    pub async fn refund(&self, actor: &Actor, id: PaymentId, new: &NewRefund) -> Result<Payment> {
        let org = self.org;
        self.db
            .write(move |mut tx| async move {
                refund_in(&mut tx, org, actor, id, new, false).await?;
                tx.commit().await?;
                Ok(())
            })
            .await?;
        self.get(id).await
    }

    /// Takes back a cheque or bank-transfer payment that came back unpaid, today: what it paid
    /// re-opened, its credit withdrawn, and a returned-payment fee charged if asked.
    pub async fn return_unpaid(
        &self,
        actor: &Actor,
        id: PaymentId,
        new: &NewReturn,
    ) -> Result<Payment> {
        let org = self.org;
        self.db
            .write(move |mut tx| async move {
                return_in(&mut tx, org, actor, id, new).await?;
                tx.commit().await?;
                Ok(())
            })
            .await?;
        self.get(id).await
    }
}

#[derive(serde::Deserialize)]
struct MoveRow {
    charge_id: String,
    amount_minor: i64,
}

/// What a payment has paid towards each charge (net), the most recently paid first.
async fn paid_by(tx: &mut Tx, org: OrgId, payment: PaymentId) -> Result<Vec<(ChargeId, i64)>> {
    let rows: Vec<MoveRow> = tx
        .all(
            &scope::select::<PA>(org)
                .columns([PA::ChargeId, PA::AmountMinor])
                .and_where(Expr::col(PA::PaymentId).eq(payment.to_string()))
                .order_by(PA::CreatedAt, Order::Asc)
                .order_by(PA::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut net: Vec<(ChargeId, i64)> = Vec::new();
    for r in rows {
        let c: ChargeId = parse_col("payment_allocations.charge_id", &r.charge_id)?;
        match net.iter_mut().find(|(id, _)| *id == c) {
            Some(n) => n.1 += r.amount_minor,
            None => net.push((c, r.amount_minor)),
        }
    }
    net.retain(|(_, a)| *a > 0);
    net.reverse();
    Ok(net)
}

/// The payment, locked, and its lease.
pub(super) async fn locked(tx: &mut Tx, org: OrgId, id: PaymentId) -> Result<(PaymentRow, Lease)> {
    let row: PaymentRow = tx.one(&super::BY_ID_LOCKED.with(key(org, id))).await?;
    let lease = get_in(
        tx,
        org,
        parse_col("payments.lease_id", &row.lease_id)?,
        false,
    )
    .await?;
    Ok((row, lease))
}

pub(super) async fn refund_in(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    id: PaymentId,
    new: &NewRefund,
    by_processor: bool,
) -> Result<()> {
    let (row, lease) = locked(tx, org, id).await?;
    if row.stripe_session_id.is_some() && !by_processor {
        return Err(StoreError::Refused(
            "This card payment was made through Stripe: refund it in Stripe, and Stripe's \
             charge.refunded event records the refund here."
                .into(),
        ));
    }
    let status = row.status()?;
    if !matches!(
        status,
        PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded
    ) {
        return Err(StoreError::Refused(format!(
            "Only a succeeded payment can be refunded; this one is {status}."
        )));
    }
    let currency = currency_of(&lease)?;
    if new.amount.currency.code() != row.currency {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "amount.currency",
            format!("must be the payment's currency, {}", row.currency),
        )]));
    }
    let remaining = row.amount_minor - row.refunded_minor - row.returned_minor;
    let amount = new.amount.amount_minor;
    if amount > remaining {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "amount.amountMinor",
            format!("is more than what remains to refund, {remaining}"),
        )]));
    }
    let paid = paid_by(tx, org, id).await?;
    let (from_credit, from_charges) = refund_plan(row.credit(), &paid, amount);
    let method = row.method()?;
    let [cash, receivable, prepaid] = system_accounts(
        tx,
        org,
        [
            method.cash_account(),
            SystemAccount::AccountsReceivable,
            SystemAccount::PrepaidRent,
        ],
    )
    .await?;
    let reopened: i64 = from_charges.iter().map(|(_, a)| a).sum();
    let dims = settle::lease_dims(&lease);
    let mut lines = Vec::with_capacity(3);
    line(
        &mut lines,
        prepaid,
        Side::Debit,
        from_credit,
        currency,
        dims,
    );
    line(
        &mut lines,
        receivable,
        Side::Debit,
        reopened,
        currency,
        dims,
    );
    line(&mut lines, cash, Side::Credit, amount, currency, dims);
    let entry = BalancedEntry::new(lines).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let refund = RefundId::new();
    let date = today(tx, org).await?;
    let memo = format!("Refund of payment {id}");
    let posting = Posting {
        date,
        memo: Some(memo.as_str()),
        source: EntrySource::Refund,
        source_id: Some(id.to_string()),
        reversal_of: None,
        system_accounts: true,
    };
    let posted = post(tx, org, actor, posting, &entry).await?;
    let now = Timestamp::now();
    tx.defer(
        Query::insert()
            .into_table(PR::Table)
            .columns([
                PR::Id,
                PR::OrgId,
                PR::PaymentId,
                PR::AmountMinor,
                PR::Currency,
                PR::Reason,
                PR::EntryId,
                PR::CreatedBy,
                PR::CreatedAt,
            ])
            .values_panic([
                refund.to_string().into(),
                org.to_string().into(),
                id.to_string().into(),
                amount.into(),
                row.currency.clone().into(),
                new.reason.clone().into(),
                posted.id.to_string().into(),
                actor.id.clone().into(),
                now.0.into(),
            ])
            .to_owned(),
    )
    .await?;
    let back: Vec<(ChargeId, i64)> = from_charges.iter().map(|(c, a)| (*c, -a)).collect();
    settle::record(tx, org, id, posted.id, &back, &[]).await?;
    let refunded = row.refunded_minor + amount;
    let status = if refunded == row.amount_minor {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    tx.exec(
        &scope::update_one::<P, _>(org, id)
            .values([
                (P::AppliedMinor, (row.applied_minor - reopened).into()),
                (P::RefundedMinor, refunded.into()),
                (P::Status, status.as_str().into()),
                (P::UpdatedAt, now.0.into()),
            ])
            .to_owned(),
    )
    .await?;
    let change = Change::<(), _> {
        kind: EventKind::PaymentRefunded,
        entity_id: &id.to_string(),
        before: None,
        after: Some(&serde_json::json!({
            "refundId": refund,
            "amount": new.amount.to_dto(),
            "reason": new.reason,
            "entryId": posted.id,
            "status": status,
        })),
    };
    events::emit(tx, org, actor, change).await
}

async fn return_in(
    tx: &mut Tx,
    org: OrgId,
    actor: &Actor,
    id: PaymentId,
    new: &NewReturn,
) -> Result<()> {
    let (row, lease) = locked(tx, org, id).await?;
    let method = row.method()?;
    if !method.returnable() {
        return Err(StoreError::Refused(format!(
            "Only cheque and bank-transfer payments can be returned; this one was paid by {method}."
        )));
    }
    let status = row.status()?;
    if !matches!(
        status,
        PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded
    ) {
        return Err(StoreError::Refused(format!(
            "Only a succeeded payment can be returned; this one is {status}."
        )));
    }
    let currency = currency_of(&lease)?;
    if let Some(fee) = new.fee {
        if fee.currency != currency {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "feeAmount.currency",
                format!("must be the lease's currency, {}", currency.code()),
            )]));
        }
    }
    let paid = paid_by(tx, org, id).await?;
    let reopened: i64 = paid.iter().map(|(_, a)| a).sum();
    let credit = row.credit();
    let remaining = row.amount_minor - row.refunded_minor;
    let [cash, receivable, prepaid] = system_accounts(
        tx,
        org,
        [
            method.cash_account(),
            SystemAccount::AccountsReceivable,
            SystemAccount::PrepaidRent,
        ],
    )
    .await?;
    let dims = settle::lease_dims(&lease);
    let mut lines = Vec::with_capacity(3);
    line(
        &mut lines,
        receivable,
        Side::Debit,
        reopened,
        currency,
        dims,
    );
    line(&mut lines, prepaid, Side::Debit, credit, currency, dims);
    line(&mut lines, cash, Side::Credit, remaining, currency, dims);
    let entry = BalancedEntry::new(lines).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let date = today(tx, org).await?;
    let memo = format!("Payment {id} returned: {}", new.reason);
    let posting = Posting {
        date,
        memo: Some(memo.as_str()),
        source: EntrySource::PaymentReturn,
        source_id: Some(id.to_string()),
        reversal_of: None,
        system_accounts: true,
    };
    let posted = post(tx, org, actor, posting, &entry).await?;
    let back: Vec<(ChargeId, i64)> = paid.iter().map(|(c, a)| (*c, -a)).collect();
    settle::record(tx, org, id, posted.id, &back, &[]).await?;
    let now = Timestamp::now();
    tx.exec(
        &scope::update_one::<P, _>(org, id)
            .values([
                (P::AppliedMinor, 0i64.into()),
                (P::ReturnedMinor, remaining.into()),
                (P::Status, PaymentStatus::Failed.as_str().into()),
                (P::ReturnedOn, date.to_string().into()),
                (P::ReturnReason, new.reason.clone().into()),
                (P::ReturnEntryId, posted.id.to_string().into()),
                (P::UpdatedAt, now.0.into()),
            ])
            .to_owned(),
    )
    .await?;
    let mut fee_charge = None;
    if let Some(fee) = new.fee {
        let charge = NewCharge {
            kind: ChargeKind::Fee,
            amount: fee,
            due_date: date,
            description: Some(format!("Returned payment fee ({id})")),
            billing_key: None,
            period_end: None,
        };
        let c = crate::ledger::charges::post_charge(tx, org, actor, &lease, &charge).await?;
        tx.exec(
            &scope::update_one::<P, _>(org, id)
                .value(P::ReturnFeeChargeId, c.id.to_string())
                .to_owned(),
        )
        .await?;
        fee_charge = Some(c.id);
    }
    let change = Change::<(), _> {
        kind: EventKind::PaymentReturned,
        entity_id: &id.to_string(),
        before: None,
        after: Some(&serde_json::json!({
            "reason": new.reason,
            "entryId": posted.id,
            "feeChargeId": fee_charge,
        })),
    };
    events::emit(tx, org, actor, change).await
}
