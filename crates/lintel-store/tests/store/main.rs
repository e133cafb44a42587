//! The store on its own, on SQLite and (when `LINTEL_TEST_POSTGRES_URL` is set) PostgreSQL:
//! every test gets a fresh database.

mod documents;
mod isolation;
mod ledger;
mod outbox;
mod pages;
mod portfolio;
mod support;
mod writes;
