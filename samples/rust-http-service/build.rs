use std::process::Command;

// Embed `git describe` in the binary so /version can report what is deployed.
fn main() {
    let version = Command::new("git")
        .args(["describe", "--tags", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| std::env::var("CARGO_PKG_VERSION").unwrap());
    println!("cargo:rustc-env=FLAGD_GIT_VERSION={version}");
    println!("cargo:rerun-if-changed=.git/HEAD");
}
