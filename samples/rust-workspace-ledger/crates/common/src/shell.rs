use std::process::Command;

/// The user's shell, for the client's completions: asks `$SHELL` itself.
#[derive(Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Other(String),
}

impl Shell {
    pub fn current() -> Shell {
        let bin = std::env::var("SHELL").unwrap_or_else(|_| "sh".into());
        let out = Command::new(&bin).arg("-c").arg("echo $0").output();
        let name = out
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or(bin);
        match name.rsplit('/').next().unwrap_or("") {
            "bash" => Shell::Bash,
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            other => Shell::Other(other.to_string()),
        }
    }
}
