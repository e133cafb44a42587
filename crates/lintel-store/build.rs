//! Finds the migrations: every `migrations/NNNN_name.sql`, in version order, embedded in the
//! binary through a generated list (`$OUT_DIR/migrations.rs`). A new migration is a new file;
//! nothing else lists it.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut found: Vec<(i64, String, String)> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the migrations folder") {
        let path = entry.expect("a migrations entry").path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let (number, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("migration {file}: name it NNNN_what_it_does.sql"));
        let version: i64 = number
            .parse()
            .unwrap_or_else(|_| panic!("migration {file}: {number} is not a version number"));
        assert!(
            version > 0 && !name.is_empty(),
            "migration {file}: name it NNNN_what_it_does.sql"
        );
        found.push((version, name.to_string(), path.display().to_string()));
    }
    found.sort();
    for pair in found.windows(2) {
        assert!(
            pair[0].0 != pair[1].0,
            "two migrations have version {}: {} and {}",
            pair[0].0,
            pair[0].1,
            pair[1].1
        );
    }
    let mut out =
        String::from("/// Every migration file, in version order: (version, name, SQL).\n");
    out.push_str("pub(crate) const FOUND: &[(i64, &str, &str)] = &[\n");
    for (version, name, path) in &found {
        writeln!(out, "    ({version}, {name:?}, include_str!({path:?})),").unwrap();
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("migrations.rs");
    std::fs::write(target, out).expect("write the migration list");
}
