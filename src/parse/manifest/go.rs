//! go.mod: `require` lines and blocks, and `replace` directives.
//!
//! go.mod is line-oriented, so a line parser is exact. `// indirect`
//! requirements are kept but marked: Go lists every module the build
//! needs, including those only another module's packages import, and most
//! of those packages are never linked (a config library's file watcher the
//! service never calls). Like a lock entry, an indirect requirement alone
//! is a reason to look, not a verdict (`analyze::finding`). A `replace` that points
//! at another module (a fork) is reported too, since that module is what gets
//! compiled.

use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, Fact, FactKind, Location};

#[derive(Clone, Copy, PartialEq)]
enum Block {
    None,
    Require,
    Replace,
    Other,
}

pub(crate) fn go_mod(sink: &mut Sink) {
    sink.runtime(Ecosystem::Go);
    let text = sink.text;
    let mut block = Block::None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if block != Block::None {
            if line == ")" {
                block = Block::None;
                continue;
            }
            match block {
                Block::Require => require(sink, line, indirect(raw), line_no),
                Block::Replace => replace(sink, line, line_no),
                _ => {}
            }
            continue;
        }
        let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let opens = rest == "(";
        match verb {
            "require" if opens => block = Block::Require,
            "replace" if opens => block = Block::Replace,
            "exclude" | "retract" | "tool" | "ignore" | "godebug" if opens => block = Block::Other,
            "require" => require(sink, rest, indirect(raw), line_no),
            "replace" => replace(sink, rest, line_no),
            "module" => module(sink, rest, line_no),
            "go" | "toolchain" | "exclude" | "retract" | "tool" | "ignore" | "godebug" => {}
            _ => sink.malformed(format!("go.mod line {line_no}: unknown directive `{verb}`")),
        }
    }
    if block != Block::None {
        sink.malformed("go.mod: block not closed with `)`");
    }
}

/// Whether a require line's comment says `indirect`.
fn indirect(raw: &str) -> bool {
    raw.find("//")
        .is_some_and(|i| raw[i + 2..].trim_start().starts_with("indirect"))
}

/// `module github.com/acme/app`: the module's own path.
fn module(sink: &mut Sink, spec: &str, line: u32) {
    let path = unquote(spec.split_whitespace().next().unwrap_or_default());
    if path.is_empty() || path.len() > 1024 {
        return;
    }
    let at = Location::line(sink.rel, line, sink.line_text(line));
    let fact = Fact::new(
        FactKind::GoModule {
            path: path.to_string(),
        },
        at,
        sink.context,
    );
    sink.out.facts.push(fact);
}

/// `github.com/cilium/ebpf v0.12.3`
fn require(sink: &mut Sink, spec: &str, indirect: bool, line: u32) {
    let mut words = spec.split_whitespace().map(unquote);
    let Some(module) = words.next() else {
        return;
    };
    let version = words.next();
    sink.dep(
        Dep::new(Ecosystem::Go, module)
            .version(version)
            .indirect(indirect),
        line,
    );
}

/// `old [v] => new [v]`; a local path (`./fork`, `../x`, `/abs`) is the
/// project's own code.
fn replace(sink: &mut Sink, spec: &str, line: u32) {
    let Some((_, target)) = spec.split_once("=>") else {
        sink.malformed(format!("go.mod line {line}: replace without `=>`"));
        return;
    };
    let mut words = target.split_whitespace().map(unquote);
    let Some(module) = words.next() else {
        return;
    };
    if module.starts_with('.') || module.starts_with('/') {
        return;
    }
    sink.dep(Dep::new(Ecosystem::Go, module).version(words.next()), line);
}

fn strip_comment(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '`')
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

    const GO_MOD: &str = "module example.com/loader

go 1.22

toolchain go1.22.4

require github.com/cilium/ebpf v0.12.3

require (
\tgithub.com/vishvananda/netlink v1.1.0
\tgolang.org/x/sys v0.20.0 // indirect
\t\"github.com/quoted/mod\" v1.0.0
)

replace github.com/vishvananda/netlink => github.com/me/netlink v1.2.0
replace (
\tgithub.com/local/thing => ./thing
)
exclude golang.org/x/net v0.1.0
";

    #[test]
    fn reads_requires_and_replaces() {
        let out = parse(ManifestKind::GoMod, "go.mod", GO_MOD, Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4)).collect();
        assert_eq!(
            names,
            [
                ("github.com/cilium/ebpf", 7),
                ("github.com/vishvananda/netlink", 10),
                ("golang.org/x/sys", 11),
                ("github.com/quoted/mod", 12),
                ("github.com/me/netlink", 15),
            ]
        );
        assert_eq!(rows[0].1.as_deref(), Some("v0.12.3"));
        assert_eq!(
            find(&out, "golang.org/x/sys").at.snippet,
            "golang.org/x/sys v0.20.0 // indirect"
        );
        let indirect = |name: &str| match &find(&out, name).kind {
            crate::model::fact::FactKind::Dependency(d) => d.indirect,
            _ => unreachable!(),
        };
        assert!(indirect("golang.org/x/sys"));
        assert!(!indirect("github.com/cilium/ebpf"));
        assert!(!indirect("github.com/vishvananda/netlink"));
        assert_eq!(runtimes(&out), vec![("go".to_string(), 10)]);
        let modules: Vec<(&str, Option<u32>)> = out
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                crate::model::fact::FactKind::GoModule { path } => Some((path.as_str(), f.at.line)),
                _ => None,
            })
            .collect();
        assert_eq!(modules, [("example.com/loader", Some(1))]);
    }

    #[test]
    fn unclosed_block_is_malformed() {
        let out = service(ManifestKind::GoMod, "go.mod", "require (\n a v1\n");
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(deps(&out).len(), 1);
        no_panic(ManifestKind::GoMod, GO_MOD);
    }
}
