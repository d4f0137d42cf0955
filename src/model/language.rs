//! Source languages wasmfit reads, and how a file name maps to one.
//!
//! Detection is by extension only: content sniffing is reserved for binaries
//! and Wasm (see `discover`), where extensions lie.

use serde::{Deserialize, Serialize};

/// A language whose source files wasmfit lexes and matches rules against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    Go,
    Rust,
    Python,
    #[serde(rename = "javascript")]
    JavaScript,
    #[serde(rename = "typescript")]
    TypeScript,
    Java,
    Kotlin,
    C,
    Cpp,
    #[serde(rename = "csharp")]
    CSharp,
    Elixir,
    Erlang,
    Ruby,
    Php,
    Shell,
}

impl Language {
    pub const ALL: [Language; 15] = [
        Language::Go,
        Language::Rust,
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Java,
        Language::Kotlin,
        Language::C,
        Language::Cpp,
        Language::CSharp,
        Language::Elixir,
        Language::Erlang,
        Language::Ruby,
        Language::Php,
        Language::Shell,
    ];

    /// The name used in rule files and reports (`go`, `javascript`, `cpp`...).
    pub fn id(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Java => "java",
            Language::Kotlin => "kotlin",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::CSharp => "csharp",
            Language::Elixir => "elixir",
            Language::Erlang => "erlang",
            Language::Ruby => "ruby",
            Language::Php => "php",
            Language::Shell => "shell",
        }
    }

    pub fn from_id(id: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.id() == id)
    }

    /// Languages a rule written for `self` also applies to: TypeScript code is
    /// JavaScript code for every pattern wasmfit has, C++ includes C, Kotlin
    /// calls the same JVM APIs as Java.
    pub fn family(self) -> &'static [Language] {
        use Language::*;
        match self {
            JavaScript => &[JavaScript, TypeScript],
            C => &[C, Cpp],
            Java => &[Java, Kotlin],
            Go => &[Go],
            Rust => &[Rust],
            Python => &[Python],
            TypeScript => &[TypeScript],
            Kotlin => &[Kotlin],
            Cpp => &[Cpp],
            CSharp => &[CSharp],
            Elixir => &[Elixir],
            Erlang => &[Erlang],
            Ruby => &[Ruby],
            Php => &[Php],
            Shell => &[Shell],
        }
    }

    /// The language of a source file, from its name.
    pub fn from_file_name(name: &str) -> Option<Language> {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "go" => Language::Go,
            "rs" => Language::Rust,
            "py" | "pyw" | "pyx" | "pxd" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" | "tsx" => Language::TypeScript,
            "java" => Language::Java,
            "kt" | "kts" if !lower.ends_with(".gradle.kts") => Language::Kotlin,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "cu" | "cuh" => Language::Cpp,
            "cs" => Language::CSharp,
            "ex" | "exs" => Language::Elixir,
            "erl" | "hrl" => Language::Erlang,
            "rb" | "rake" | "ru" => Language::Ruby,
            "php" => Language::Php,
            "sh" | "bash" => Language::Shell,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for l in Language::ALL {
            assert_eq!(Language::from_id(l.id()), Some(l));
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.id()));
        }
    }

    #[test]
    fn extensions() {
        assert_eq!(Language::from_file_name("main.go"), Some(Language::Go));
        assert_eq!(Language::from_file_name("kernel.cu"), Some(Language::Cpp));
        assert_eq!(Language::from_file_name("build.gradle.kts"), None);
        assert_eq!(Language::from_file_name("Makefile"), None);
        assert_eq!(Language::from_file_name("App.KT"), Some(Language::Kotlin));
    }
}
