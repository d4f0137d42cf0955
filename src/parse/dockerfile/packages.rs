//! OS package installs in a shell command: `apt-get install`, `apk add`,
//! `yum/dnf/microdnf install`, `zypper install`, with their options (some
//! of which take a value), version pins and repository suffixes removed.
//!
//! The package names feed `os-package` rules (ffmpeg, imagemagick, chromium:
//! tools the service would spawn), so precision matters: a flag value, a
//! redirect target or a `$PACKAGES` variable must not become a package.

use super::shell::Word;

/// One package named in an install command.
#[derive(Debug, PartialEq)]
pub(crate) struct Package<'w> {
    pub manager: &'static str,
    pub name: String,
    pub word: &'w Word,
}

/// Packages installed by one simple command, if it is an install.
pub(crate) fn installs(cmd: &[Word]) -> Vec<Package<'_>> {
    let mut words = cmd.iter().peekable();
    // Skip `VAR=value` prefixes and wrappers that run the next command.
    while let Some(w) = words.peek() {
        let t = w.text.as_str();
        let is_assignment = t.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if is_assignment
            || matches!(
                t,
                "sudo" | "env" | "command" | "exec" | "nice" | "nohup" | "time" | "-E"
            )
        {
            words.next();
        } else {
            break;
        }
    }
    let Some(program) = words.next() else {
        return Vec::new();
    };
    let program = program.text.rsplit('/').next().unwrap_or("");
    let (manager, verbs, takes_value): (&'static str, &[&str], &[&str]) = match program {
        "apt-get" | "apt" | "aptitude" => (
            "apt",
            &["install"],
            &[
                "-o",
                "-c",
                "-t",
                "--option",
                "--config-file",
                "--target-release",
                "--default-release",
            ],
        ),
        "apk" => (
            "apk",
            &["add"],
            &[
                "-t",
                "--virtual",
                "-X",
                "--repository",
                "--repositories-file",
                "-p",
                "--root",
                "--arch",
                "--cache-dir",
                "--keys-dir",
            ],
        ),
        "yum" | "dnf" | "microdnf" | "tdnf" => (
            match program {
                "yum" => "yum",
                "dnf" => "dnf",
                "microdnf" => "microdnf",
                _ => "tdnf",
            },
            &["install"],
            &[
                "-c",
                "--config",
                "--installroot",
                "--releasever",
                "-x",
                "--exclude",
                "--repo",
                "--repoid",
                "--enablerepo",
                "--disablerepo",
                "--setopt",
                "-d",
                "--debuglevel",
                "-e",
                "--errorlevel",
            ],
        ),
        "zypper" => (
            "zypper",
            &["install", "in"],
            &[
                "-t",
                "--type",
                "-r",
                "--repo",
                "--from",
                "--root",
                "-R",
                "--reposd-path",
            ],
        ),
        _ => return Vec::new(),
    };

    // Options may come before and after the verb; the verb is the first
    // plain word.
    let mut seen_verb = false;
    let mut out = Vec::new();
    while let Some(w) = words.next() {
        let t = w.text.as_str();
        if t.starts_with('-') {
            // `--opt value` (but not `--opt=value`) swallows the next word.
            if !t.contains('=') && takes_value.contains(&t) {
                words.next();
            }
            continue;
        }
        if !seen_verb {
            if !verbs.contains(&t) {
                return Vec::new();
            }
            seen_verb = true;
            continue;
        }
        if w.dynamic {
            continue;
        }
        if let Some(name) = package_name(manager, t) {
            out.push(Package {
                manager,
                name,
                word: w,
            });
        }
    }
    out
}

/// The package a word names, without version pin, arch or release suffix;
/// None for files, URLs, globs and anything that is not a package name.
fn package_name(manager: &str, word: &str) -> Option<String> {
    if word.contains("://") || word.starts_with(['.', '/', '~']) {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    if [".deb", ".rpm", ".apk"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        return None;
    }
    let name = match manager {
        // ffmpeg=7:5.1.4-0+deb12u1, libfoo:arm64, curl/bookworm-backports
        "apt" => word.split(['=', ':', '/']).next().unwrap_or(""),
        // curl=8.5.0-r0, curl~8.5, curl>8, curl@edge
        "apk" => word.split(['=', '~', '>', '<', '@']).next().unwrap_or(""),
        // dnf/yum/zypper: `name-1.2.3` cannot be told from a name with a dash,
        // but `name >= 1.2` style pins and `.x86_64` arch suffixes can.
        _ => word.split(['=', '<', '>']).next().unwrap_or(""),
    };
    let valid = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '_' | '-'));
    valid.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::shell::commands;
    use super::*;

    fn names(script: &str) -> Vec<(String, String)> {
        commands(script)
            .iter()
            .flat_map(|c| {
                installs(c)
                    .into_iter()
                    .map(|p| (p.manager.to_string(), p.name))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn apt() {
        let got = names(
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
             -o Dpkg::Options::=--force-confnew ffmpeg=7:5.1* imagemagick libc6:arm64 git/bookworm-backports \
             $EXTRA \"${MORE}\" ./local.deb > /dev/null 2>&1 && rm -rf /var/lib/apt/lists/*",
        );
        let want = ["ffmpeg", "imagemagick", "libc6", "git"];
        assert_eq!(
            got.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
            want
        );
        assert!(got.iter().all(|(m, _)| m == "apt"));
        assert!(names("apt-get -y install curl")
            .iter()
            .any(|(_, n)| n == "curl"));
        assert!(names("apt-get remove curl").is_empty());
        assert!(names("sudo /usr/bin/apt install chromium")
            .iter()
            .any(|(_, n)| n == "chromium"));
    }

    #[test]
    fn apk_yum_dnf_zypper() {
        assert_eq!(
            names("apk add --no-cache --virtual .build-deps gcc musl-dev && apk add ffmpeg=6.1-r0 curl~8 py3-pip@edge"),
            [
                ("apk".into(), "gcc".into()),
                ("apk".into(), "musl-dev".into()),
                ("apk".into(), "ffmpeg".into()),
                ("apk".into(), "curl".into()),
                ("apk".into(), "py3-pip".into()),
            ]
        );
        assert_eq!(
            names("yum install -y --setopt=tsflags=nodocs ghostscript https://x/y.rpm; dnf -y install libreoffice-core"),
            [("yum".into(), "ghostscript".into()), ("dnf".into(), "libreoffice-core".into())]
        );
        assert_eq!(
            names("microdnf install -y git")[0],
            ("microdnf".into(), "git".into())
        );
        assert_eq!(
            names("zypper --non-interactive in -y --from repo-oss ImageMagick")[0],
            ("zypper".into(), "ImageMagick".into())
        );
        assert!(names("pip install ffmpeg-python").is_empty());
    }
}
