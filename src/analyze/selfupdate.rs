//! Self-updaters: code that updates the installation in place from its own
//! git checkout, so its spawns are `optional`, not the service's work.
//!
//! A web application installed with `git clone` often offers an "update"
//! action that runs `git fetch` and `git reset --hard` on its own directory,
//! after checking that the directory has a `.git`. A container image, or a
//! Wasm component, is updated by replacing it and holds no checkout, so that
//! path never runs in the deployed service: an analyst would not let it
//! decide the verdict. Three things together mark such a file, so that a
//! service whose job is git (a forge mirroring repositories) is not taken
//! for one: its path is named for updating (`update`, `upgrade`: a
//! `updateController.php`, a `self_update.py`), it runs git commands that
//! replace a working tree (`pull`, `fetch`, `reset`, `checkout`, `merge`,
//! `rebase`), and it names a `.git` directory (its own checkout).
//!
//! Version stamps are the read-only twin: a file named for the version
//! (`version.py`, `server/version.ts`) that asks git about the checkout it
//! runs from (`git rev-parse --short HEAD`, `git describe`, `git show -s`)
//! and runs no other git command. A released image holds no checkout: the
//! version is frozen at build time or the call fails and is caught, so the
//! service runs the same without it.

use crate::model::context::Context;
use crate::parse::lex::CodeView;

/// The reason the spawns of a self-updater carry.
pub(crate) const REASON: &str = "self-update from the installation's own git checkout: an image is updated by replacing it and holds no .git, so this path does not run in the deployed service";

/// git subcommands that replace the files of a working tree with others.
const REWRITES: [&str; 6] = ["pull", "fetch", "reset", "checkout", "merge", "rebase"];

/// The reason the spawns of a version stamp carry.
pub(crate) const VERSION_REASON: &str = "asks git for the version of the checkout it runs from: a released image holds no checkout (the version is frozen at build time, or the call fails and is caught), so the service does not depend on it";

/// git subcommands that only read what a checkout is.
const READS: [&str; 9] = [
    "rev-parse",
    "describe",
    "show",
    "log",
    "diff",
    "status",
    "rev-list",
    "symbolic-ref",
    "remote",
];

/// Whether the file at `rel`, lexed as `view`, is a version stamp: named
/// for the version, running git, and only git subcommands that read.
pub(crate) fn is_version_stamp(rel: &str, view: &CodeView) -> bool {
    let named = rel
        .rsplit('/')
        .next()
        .is_some_and(|name| name.to_ascii_lowercase().contains("version"));
    if !named || Context::of_path(rel) != Context::Service {
        return false;
    }
    let mut subcommands = Vec::new();
    let mut strings = view.strings.iter().map(|s| s.text.trim());
    while let Some(t) = strings.next() {
        let mut words = t.split_ascii_whitespace();
        if words.next() != Some("git") {
            continue;
        }
        // `"git rev-parse HEAD"`, or `["git", "remote", "get-url"]`,
        // whose subcommand is the next string.
        let rest: Vec<&str> = words.collect();
        let sub = if rest.is_empty() {
            strings
                .next()
                .and_then(|n| n.split_ascii_whitespace().next())
        } else {
            subcommand(&rest)
        };
        subcommands.push(sub);
    }
    !subcommands.is_empty()
        && subcommands
            .iter()
            .all(|s| s.is_some_and(|s| READS.contains(&s)))
}

/// The subcommand of git's arguments, past global options (`-C dir`,
/// `-c key=value`, `--no-pager`).
fn subcommand<'a>(args: &[&'a str]) -> Option<&'a str> {
    let mut it = args.iter();
    while let Some(&w) = it.next() {
        match w {
            "-C" | "-c" => {
                it.next();
            }
            _ if w.starts_with('-') => {}
            _ => return Some(w),
        }
    }
    None
}

/// Whether the file at `rel`, lexed as `view`, is a self-updater.
pub(crate) fn is_self_updater(rel: &str, view: &CodeView) -> bool {
    let lower = rel.to_ascii_lowercase();
    let named = lower
        .split('/')
        .any(|part| part.contains("update") || part.contains("upgrade"));
    if !named || Context::of_path(rel) != Context::Service {
        return false;
    }
    let mut git = false;
    let mut rewrites = false;
    let mut own_checkout = false;
    for s in &view.strings {
        let t = s.text.trim();
        let mut words = t.split_ascii_whitespace();
        match words.next() {
            // `exec('git reset --hard FETCH_HEAD')`, `["git", "fetch"]`.
            Some("git") => {
                git = true;
                rewrites |= words.any(|w| REWRITES.contains(&w));
            }
            Some(w) if REWRITES.contains(&w) && t.split_ascii_whitespace().count() <= 3 => {
                rewrites = true;
            }
            _ => {}
        }
        own_checkout |= names_git_dir(t);
    }
    git && rewrites && own_checkout
}

