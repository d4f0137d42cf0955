//! mix.exs dependency tuples and mix.lock entries (Hex).
//!
//! mix.exs is Elixir code; its `deps` are tuples in one regular shape,
//! `{:name, "~> 1.0", only: [:dev, :test], runtime: false}`, possibly over
//! several lines, so a bounded regex over the whole text reads them.

use super::{Dep, Role, Sink};
use crate::model::fact::Ecosystem;
use regex::Regex;
use std::sync::LazyLock;

/// `{:atom, "requirement"?, opts...}`. The option part is bounded so a file
/// of unclosed `{:x,` cannot make the scan quadratic.
static DEP_TUPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{\s*:([a-z_][A-Za-z0-9_]*)\s*,\s*(?:"([^"\n]*)"\s*,?)?([^{}]{0,400})\}"#)
        .expect("static regex")
});

/// `"name": {:hex, :package, "1.2.3", ...}` or `{:git, "url", "sha", ...}`.
static LOCK_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*"([^"]+)"\s*:\s*\{\s*:(hex|git|path)\s*,\s*(?::([A-Za-z0-9_]+)\s*,\s*"([^"]*)")?"#,
    )
    .expect("static regex")
});

/// Option keys that only appear in a dependency tuple: they tell a dep tuple
/// from any other `{:ok, "x"}` in the file.
const DEP_OPTIONS: [&str; 12] = [
    "only:",
    "runtime:",
    "git:",
    "github:",
    "path:",
    "override:",
    "optional:",
    "app:",
    "env:",
    "hex:",
    "organization:",
    "targets:",
];

pub(crate) fn mix_exs(sink: &mut Sink) {
    sink.runtime("beam");
    let text = sink.text;
    for c in DEP_TUPLE.captures_iter(text) {
        let (Some(whole), Some(name)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let version = c.get(2).map(|m| m.as_str());
        let opts = c.get(3).map_or("", |m| m.as_str());
        if version.is_none() && !DEP_OPTIONS.iter().any(|o| opts.contains(o)) {
            continue;
        }
        if matches!(name.as_str(), "ok" | "error" | "noreply" | "reply") {
            continue;
        }
        let role = tuple_role(opts);
        let line = sink.line_of(whole.start());
        sink.dep(
            Dep::new(Ecosystem::Hex, name.as_str())
                .version(version)
                .role(role),
            line,
        );
    }
}

/// `only: :test`, `only: [:dev, :test]` -> dev; `runtime: false` alone ->
/// build tooling (esbuild, tailwind); anything naming :prod ships.
fn tuple_role(opts: &str) -> Role {
    if let Some(after) = opts.split("only:").nth(1) {
        let value = after.trim_start();
        let value = if let Some(list) = value.strip_prefix('[') {
            list.split(']').next().unwrap_or("")
        } else {
            value.split([',', ' ', '\n']).next().unwrap_or("")
        };
        if !value.contains(":prod") && (value.contains(":dev") || value.contains(":test")) {
            return Role::Dev;
        }
    }
    if opts.contains("runtime: false") {
        return Role::Build;
    }
    Role::Normal
}

pub(crate) fn mix_lock(sink: &mut Sink) {
    let text = sink.text;
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let Some(c) = LOCK_ENTRY.captures(line) else {
            continue;
        };
        if &c[2] == "path" {
            continue;
        }
        // Hex entries name the package (which may differ from the app name).
        let name = c.get(3).map_or(&c[1], |m| m.as_str());
        let version = if &c[2] == "hex" {
            c.get(4).map(|m| m.as_str())
        } else {
            None
        };
        sink.dep(Dep::new(Ecosystem::Hex, name).version(version), line_no);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

    const MIX: &str = r#"defmodule Chat.MixProject do
  use Mix.Project

  def project do
    [app: :chat, version: "0.1.0", elixir: "~> 1.15", deps: deps()]
  end

  defp deps do
    [
      {:phoenix, "~> 1.7.12"},
      {:rustler, "~> 0.32", runtime: false},
      {:credo, "~> 1.7", only: [:dev, :test], runtime: false},
      {:ex_machina, "~> 2.7",
       only: :test},
      {:muontrap, github: "fhunleth/muontrap"},
      {:esbuild, "~> 0.8", runtime: Mix.env() == :dev}
    ]
  end

  defp aliases, do: [setup: fn _ -> {:ok, "done"} end]
end
"#;

    #[test]
    fn mix_deps() {
        let out = parse(ManifestKind::MixExs, "mix.exs", MIX, Context::Service);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4, r.3)).collect();
        assert_eq!(
            names,
            [
                ("phoenix", 10, Context::Service),
                ("rustler", 11, Context::Build),
                ("credo", 12, Context::Test),
                ("ex_machina", 13, Context::Test),
                ("muontrap", 15, Context::Service),
                ("esbuild", 16, Context::Service),
            ]
        );
        assert_eq!(rows[0].1.as_deref(), Some("~> 1.7.12"));
        assert_eq!(runtimes(&out), vec![("beam".to_string(), 10)]);
        no_panic(ManifestKind::MixExs, MIX);
        let unclosed = "{:a, ".repeat(100_000);
        let _ = parse(ManifestKind::MixExs, "mix.exs", &unclosed, Context::Service);
    }

    #[test]
    fn mix_lock_entries() {
        let lock = r#"%{
  "phoenix": {:hex, :phoenix, "1.7.12", "1cc589e0eab99f593a8aa38ec45f15d25297dd6187ee801c8de8947090b5a9d3", [:mix], [], "hexpm", "x"},
  "my_elixir_ls": {:hex, :elixir_ls, "0.1.0", "abc", [:mix], [], "hexpm", "y"},
  "muontrap": {:git, "https://github.com/fhunleth/muontrap.git", "a1b2", []},
}
"#;
        let out = parse(ManifestKind::MixLock, "mix.lock", lock, Context::Service);
        let rows = deps(&out);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            (
                "phoenix".into(),
                Some("1.7.12".into()),
                false,
                Context::Service,
                2
            )
        );
        assert_eq!(rows[1].0, "elixir_ls");
        assert_eq!(rows[2].0, "muontrap");
        assert!(runtimes(&out).is_empty());
        no_panic(ManifestKind::MixLock, lock);
    }
}
