//! The journal in the store: a balanced entry posts, reverses once, and adds up.

use lintel_domain::ledger::{BalancedEntry, Dimensions, SystemAccount};
use lintel_domain::money::{Currency, Money};
use lintel_domain::{Actor, Date, Plan};

use crate::support::{org, store_test};

store_test!(a_balanced_entry_posts_and_reverses_once, |store| {
    let (o, admin) = org(store, Plan::Pro, "ledger").await;
    let actor = Actor::user(admin.id, None);
    let scope = store.org(o);
    let chart = scope.accounts().all().await.unwrap();
    let id_of = |s: SystemAccount| chart.iter().find(|a| a.system == Some(s)).unwrap().id;
    let money = Money {
        amount_minor: 12_345,
        currency: Currency::parse("CAD").unwrap(),
    };
    let entry = BalancedEntry::transfer(
        id_of(SystemAccount::OperatingBank),
        id_of(SystemAccount::OwnerEquity),
        money,
        Dimensions::default(),
    )
    .unwrap();
    let day = Date::parse("2026-03-01").unwrap();
    let posted = scope
        .journal()
        .post_manual(&actor, day, Some("Owner contribution"), &entry)
        .await
        .unwrap();
    let rev = scope.journal().reverse(&actor, posted.id).await.unwrap();
    assert_eq!(rev.reversal_of_id, Some(posted.id));
    assert!(scope.journal().reverse(&actor, posted.id).await.is_err());
    let tb = scope.journal().trial_balance(&chart, None).await.unwrap();
    assert!(tb.balanced);
    assert_eq!(tb.totals[0].debits_minor, 2 * 12_345);
});
