//! The success envelope: `{"success":true,"data":…}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `{"success": true, "data": …}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
}

/// A 200 answer in the envelope.
pub struct Success<T>(pub T);

/// A 201 answer in the envelope.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        axum::Json(Envelope {
            success: true,
            data: self.0,
        })
        .into_response()
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (
            StatusCode::CREATED,
            axum::Json(Envelope {
                success: true,
                data: self.0,
            }),
        )
            .into_response()
    }
}
