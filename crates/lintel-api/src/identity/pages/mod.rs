//! Server-rendered pages: sign-in (`/login`), the account page (`/account`) and invitation links
//! (`/invite/{token}`).

mod account;
mod html;
mod invite;
mod login;

use crate::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(login::routes())
        .merge(account::routes())
        .merge(invite::routes())
}
