//! A stand-in for Stripe's API on a local port, for the operations that call it.

/// Starts a stand-in for Stripe's API and points `config` at it (with a secret key it checks):
/// creates Checkout Sessions (the same one again for the same `Idempotency-Key`, as Stripe
/// does) and echoes what it was sent in the session's URL (use [`sent`] to read it back).
pub async fn stand_in(mut config: lintel_api::config::ApiConfig) -> lintel_api::config::ApiConfig {
    use axum::http::HeaderMap;
    async fn session(headers: HeaderMap, body: String) -> axum::response::Response {
        use axum::response::IntoResponse;
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some("Bearer sk_test_standin") {
            let body = serde_json::json!({"error": {"message": "Invalid API Key provided"}});
            return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        }
        let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let id = match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
            Some(k) => format!("cs_key_{}", k.len()),
            None => format!("cs_{}", lintel_domain::OrgId::new()),
        };
        let echo = serde_urlencoded::to_string([
            ("mode", get("mode")),
            ("price", get("line_items[0][price]")),
            ("org", get("subscription_data[metadata][organisationId]")),
            ("success", get("success_url")),
            ("payment", get("metadata[paymentId]")),
            (
                "intent_payment",
                get("payment_intent_data[metadata][paymentId]"),
            ),
            ("amount", get("line_items[0][price_data][unit_amount]")),
            ("currency", get("line_items[0][price_data][currency]")),
            ("email", get("customer_email")),
        ])
        .unwrap();
        let url = format!("https://checkout.stand-in.test/{id}?{echo}");
        axum::Json(serde_json::json!({"id": id, "object": "checkout.session", "url": url}))
            .into_response()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/v1/checkout/sessions", axum::routing::post(session));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    config.stripe.secret_key = Some("sk_test_standin".into());
    config.stripe.api_base = format!("http://{addr}");
    config
}

/// What the stand-in was sent, read back from a session's URL: `name` of `mode`, `price`, `org`,
/// `success`, `payment`, `intent_payment`, `amount`, `currency`, `email`.
pub fn sent(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}
