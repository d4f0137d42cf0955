//! Gemfile and Gemfile.lock (RubyGems).
//!
//! A Gemfile is Ruby, but `gem "name", "~> 1.0", group: :test` lines inside
//! `group :development, :test do ... end` blocks are regular enough for a
//! line reader that tracks `do`/`end` nesting. A gem only in development or
//! test groups does not ship; one only for Windows platforms never runs in a
//! Linux service.
//!
//! Gemfile.lock knows no groups: its entries carry their edges (the specs
//! tree) and `analyze::scopes` takes the groups from the Gemfile.

use super::{group_scope, Dep, Sink};
use crate::model::fact::{Ecosystem, LockEntry, Scope};
use regex::Regex;
use std::collections::HashSet;
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

/// Bundler platform names for Windows.
const WINDOWS_PLATFORMS: [&str; 6] = [
    "mingw",
    "mswin",
    "mswin64",
    "x64_mingw",
    "windows",
    "mingw_",
];

pub(crate) fn gemfile(sink: &mut Sink) {
    sink.runtime(Ecosystem::Rubygems);
    let text = sink.text;
    // One entry per open block: the scope a `group` or `platforms` block
    // gives its gems, None for any other block (or a shipping group).
    let mut blocks: Vec<Option<Scope>> = Vec::new();
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
                blocks.push(groups_scope(rest));
                continue;
            }
        }
        if let Some(rest) = line.strip_prefix("platforms") {
            if rest.starts_with([' ', '(']) && opens_block(line) {
                blocks.push(platforms_scope(rest));
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
            // The gem's own options, then the innermost enclosing block
            // that says something.
            let scope = option_value(rest, &["group:", "groups:"])
                .and_then(|g| groups_scope(&g))
                .or_else(|| {
                    option_value(rest, &["platforms:", "platform:"])
                        .and_then(|p| platforms_scope(&p))
                })
                .or_else(|| blocks.iter().rev().find_map(|b| *b))
                .unwrap_or(Scope::Runtime);
            sink.dep(
                Dep::new(Ecosystem::Rubygems, name)
                    .version(version)
                    .scope(scope),
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

/// The symbols or strings of a list: `:development, :test do`,
/// `[:default, :test]`, `%i[ mri windows ]`, `"test"`.
fn names(list: &str) -> Vec<&str> {
    let list = list.trim();
    if let Some(words) = list
        .strip_prefix("%i[")
        .or_else(|| list.strip_prefix("%w["))
    {
        return words
            .split(']')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
    }
    let bytes = list.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b':' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                if end > start {
                    out.push(&list[start..end]);
                }
                i = end.max(i + 1);
            }
            q @ (b'"' | b'\'') => {
                let start = i + 1;
                let end = list[start..]
                    .find(q as char)
                    .map_or(list.len(), |e| start + e);
                out.push(&list[start..end]);
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// A group list's scope: set aside only when every group is a development
/// or test group (`:development, :test` is dev); None when it ships.
fn groups_scope(list: &str) -> Option<Scope> {
    let scopes: Vec<Option<Scope>> = names(list)
        .into_iter()
        .map(|g| {
            if g == "rubocop" {
                Some(Scope::Dev)
            } else {
                group_scope(g)
            }
        })
        .collect();
    if scopes.is_empty() || scopes.contains(&None) {
        return None;
    }
    scopes.into_iter().flatten().min()
}

/// Windows-only platforms never run in a Linux service.
fn platforms_scope(list: &str) -> Option<Scope> {
    let platforms = names(list);
    (!platforms.is_empty()
        && platforms
            .iter()
            .all(|p| WINDOWS_PLATFORMS.iter().any(|w| p.starts_with(w))))
    .then_some(Scope::OtherPlatform)
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

/// The value of the first of `keys` given as an option (`group: :test`,
/// `groups: [:default, :test]`).
fn option_value(rest: &str, keys: &[&str]) -> Option<String> {
    let at = keys.iter().find_map(|k| {
        rest.match_indices(k)
            .find(|(i, _)| *i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric())
            .map(|(i, _)| i)
    })?;
    let after = &rest[at..];
    let after = after.split_once(':').map_or("", |(_, v)| v).trim_start();
    // A bracketed list up to its `]` (kept, `names` reads `%i[..]`), or one
    // value up to the next option.
    let value = match after.find(']') {
        Some(end)
            if after.starts_with('[') || after.starts_with("%i[") || after.starts_with("%w[") =>
        {
            &after[..=end]
        }
        _ => after.split(',').next().unwrap_or(""),
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
/// resolved, four spaces in, as `name (version[-platform])`, with the gems
/// it depends on six spaces in. PATH specs are the project's own gems; what
/// they and the DEPENDENCIES section name is asked for directly.
pub(crate) fn gemfile_lock(sink: &mut Sink) {
    struct Spec<'t> {
        name: &'t str,
        version: Option<&'t str>,
        line: u32,
        requires: Vec<String>,
        own: bool,
    }
    let text = sink.text;
    let mut section = "";
    let mut specs: Vec<Spec> = Vec::new();
    let mut direct: HashSet<&str> = HashSet::new();
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        if !line.starts_with(' ') {
            section = line.trim();
            continue;
        }
        if section == "DEPENDENCIES" {
            if let Some(dep) = line.strip_prefix("  ").filter(|d| !d.starts_with(' ')) {
                let name = dep.split([' ', '!']).next().unwrap_or("");
                direct.insert(name);
            }
            continue;
        }
        if !matches!(section, "GEM" | "GIT" | "PATH") {
            continue;
        }
        if let Some(dep) = line.strip_prefix("      ").filter(|d| !d.starts_with(' ')) {
            if let Some(s) = specs.last_mut() {
                let name = dep.split(' ').next().unwrap_or("").trim();
                if s.own {
                    direct.insert(name);
                } else {
                    s.requires.push(name.to_string());
                }
            }
            continue;
        }
        // Exactly four spaces: a resolved gem.
        let Some(spec) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) else {
            continue;
        };
        let (name, version) = match spec.split_once(" (") {
            Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')'))),
            None => (spec.trim(), None),
        };
        specs.push(Spec {
            name,
            version,
            line: line_no,
            requires: Vec::new(),
            own: section == "PATH",
        });
    }
    for s in specs.into_iter().filter(|s| !s.own) {
        let entry = LockEntry {
            key: format!("{} {}", s.name, s.version.unwrap_or("")),
            requires: s.requires,
            optional: Vec::new(),
            direct: direct.contains(s.name),
        };
        sink.dep(
            Dep::new(Ecosystem::Rubygems, s.name)
                .version(s.version)
                .lock(entry),
            s.line,
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
                ("debug", 8, Context::Dev),
                ("rspec-rails", 11, Context::Dev),
                ("simplecov", 13, Context::Dev),
                ("puma", 18, Context::Service),
                ("jdbc-postgres", 22, Context::Service),
                ("sidekiq", 24, Context::Service),
            ]
        );
        assert_eq!(rows[1].1.as_deref(), Some(">= 0.18, < 2.0"));
        assert_eq!(runtimes(&out), vec![("rubygems".to_string(), 10)]);
        no_panic(ManifestKind::Gemfile, GEMFILE);
    }

    #[test]
    fn gemfile_scopes() {
        let text = r#"gem "listen", group: :development
gem "rb-inotify", groups: [:development, :test]
gem "wdm", platforms: [:mingw, :mswin, :x64_mingw]
gem "tzinfo-data", platforms: %i[ windows jruby ]
gem "pg", group: [:default]
group :test do
  gem "capybara"
end
group "development" do
  gem "web-console"
end
platforms :mswin, :mingw do
  gem "win32-process"
end
group :production, :development do
  gem "puma"
end
"#;
        let out = parse(ManifestKind::Gemfile, "Gemfile", text, Context::Service);
        let got: Vec<_> = deps(&out).into_iter().map(|r| (r.0, r.3)).collect();
        let want = [
            ("listen", Context::Dev),
            ("rb-inotify", Context::Dev),
            ("wdm", Context::Optional),
            ("tzinfo-data", Context::Service),
            ("pg", Context::Service),
            ("capybara", Context::Test),
            ("web-console", Context::Dev),
            ("win32-process", Context::Optional),
            ("puma", Context::Service),
        ];
        let want: Vec<_> = want.iter().map(|(n, c)| (n.to_string(), *c)).collect();
        assert_eq!(got, want);
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
        let out = service(ManifestKind::GemfileLock, "Gemfile.lock", lock);
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
        let entry = |n: &str| match &find(&out, n).kind {
            crate::model::fact::FactKind::Dependency(d) => d.lock.clone().expect("lock entry"),
            _ => unreachable!(),
        };
        assert_eq!(entry("nokogiri").requires, ["racc"]);
        assert!(entry("nokogiri").direct);
        assert!(!entry("racc").direct);
        assert_eq!(entry("racc").key, "racc 1.7.3");
        no_panic(ManifestKind::GemfileLock, lock);
    }
}