/// `/.git/`, `.git`, `/.git/config`, `{root}/.git`: a path to a `.git`
/// directory or a file in it (not `repo.git`, not a URL ending in `.git`).
fn names_git_dir(t: &str) -> bool {
    !t.contains("://") && t.split(['/', '\\']).any(|part| part == ".git")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::language::Language;
    use crate::parse::lex::lex;

    const UPDATER: &str = r#"<?php
class App_update_Controller {
    public static function isGit(): bool { return is_dir(APP_PATH . '/.git/'); }
    public function apply(): void {
        exec('git fetch --prune', $output, $return);
        exec('git reset --hard FETCH_HEAD', $output, $return);
    }
}
"#;

    fn check(rel: &str, lang: Language, src: &str) -> bool {
        is_self_updater(rel, &lex(lang, src))
    }

    #[test]
    fn a_git_self_updater_is_recognised() {
        assert!(check(
            "app/Controllers/updateController.php",
            Language::Php,
            UPDATER
        ));
        let go = "package up\nfunc Apply(root string) error {\n\tif _, err := os.Stat(filepath.Join(root, \".git\")); err != nil { return err }\n\treturn exec.Command(\"git\", \"pull\", \"--ff-only\").Run()\n}\n";
        assert!(check("internal/selfupdate/git.go", Language::Go, go));
    }

    #[test]
    fn other_git_work_is_not_a_self_updater() {
        // Not named for updating: a forge mirroring repositories.
        assert!(!check(
            "app/Controllers/mirrorController.php",
            Language::Php,
            UPDATER
        ));
        // Named for updating, but git only reads (a version string).
        let reads = "<?php\nif (is_dir(ROOT . '/.git')) { exec('git describe --tags', $o); }\n";
        assert!(!check("app/update.php", Language::Php, reads));
        // Rewrites a repository it was given, not its own checkout.
        let repo = "<?php\nexec('git fetch ' . escapeshellarg($url), $o);\n$u = 'https://example.com/x.git';\n";
        assert!(!check("app/updateMirror.php", Language::Php, repo));
        // The same updater in a test is a test already.
        assert!(!check("tests/updateTest.php", Language::Php, UPDATER));
        // Words in comments are not strings.
        let comment = "<?php\n// git fetch, then look at /.git/\nexec($cmd);\n";
        assert!(!check("app/update.php", Language::Php, comment));
    }

    #[test]
    fn a_version_stamp_is_recognised() {
        let ts = "import {execSync} from \"child_process\";\nexport function commit() {\n  try { return execSync(\"git rev-parse --short HEAD\").toString(); } catch { return null; }\n}\n";
        assert!(is_version_stamp(
            "server/version.ts",
            &lex(Language::TypeScript, ts)
        ));
        let py = "import subprocess\ndef run(a): return subprocess.run(a)\nrun(\"git show -s --format=%cd\")\nrun(\"git -C . describe --tags\")\nrun([\"git\", \"remote\", \"get-url\", o])\n";
        assert!(is_version_stamp(
            "searx/version.py",
            &lex(Language::Python, py)
        ));
    }

    #[test]
    fn other_git_work_is_not_a_version_stamp() {
        let ts = "execSync(\"git rev-parse --short HEAD\");\n";
        for (why, path, code) in [
            ("not named for the version", "server/commit.ts", ts),
            (
                "a git command that writes",
                "server/version.ts",
                "execSync(\"git rev-parse HEAD\");\nexecSync(\"git pull\");\n",
            ),
            (
                "no git at all: another program",
                "server/version.ts",
                "execSync(\"ffmpeg -version\");\n",
            ),
            (
                "a subcommand that cannot be read from the strings",
                "server/version.ts",
                "execSync(\"git \" + cmd);\n",
            ),
            ("in a test", "test/version.ts", ts),
        ] {
            assert!(
                !is_version_stamp(path, &lex(Language::TypeScript, code)),
                "{why}"
            );
        }
    }

    #[test]
    fn git_directory_paths() {
        for yes in [
            "/.git/",
            ".git",
            "/.git/config",
            ".git/HEAD",
            "/srv/app/.git",
        ] {
            assert!(names_git_dir(yes), "{yes}");
        }
        for no in [
            "repo.git",
            "https://github.com/a/b.git",
            "git",
            ".gitignore",
            "x/.github",
        ] {
            assert!(!names_git_dir(no), "{no}");
        }
    }
}
