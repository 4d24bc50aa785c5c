//! Rebuilds the binary when a migration is added or changed: `embed_migrations!` reads the
//! migration folders at compile time, and without this Cargo does not see a new folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
