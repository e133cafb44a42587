//! The measuring scripts answer `--help` (and `-h`) at once: usage on stdout, exit 0, and
//! nothing built, installed or started for it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn help_builds_and_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A `cargo` that only records that it was called.
    let marker = dir.path().join("cargo-was-called");
    let fake = dir.path().join("cargo");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    for script in [
        "fuzz-api",
        "overload",
        "crash-test",
        "bench",
        "login-timing",
    ] {
        for flag in ["--help", "-h"] {
            let out = Command::new("bash")
                .arg(repo().join("scripts").join(script))
                .arg(flag)
                .env("PATH", &path)
                .env_remove("LINTEL_BIN")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{script} {flag}: {stdout}{stderr}");
            assert!(
                stdout.contains("scripts/"),
                "{script} {flag}: no usage: {stdout}"
            );
            assert!(
                !stdout.contains("== "),
                "{script} {flag} did work: {stdout}"
            );
            assert!(!marker.exists(), "{script} {flag} ran cargo");
        }
    }
}
