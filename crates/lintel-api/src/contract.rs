//! The contract from the types: an operation's OpenAPI `security`, `x-required-role`,
//! `x-required-plan` and `operationId` are derived from its handler, never written beside it.
//!
//! A protected handler takes its guard ([`Auth<R, G>`] or [`SessionAuth<R>`]) as its first
//! argument; [`endpoints!`] registers handlers like `utoipa_axum::routes!` and then documents each
//! operation from that guard's type. A handler listed there without a guard does not compile;
//! public handlers (sign-in, registration, health) are registered with [`public!`], which marks
//! them `x-public` and gives them no `security`. The OpenAPI test requires `security` on every
//! operation but a listed few, and the role sweep compares `x-public` with its own list.

use utoipa::openapi::path::{HttpMethod, Operation, Paths};
use utoipa::openapi::security::SecurityRequirement;

use crate::auth::{Auth, MinRole, PlanGate, SessionAuth};
use lintel_domain::{Feature, Plan, Role};

/// The security scheme of API keys (`Authorization: Bearer`).
pub const BEARER: &str = "bearerAuth";
/// The security scheme of browser sessions (cookie + CSRF header on writes).
pub const SESSION: &str = "sessionCookie";

/// What a guard extractor demands of the caller.
pub trait Guard {
    /// The accepted security schemes, any one of them.
    const SCHEMES: &'static [&'static str];
    /// The minimum role.
    const ROLE: Role;
    /// The plan feature the operation needs, if any.
    const FEATURE: Option<Feature>;
}

impl<R: MinRole, G: PlanGate> Guard for Auth<R, G> {
    const SCHEMES: &'static [&'static str] = &[BEARER, SESSION];
    const ROLE: Role = R::ROLE;
    const FEATURE: Option<Feature> = G::FEATURE;
}

impl<R: MinRole> Guard for SessionAuth<R> {
    const SCHEMES: &'static [&'static str] = &[SESSION];
    const ROLE: Role = R::ROLE;
    const FEATURE: Option<Feature> = None;
}

/// A handler whose first argument is a [`Guard`]; `M` is the argument list, as in axum's
/// `Handler<T, S>`, so that the guard's type can be named from the function's.
pub trait Guarded<M> {
    type Guard: Guard;
}

macro_rules! guarded {
    ($($arg:ident),*) => {
        impl<F, Fut, A: Guard, $($arg,)*> Guarded<(A, $($arg,)*)> for F
        where
            F: FnOnce(A, $($arg,)*) -> Fut,
        {
            type Guard = A;
        }
    };
}

guarded!();
guarded!(T1);
guarded!(T1, T2);
guarded!(T1, T2, T3);
guarded!(T1, T2, T3, T4);
guarded!(T1, T2, T3, T4, T5);
guarded!(T1, T2, T3, T4, T5, T6);
guarded!(T1, T2, T3, T4, T5, T6, T7);

/// Writes the guard's demands into an operation.
pub fn describe<G: Guard>(op: &mut Operation) {
    op.security = Some(
        G::SCHEMES
            .iter()
            .map(|s| SecurityRequirement::new(*s, Vec::<String>::new()))
            .collect(),
    );
    let ext = op.extensions.get_or_insert_with(Default::default);
    ext.insert("x-required-role".into(), G::ROLE.as_str().into());
    if let Some(feature) = G::FEATURE {
        let plan: &str = Plan::lowest_with(feature).as_str();
        ext.insert("x-required-plan".into(), plan.into());
    }
}

/// The operation of `paths` at `path` and `method`.
fn operation<'a>(
    paths: &'a mut Paths,
    path: &str,
    method: &HttpMethod,
) -> Option<&'a mut Operation> {
    let item = paths.paths.get_mut(path)?;
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        HttpMethod::Options => item.options.as_mut(),
        HttpMethod::Head => item.head.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Trace => item.trace.as_mut(),
    }
}

