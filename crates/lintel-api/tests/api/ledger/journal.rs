//! The journal through HTTP: manual entries that must balance, reversals, balances as of a
//! day, the trial balance; nothing posted can be changed.

use crate::support::*;
use axum::http::{Method, StatusCode};
use lintel_domain::{Plan, Role};
use serde_json::{json, Value};

/// The IDs of the chart's accounts by system key.
async fn chart(app: &TestApp, org: &TestOrg) -> std::collections::HashMap<String, String> {
    let r = app.get("/api/accounts", &org.admin).await;
    r.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["system"].is_string())
        .map(|a| {
            (
                a["system"].as_str().unwrap().to_string(),
                a["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn entry(date: &str, debit: &str, credit: &str, amount: i64) -> Value {
    json!({
        "entryDate": date, "memo": "Owner contribution",
        "lines": [
            {"accountId": debit, "debit": {"amountMinor": amount, "currency": "CAD"}},
            {"accountId": credit, "credit": {"amountMinor": amount, "currency": "CAD"}},
        ]
    })
}

backend_test!(entries_balances_and_reversals, |app| {
    let org = app.org(Plan::Pro).await;
    let a = chart(&app, &org).await;
    let (bank, equity) = (&a["operating_bank"], &a["owner_equity"]);
    let r = app
        .post(
            "/api/journal-entries",
            &org.admin,
            entry("2026-01-15", bank, equity, 100_000),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let e = r.data().clone();
    let id = e["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("je_"));
    assert_eq!(
        (e["source"].as_str(), e["entryDate"].as_str()),
        (Some("manual"), Some("2026-01-15"))
    );
    assert_eq!(e["lines"][0]["side"], "debit");
    assert_eq!(
        e["lines"][1]["amount"],
        json!({"amountMinor": 100000, "currency": "CAD"})
    );
    let got = app
        .get(&format!("/api/journal-entries/{id}"), &org.admin)
        .await;
    assert_eq!(got.data()["lines"], e["lines"]);
    assert!(got.data()["reversedById"].is_null());

    // Balances on each account's normal side, as of a day.
    let balance = |acct: &str, as_of: &str| format!("/api/accounts/{acct}/balance?asOf={as_of}");
    let r = app.get(&balance(bank, "2026-12-31"), &org.admin).await;
    assert_eq!(
        r.data()["balances"],
        json!([{"currency": "CAD", "debitsMinor": 100000, "creditsMinor": 0, "balanceMinor": 100000}]),
        "{}",
        r.text
    );
    let r = app.get(&balance(equity, "2026-12-31"), &org.admin).await;
    assert_eq!(r.data()["balances"][0]["balanceMinor"], 100000);
    let r = app.get(&balance(bank, "2026-01-14"), &org.admin).await;
    assert_eq!(r.data()["balances"], json!([]));
    let r = app
        .get("/api/ledger/trial-balance?asOf=2026-12-31", &org.admin)
        .await;
    assert_eq!(r.data()["balanced"], true, "{}", r.text);
    assert_eq!(
        r.data()["totals"],
        json!([{"currency": "CAD", "debitsMinor": 100000, "creditsMinor": 100000, "balanceMinor": 0}])
    );
    assert_eq!(r.data()["rows"].as_array().unwrap().len(), 2);

    // A reversal mirrors it, linked both ways, once.
    let r = app
        .post_empty(&format!("/api/journal-entries/{id}/reverse"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rev = r.data()["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            r.data()["source"].as_str(),
            r.data()["reversalOfId"].as_str()
        ),
        (Some("reversal"), Some(id.as_str()))
    );
    assert_eq!(r.data()["lines"][0]["side"], "credit");
    let got = app
        .get(&format!("/api/journal-entries/{id}"), &org.admin)
        .await;
    assert_eq!(got.data()["reversedById"], rev);
    let r = app
        .post_empty(&format!("/api/journal-entries/{id}/reverse"), &org.admin)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("This entry has already been reversed.")
        )
    );
    let r = app
        .post_empty(&format!("/api/journal-entries/{rev}/reverse"), &org.admin)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app.get(&balance(bank, "2099-12-31"), &org.admin).await;
    assert_eq!(r.data()["balances"][0]["balanceMinor"], 0);
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(r.data()["balanced"], true);

    // Lists and filters; nothing can be changed or deleted.
    let r = app
        .get(
            &format!("/api/journal-entries?accountId={bank}&source=reversal"),
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 1, "{}", r.text);
    let r = app
        .get(
            "/api/journal-entries?from=2026-01-16&to=2026-01-14",
            &org.admin,
        )
        .await;
    assert_eq!(r.data()["total"], 0);
    for m in [Method::PATCH, Method::PUT, Method::DELETE] {
        let r = app
            .raw(
                m.clone(),
                &format!("/api/journal-entries/{id}"),
                &org.admin,
                Some(b"{}".to_vec()),
            )
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m}");
    }
});

backend_test!(entries_that_do_not_balance_are_refused, |app| {
    let org = app.org(Plan::Pro).await;
    let other = app.org(Plan::Pro).await;
    let a = chart(&app, &org).await;
    let (bank, equity) = (&a["operating_bank"], &a["owner_equity"]);
    let mut short = entry("2026-01-15", bank, equity, 100);
    short["lines"][1]["credit"]["amountMinor"] = json!(99);
    let r = app.post("/api/journal-entries", &org.admin, short).await;
    assert_eq!(r.fields(), ["lines"], "{}", r.text);
    assert!(r.body["details"][0]["message"]
        .as_str()
        .unwrap()
        .contains("differ in CAD"));
    let r = app
        .post(
            "/api/journal-entries",
            &org.admin,
            json!({"entryDate": "someday", "lines": [{"accountId": bank}]}),
        )
        .await;
    assert_eq!(r.fields(), ["entryDate", "lines", "lines[0].debit"]);
    // Another organisation's account is not there; an archived one takes no line.
    let theirs = chart(&app, &other).await;
    let r = app
        .post(
            "/api/journal-entries",
            &org.admin,
            entry("2026-01-15", bank, &theirs["owner_equity"], 5),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("Account not found."))
    );
    let r = app
        .post(
            "/api/accounts",
            &org.admin,
            json!({"code": "6100", "name": "Old", "type": "expense"}),
        )
        .await;
    let old = r.data()["id"].as_str().unwrap().to_string();
    app.post_empty(&format!("/api/accounts/{old}/archive"), &org.admin)
        .await;
    let r = app
        .post(
            "/api/journal-entries",
            &org.admin,
            entry("2026-01-15", &old, bank, 5),
        )
        .await;
    assert_eq!(r.fields(), ["lines[0].accountId"]);
    let r = app.get("/api/journal-entries", &org.admin).await;
    assert_eq!(r.data()["total"], 0);
});

backend_test!(who_may_read_and_post, |app| {
    let org = app.org(Plan::Business).await;
    let other = app.org(Plan::Business).await;
    let a = chart(&app, &org).await;
    let body = entry("2026-01-15", &a["operating_bank"], &a["owner_equity"], 500);
    let r = app
        .post("/api/journal-entries", &org.admin, body.clone())
        .await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let path = format!("/api/journal-entries/{id}");
    assert_eq!(
        app.get("/api/journal-entries", &Client::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    let broker = app.member(&org, Role::Broker).await;
    for r in [
        app.get(&path, &broker).await,
        app.get("/api/ledger/trial-balance", &broker).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let pm = app.key(&org, Role::PropertyManager).await;
    assert_eq!(app.get(&path, &pm).await.status, StatusCode::OK);
    let landlord = app.member(&org, Role::Landlord).await;
    for r in [
        app.post("/api/journal-entries", &landlord, body.clone())
            .await,
        app.post_empty(&format!("{path}/reverse"), &landlord).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for r in [
        app.get(&path, &other.admin).await,
        app.post_empty(&format!("{path}/reverse"), &other.admin)
            .await,
    ] {
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("Journal entry not found."))
        );
    }
    let r = app.get("/api/ledger/trial-balance", &other.admin).await;
    assert_eq!(r.data()["rows"], json!([]));
    let r = app
        .get(
            "/api/journal-entries?pageSize=101&from=x&source=y",
            &org.admin,
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["from", "pageSize", "source"]);
});

backend_test!(the_integrity_check_finds_a_changed_row, |app| {
    let org = app.org(Plan::Pro).await;
    let a = chart(&app, &org).await;
    let (bank, equity) = (&a["operating_bank"], &a["owner_equity"]);
    let r = app
        .post(
            "/api/journal-entries",
            &org.admin,
            entry("2026-01-15", bank, equity, 700),
        )
        .await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    app.post_empty(&format!("/api/journal-entries/{id}/reverse"), &org.admin)
        .await;
    let r = app.get("/api/ledger/integrity", &org.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            r.data()["sound"].as_bool(),
            r.data()["entriesChecked"].as_i64()
        ),
        (Some(true), Some(2))
    );
    assert_eq!(r.data()["discrepancies"], json!([]));

    // Behind the database's back (its triggers turned off): one line's amount and another's
    // date are changed.
    let db = lintel_store::Db::connect(&app.database_url(), &Default::default())
        .await
        .unwrap();
    let unguard = match app.backend {
        "sqlite" => "DROP TRIGGER journal_lines_no_update",
        _ => "ALTER TABLE journal_lines DISABLE TRIGGER journal_lines_append_only",
    };
    db.raw(unguard).await.unwrap();
    db.raw(&format!(
        "UPDATE journal_lines SET amount_minor = 701 WHERE id = '{id}_0'"
    ))
    .await
    .unwrap();
    db.raw(&format!(
        "UPDATE journal_lines SET entry_date = '2026-01-16' WHERE id = '{id}_1'"
    ))
    .await
    .unwrap();
    // And an entry with no lines at all.
    let unguard = match app.backend {
        "sqlite" => "DROP TRIGGER journal_entries_balanced",
        _ => "ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_balanced",
    };
    db.raw(unguard).await.unwrap();
    let empty = "je_01jdc8k5m3q7r9t1v3x5z7b9d1";
    db.raw(&format!(
        "INSERT INTO journal_entries (id, org_id, entry_date, memo, source, created_at) \
         VALUES ('{empty}', '{}', '2026-01-20', 'Empty', 'manual', 0)",
        org.id
    ))
    .await
    .unwrap();
    let r = app.get("/api/ledger/integrity", &org.admin).await;
    assert_eq!(r.data()["sound"], false, "{}", r.text);
    let kinds: Vec<(&str, &str)> = r.data()["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["entryId"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("unbalanced_entry", id.as_str())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("line_date_mismatch", id.as_str())),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("entry_without_lines", empty)), "{kinds:?}");
    assert!(
        kinds.iter().any(|(k, _)| *k == "reversal_does_not_mirror"),
        "{kinds:?}"
    );
    // The totals kept per account and day no longer match the changed lines.
    let totals: Vec<(&str, &str)> = r.data()["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "account_totals_mismatch")
        .map(|d| {
            (
                d["accountId"].as_str().unwrap(),
                d["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        totals.contains(&(bank.as_str(), "totals kept for 2026-01-15 in CAD are 700 debit, 0 credit; its lines add up to 701 debit, 0 credit")),
        "{totals:?}"
    );
    assert!(totals.iter().any(|(a, _)| a == equity), "{totals:?}");
    // A kept total changed: balances follow it, and the check names the account.
    db.raw(&format!(
        "UPDATE account_day_totals SET debits_minor = debits_minor + 5 \
         WHERE org_id = '{}' AND account_id = '{bank}'",
        org.id
    ))
    .await
    .unwrap();
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(r.data()["balanced"], false);
    let pm = app.member(&org, Role::PropertyManager).await;
    assert_eq!(
        app.get("/api/ledger/integrity", &pm).await.status,
        StatusCode::FORBIDDEN
    );
});

backend_test!(the_base_currency_leads_the_trial_balance, |app| {
    let org = app.org(Plan::Pro).await;
    let r = app.get("/api/organisations/current", &org.admin).await;
    assert_eq!(r.data()["baseCurrency"], "USD", "{}", r.text);
    let a = chart(&app, &org).await;
    let (bank, equity) = (&a["operating_bank"], &a["owner_equity"]);
    let mut usd = entry("2026-01-15", bank, equity, 500);
    for line in usd["lines"].as_array_mut().unwrap() {
        for side in ["debit", "credit"] {
            if let Some(m) = line.get_mut(side) {
                m["currency"] = json!("USD");
            }
        }
    }
    for body in [entry("2026-01-15", bank, equity, 100), usd] {
        let r = app.post("/api/journal-entries", &org.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let order = |r: &Resp| -> Vec<String> {
        r.data()["totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["currency"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(r.data()["baseCurrency"], "USD");
    assert_eq!(order(&r), ["USD", "CAD"]);
    // Changed in the organisation's settings (admin only); a code that is not ISO 4217 is
    // refused.
    let r = app
        .patch(
            "/api/organisations/current",
            &org.admin,
            json!({"baseCurrency": "CAD"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.data()["baseCurrency"], "CAD");
    let r = app.get("/api/ledger/trial-balance", &org.admin).await;
    assert_eq!(order(&r), ["CAD", "USD"]);
    for bad in ["cad", "XYZ", ""] {
        let r = app
            .patch(
                "/api/organisations/current",
                &org.admin,
                json!({"baseCurrency": bad}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.fields(), ["baseCurrency"]);
    }
    let manager = app.member(&org, Role::PropertyManager).await;
    let r = app
        .patch(
            "/api/organisations/current",
            &manager,
            json!({"baseCurrency": "USD"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/organisations/current", &org.admin).await;
    assert_eq!(r.data()["baseCurrency"], "CAD");
});
