//! What every route shares and how the server behaves under stress: health, contract headers
//! and metrics, the OpenAPI document and the contract it states, strict input, connection
//! handling, concurrent, cancelled and retried writes, and secrets kept out of the logs.

mod cancellation;
mod concurrency;
mod connections;
mod contract;
mod headers;
mod health;
mod metrics;
mod openapi;
mod secrets_in_logs;
mod strict_input;
mod write_retries;
