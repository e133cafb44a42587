//! The command line: `lintel serve | migrate | admin … | demo | openapi`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lintel_domain::{Plan, Role};

/// Lintel: self-hosted, API-first property management in one binary.
///
/// Settings come from built-in defaults, then `lintel.toml`, then `LINTEL_*` environment
/// variables (nested keys with `__`, e.g. `LINTEL_RATE_LIMITS__GENERAL=200`).
#[derive(Debug, Parser)]
#[command(name = "lintel", version, about, long_about)]
pub struct Cli {
    /// Configuration file [default: `lintel.toml` in the working directory, if it exists].
    #[arg(long, global = true, value_name = "PATH", env = "LINTEL_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Platform administration: organisations, plans, API keys.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Create (once) a demo organisation with a realistic portfolio, and print its credentials.
    Demo(DemoArgs),
    /// Print the OpenAPI document to standard output.
    Openapi,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo users' password [default: a new random one on every run]. Every run sets it,
    /// so the printed login always works.
    #[arg(long)]
    pub password: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [config `bind`, env `LINTEL_BIND`, default 127.0.0.1:8080].
    #[arg(long, value_name = "HOST:PORT")]
    pub bind: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an organisation and its first admin user; prints both IDs.
    CreateOrg(CreateOrgArgs),
    /// Move an organisation to another plan.
    SetPlan(SetPlanArgs),
    /// Create an API key for an organisation; prints the secret once.
    CreateApiKey(CreateApiKeyArgs),
}

#[derive(Debug, Args)]
pub struct CreateOrgArgs {
    /// The organisation's name.
    #[arg(long)]
    pub name: String,
    /// The plan: free, pro or business.
    #[arg(long, default_value = "free", value_parser = parse_plan)]
    pub plan: Plan,
    /// The admin user's e-mail address (their login).
    #[arg(long)]
    pub admin_email: String,
    /// The admin user's password (at least 10 characters).
    #[arg(long, env = "LINTEL_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// The admin user's display name.
    #[arg(long, default_value = "Administrator")]
    pub admin_name: String,
}

#[derive(Debug, Args)]
pub struct SetPlanArgs {
    /// Organisation ID (`org_…`).
    #[arg(long)]
    pub org: String,
    /// The new plan: free, pro or business.
    #[arg(long, value_parser = parse_plan)]
    pub plan: Plan,
}

#[derive(Debug, Args)]
pub struct CreateApiKeyArgs {
    /// Organisation ID (`org_…`).
    #[arg(long)]
    pub org: String,
    /// The key's role: tenant, broker, property_manager, landlord or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// A name to recognise the key by.
    #[arg(long)]
    pub name: String,
}

fn parse_plan(s: &str) -> Result<Plan, String> {
    s.trim().to_ascii_lowercase().parse()
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.trim().to_ascii_lowercase().parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plans_and_roles_parse_case_insensitively() {
        let cli = Cli::try_parse_from([
            "lintel", "admin", "set-plan", "--org", "org_x", "--plan", "BUSINESS",
        ])
        .unwrap();
        match cli.command {
            Command::Admin(AdminCommand::SetPlan(a)) => assert_eq!(a.plan, Plan::Business),
            other => panic!("unexpected {other:?}"),
        }
        let err = Cli::try_parse_from([
            "lintel", "admin", "set-plan", "--org", "org_x", "--plan", "gold",
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("free, pro, business"), "{err}");
    }
}
