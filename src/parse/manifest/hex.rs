//! mix.exs dependency tuples and mix.lock entries (Hex).
//!
//! mix.exs is Elixir code; its `deps` are tuples in one regular shape,
//! `{:name, "~> 1.0", only: [:dev, :test], runtime: false}`, possibly over
//! several lines, so a bounded regex over the whole text reads them. `only:`
//! without `:prod` keeps a dependency out of the release, `runtime: false`
//! makes it build tooling, `optional: true` leaves it to whoever depends on
//! this project.
//!
//! mix.lock lists each package's own dependencies but no environments: its
//! entries carry their edges and `analyze::scopes` takes the roots from the
//! mix.exs files the lock serves (an umbrella's apps included).

use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, LockEntry, Scope};
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

/// A dependency inside a lock entry: `{:name, "req", [hex: :pkg, repo:
/// "hexpm", optional: false]}`.
static LOCK_DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{:([A-Za-z0-9_]+),\s*"[^"]*",\s*\[([^\]]{0,300})\]\}"#).expect("static regex")
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
    sink.runtime(Ecosystem::Hex);
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
        let line = sink.line_of(whole.start());
        sink.dep(
            Dep::new(Ecosystem::Hex, name.as_str())
                .version(version)
                .scope(tuple_scope(opts)),
            line,
        );
    }
}

/// `only: :test` -> test, `only: :dev` or `only: [:dev, :test]` -> dev;
/// `runtime: false` alone -> build tooling (esbuild, tailwind);
/// `optional: true` -> optional; anything naming :prod ships.
fn tuple_scope(opts: &str) -> Scope {
    if let Some(after) = opts.split("only:").nth(1) {
        let value = after.trim_start();
        let value = if let Some(list) = value.strip_prefix('[') {
            list.split(']').next().unwrap_or("")
        } else {
            value.split([',', ' ', '\n']).next().unwrap_or("")
        };
        if !value.contains(":prod") {
            if value.contains(":dev") {
                return Scope::Dev;
            }
            if value.contains(":test") {
                return Scope::Test;
            }
        }
    }
    if opts.contains("runtime: false") {
        return Scope::Build;
    }
    if opts.contains("optional: true") {
        return Scope::Optional;
    }
    Scope::Runtime
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
        // Hex entries name the package (which may differ from the app name);
        // the graph speaks of apps.
        let app = &c[1];
        let name = c.get(3).map_or(app, |m| m.as_str());
        let version = if &c[2] == "hex" {
            c.get(4).map(|m| m.as_str())
        } else {
            None
        };
        let mut requires = Vec::new();
        let mut optional = Vec::new();
        for d in LOCK_DEP.captures_iter(line) {
            let list = if d[2].contains("optional: true") {
                &mut optional
            } else {
                &mut requires
            };
            list.push(d[1].to_string());
        }
        let entry = LockEntry {
            key: app.to_string(),
            requires,
            optional,
            direct: false,
        };
        sink.dep(
            Dep::new(Ecosystem::Hex, name).version(version).lock(entry),
            line_no,
        );
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
      {:esbuild, "~> 0.8", runtime: Mix.env() == :dev},
      {:phoenix_live_reload, "~> 1.2", only: :dev},
      {:castore, "~> 1.0", optional: true}
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
                ("credo", 12, Context::Dev),
                ("ex_machina", 13, Context::Test),
                ("muontrap", 15, Context::Service),
                ("esbuild", 16, Context::Service),
                ("phoenix_live_reload", 17, Context::Dev),
                ("castore", 18, Context::Optional),
            ]
        );
        assert_eq!(rows[0].1.as_deref(), Some("~> 1.7.12"));
        assert_eq!(runtimes(&out), vec![("hex".to_string(), 10)]);
        no_panic(ManifestKind::MixExs, MIX);
        let unclosed = "{:a, ".repeat(100_000);
        let _ = parse(ManifestKind::MixExs, "mix.exs", &unclosed, Context::Service);
    }

    #[test]
    fn mix_lock_entries() {
        let lock = r#"%{
  "phoenix": {:hex, :phoenix, "1.7.12", "1cc589e0eab99f593a8aa38ec45f15d25297dd6187ee801c8de8947090b5a9d3", [:mix], [{:castore, ">= 0.0.0", [hex: :castore, repo: "hexpm", optional: true]}, {:jason, "~> 1.0", [hex: :jason, repo: "hexpm", optional: false]}], "hexpm", "x"},
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
        let entry = |n: &str| match &find(&out, n).kind {
            crate::model::fact::FactKind::Dependency(d) => d.lock.clone().expect("lock entry"),
            _ => unreachable!(),
        };
        assert_eq!(entry("phoenix").requires, ["jason"]);
        assert_eq!(entry("phoenix").optional, ["castore"]);
        assert_eq!(entry("elixir_ls").key, "my_elixir_ls");
        assert!(runtimes(&out).is_empty());
        no_panic(ManifestKind::MixLock, lock);
    }
}
