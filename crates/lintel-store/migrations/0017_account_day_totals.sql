-- Each account's debits and credits per currency and day, kept by the transaction that posts the
-- lines (`posting.rs`), so that balances and the trial balance sum a few rows per account and
-- day instead of every line. A day's totals are split over up to 16 shards (chosen from the
-- entry's ID) so that concurrent postings to the same account on the same day rarely wait on
-- one row; readers add the shards up. The integrity check recomputes every total from the lines.

CREATE TABLE account_day_totals (
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    currency      TEXT NOT NULL,
    entry_date    TEXT NOT NULL,
    shard         BIGINT NOT NULL,
    debits_minor  BIGINT NOT NULL,
    credits_minor BIGINT NOT NULL,
    PRIMARY KEY (org_id, account_id, currency, entry_date, shard)
);
CREATE INDEX account_day_totals_date_idx ON account_day_totals (org_id, entry_date);

INSERT INTO account_day_totals
    (org_id, account_id, currency, entry_date, shard, debits_minor, credits_minor)
SELECT org_id, account_id, currency, entry_date, 0,
       CAST(SUM(CASE WHEN side = 'debit' THEN amount_minor ELSE 0 END) AS BIGINT),
       CAST(SUM(CASE WHEN side = 'credit' THEN amount_minor ELSE 0 END) AS BIGINT)
FROM journal_lines
GROUP BY org_id, account_id, currency, entry_date;