/// A unique `operationId`: the resource module's name and the handler's (`properties_list`).
/// OpenAPI requires operation IDs to be unique; generated clients name their functions by them.
pub fn operation_id(module: &str, handler: &str) -> String {
    let resource = module.rsplit("::").next().unwrap_or(module);
    format!("{resource}_{handler}")
}

/// Names every operation of one handler (`P` is its utoipa path type); a handler that serves
/// several methods gets one ID per method (`auth_signout_get`, `auth_signout_post`).
pub fn name<P: utoipa::Path>(paths: &mut Paths, _: &P, module: &str, handler: &str) {
    let methods = P::methods();
    let several = methods.len() > 1;
    for method in methods {
        let id = match several {
            true => format!("{}_{}", operation_id(module, handler), method_name(&method)),
            false => operation_id(module, handler),
        };
        if let Some(op) = operation(paths, &P::path(), &method) {
            op.operation_id = Some(id);
        }
    }
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
        HttpMethod::Options => "options",
        HttpMethod::Head => "head",
        HttpMethod::Patch => "patch",
        HttpMethod::Trace => "trace",
    }
}

/// Marks every operation of one public handler `x-public: true` (no credentials needed).
pub fn open<P: utoipa::Path>(paths: &mut Paths, _: &P) {
    for method in P::methods() {
        if let Some(op) = operation(paths, &P::path(), &method) {
            let ext = op.extensions.get_or_insert_with(Default::default);
            ext.insert("x-public".into(), true.into());
        }
    }
}

/// Documents every operation of one guarded handler from its guard.
pub fn guard<M, H: Guarded<M>, P: utoipa::Path>(paths: &mut Paths, _: &H, _: &P) {
    for method in P::methods() {
        if let Some(op) = operation(paths, &P::path(), &method) {
            describe::<H::Guard>(op);
        }
    }
}

/// `utoipa_axum::routes!` for guarded handlers (one path, any methods): registers them and
/// derives each operation's `security`, `x-required-role`, `x-required-plan` and `operationId`.
macro_rules! endpoints {
    ($($handler:ident),+ $(,)?) => {{
        #[allow(unused_mut)]
        let mut routes = utoipa_axum::routes!($($handler),+);
        $(utoipa_axum::paste! {
            $crate::contract::guard(&mut routes.1, &$handler, &[<__path_ $handler>]);
            $crate::contract::name(&mut routes.1, &[<__path_ $handler>], module_path!(), stringify!($handler));
        })+
        routes
    }};
}

/// `utoipa_axum::routes!` for public handlers: no guard, no `security`, `x-public: true`; names
/// the operations.
macro_rules! public {
    ($($handler:ident),+ $(,)?) => {{
        #[allow(unused_mut)]
        let mut routes = utoipa_axum::routes!($($handler),+);
        $(utoipa_axum::paste! {
            $crate::contract::open(&mut routes.1, &[<__path_ $handler>]);
            $crate::contract::name(&mut routes.1, &[<__path_ $handler>], module_path!(), stringify!($handler));
        })+
        routes
    }};
}

pub(crate) use endpoints;
pub(crate) use public;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AdminOnly, ApiAccessPlan, ManagerUp};

    #[test]
    fn the_guard_names_schemes_role_and_plan() {
        let mut op = Operation::default();
        describe::<Auth<AdminOnly, ApiAccessPlan>>(&mut op);
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["x-required-role"], "admin");
        assert_eq!(json["x-required-plan"], Plan::Business.as_str());
        assert_eq!(json["security"].as_array().unwrap().len(), 2);

        let mut op = Operation::default();
        describe::<SessionAuth<ManagerUp>>(&mut op);
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["x-required-role"], "property_manager");
        assert!(json.get("x-required-plan").is_none());
        assert_eq!(
            json["security"],
            serde_json::json!([{ "sessionCookie": [] }])
        );
    }

    #[test]
    fn operation_ids_name_the_resource() {
        assert_eq!(
            operation_id("lintel_api::portfolio::properties", "list"),
            "properties_list"
        );
    }
}
