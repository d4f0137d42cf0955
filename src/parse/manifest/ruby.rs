//! Gemfile and Gemfile.lock (RubyGems).
//!
//! A Gemfile is Ruby, but `gem "name", "~> 1.0", group: :test` lines inside
//! `group :development, :test do ... end` blocks are regular enough for a
//! line reader that tracks `do`/`end` nesting.

use super::{Dep, Role, Sink};
use crate::model::fact::Ecosystem;
use regex::Regex;
use std::sync::LazyLock;

/// `gem "name"` followed by the rest of the argument list.
static GEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*gem\s*\(?\s*["']([^"']+)["']\s*(.*)$"#).expect("static regex")
});

/// A quoted string argument.
static STRING_ARG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["']([^"']*)["']"#).expect("static regex"));

/// Keywords that open a block closed by `end` when they start a line.
const BLOCK_OPENERS: [&str; 8] = [
    "if ", "unless ", "case ", "begin", "while ", "until ", "def ", "for ",
];

pub(crate) fn gemfile(sink: &mut Sink) {
    sink.runtime("ruby");
    let text = sink.text;
    // One entry per open block: Some(dev?) for `group ... do`, None otherwise.
    let mut blocks: Vec<Option<bool>> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line == "end" || line.starts_with("end ") || line.starts_with("end.") {
            blocks.pop();
            continue;
        }
        if let Some(rest) = line.strip_prefix("group") {
            if rest.starts_with([' ', '(']) && opens_block(line) {
                blocks.push(Some(groups_are_dev(rest)));
                continue;
            }
        }
        if let Some(c) = GEM.captures(line) {
            let name = &c[1];
            let rest = &c[2];
            // Version constraints are the leading string arguments, before
            // any `key: value` option.
            let positional = rest.split(':').next().unwrap_or("");
            let versions: Vec<&str> = STRING_ARG
                .captures_iter(positional)
                .filter_map(|v| v.get(1).map(|m| m.as_str()))
                .filter(|v| v.starts_with(|ch: char| ch.is_ascii_digit() || "~>=<!".contains(ch)))
                .collect();
            let version = (!versions.is_empty()).then(|| versions.join(", "));
            let in_dev_group = blocks.contains(&Some(true));
            let inline_dev = option_groups(rest).is_some_and(|g| groups_are_dev(&g));
            let role = if in_dev_group || inline_dev {
                Role::Dev
            } else {
                Role::Normal
            };
            sink.dep(
                Dep::new(Ecosystem::Rubygems, name)
                    .version(version)
                    .role(role),
                line_no,
            );
            if opens_block(line) {
                blocks.push(None);
            }
            continue;
        }
        if opens_block(line) || BLOCK_OPENERS.iter().any(|k| line.starts_with(k)) {
            blocks.push(None);
        }
    }
}

/// Whether a line opens a `do ... end` block (`do` or `do |x|` at the end).
fn opens_block(line: &str) -> bool {
    let mut line = line.trim_end();
    if let Some(head) = line.strip_suffix('|') {
        if let Some(start) = head.rfind('|') {
            line = head[..start].trim_end();
        }
    }
    line == "do" || line.ends_with(" do") || line.ends_with(")do")
}

/// `:development, :test` -> all development-only?
fn groups_are_dev(list: &str) -> bool {
    let groups: Vec<&str> = list
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter_map(|w| w.strip_prefix(':'))
        .filter(|w| !w.is_empty())
        .collect();
    !groups.is_empty()
        && groups.iter().all(|g| {
            matches!(
                *g,
                "development" | "test" | "dev" | "ci" | "lint" | "rubocop"
            )
        })
}

/// The value of a `group:` / `groups:` option, when present.
fn option_groups(rest: &str) -> Option<String> {
    let at = rest.find("group:").or_else(|| rest.find("groups:"))?;
    let after = &rest[at..];
    let after = after.split_once(':').map_or("", |(_, v)| v).trim_start();
    let value = if let Some(list) = after.strip_prefix('[') {
        list.split(']').next().unwrap_or("")
    } else {
        after.split(',').next().unwrap_or("")
    };
    Some(value.to_string())
}

