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

use crate::model::context::Context;
use crate::parse::lex::CodeView;

/// The reason the spawns of a self-updater carry.
pub(crate) const REASON: &str = "self-update from the installation's own git checkout: an image is updated by replacing it and holds no .git, so this path does not run in the deployed service";

/// git subcommands that replace the files of a working tree with others.
const REWRITES: [&str; 6] = ["pull", "fetch", "reset", "checkout", "merge", "rebase"];

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