fn strip_comment(line: &str) -> &str {
    // `#` inside a string (`"a#b"`) is rare in Gemfiles; `#{}` interpolation
    // only appears in strings, so a `#` preceded by `"` is kept.
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'#') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Gemfile.lock: the `specs:` of the GEM and GIT sections list every gem
/// resolved, four spaces in, as `name (version[-platform])`. PATH specs are
/// the project's own gems.
pub(crate) fn gemfile_lock(sink: &mut Sink) {
    let text = sink.text;
    let mut section = "";
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        if !line.starts_with(' ') {
            section = line.trim();
            continue;
        }
        if !matches!(section, "GEM" | "GIT") {
            continue;
        }
        // Exactly four spaces: six are the gem's own dependencies.
        let Some(spec) = line.strip_prefix("    ") else {
            continue;
        };
        if spec.starts_with(' ') {
            continue;
        }
        let (name, version) = match spec.split_once(" (") {
            Some((n, v)) => (n, Some(v.trim_end_matches(')'))),
            None => (spec.trim(), None),
        };
        sink.dep(
            Dep::new(Ecosystem::Rubygems, name.trim()).version(version),
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

    const GEMFILE: &str = r#"source "https://rubygems.org"
ruby "3.3.0"

gem "rails", "~> 7.1.3"
gem 'pg', '>= 0.18', '< 2.0'
gem "mini_magick" # shells out to ImageMagick
gem "bootsnap", require: false
gem "debug", platforms: %i[ mri windows ], group: :development

group :development, :test do
  gem "rspec-rails"
  if ENV["CI"]
    gem "simplecov"
  end
end

group :production do
  gem "puma"
end

platforms :jruby do
  gem "jdbc-postgres"
end
gem "sidekiq", groups: [:default, :test]
"#;

    #[test]
    fn gemfile_groups() {
        let out = parse(ManifestKind::Gemfile, "Gemfile", GEMFILE, Context::Service);
        let rows = deps(&out);
        let got: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4, r.3)).collect();
        assert_eq!(
            got,
            [
                ("rails", 4, Context::Service),
                ("pg", 5, Context::Service),
                ("mini_magick", 6, Context::Service),
                ("bootsnap", 7, Context::Service),
                ("debug", 8, Context::Test),
                ("rspec-rails", 11, Context::Test),
                ("simplecov", 13, Context::Test),
                ("puma", 18, Context::Service),
                ("jdbc-postgres", 22, Context::Service),
                ("sidekiq", 24, Context::Service),
            ]
        );
        assert_eq!(rows[1].1.as_deref(), Some(">= 0.18, < 2.0"));
        assert_eq!(runtimes(&out), vec![("ruby".to_string(), 10)]);
        no_panic(ManifestKind::Gemfile, GEMFILE);
    }

    #[test]
    fn gemfile_lock_specs() {
        let lock = "GIT
  remote: https://github.com/x/y.git
  revision: abc
  specs:
    y (0.1.0)

PATH
  remote: .
  specs:
    myapp (1.0.0)

GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.16.5-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.3)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  nokogiri
";
        let out = parse(
            ManifestKind::GemfileLock,
            "Gemfile.lock",
            lock,
            Context::Service,
        );
        let rows = deps(&out);
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.0.as_str(), r.1.as_deref(), r.4))
            .collect();
        assert_eq!(
            got,
            [
                ("y", Some("0.1.0"), 5),
                ("nokogiri", Some("1.16.5-x86_64-linux"), 15),
                ("racc", Some("1.7.3"), 17)
            ]
        );
        assert!(runtimes(&out).is_empty());
        no_panic(ManifestKind::GemfileLock, lock);
    }
}
