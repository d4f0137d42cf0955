//! Python: requirements*.txt, pyproject.toml (PEP 621, PEP 735 groups,
//! Poetry, PDM, uv), Pipfile and Pipfile.lock (poetry.lock and uv.lock are
//! in `python_lock`).
//!
//! Scopes: extras are optional (they install only when asked for), dependency
//! groups and Poetry's dev-dependencies are development-only, a group or
//! extra named for tests is test-only, and `requirements-dev.txt` /
//! `test-requirements.txt` take the scope their name says.
//!
//! Requirements are PEP 508 strings everywhere except Poetry and Pipfile
//! tables; one small parser reads them all, because the full grammar (and
//! the crates that implement it) is far more than a name and a version
//! range need.

use super::cargo::{strings, table};
use super::json_keys::KeyLines;
use super::{group_scope, Dep, Sink};
use crate::model::fact::{Ecosystem, Scope};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One PEP 508 requirement: `name[extra1,extra2] (>=1,<2) ; markers`.
#[derive(Debug, PartialEq)]
struct Req<'a> {
    name: &'a str,
    extras: Vec<String>,
    version: Option<String>,
}

fn pep508(spec: &str) -> Option<Req<'_>> {
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = spec[end..].trim_start();
    let mut extras = Vec::new();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']')?;
        extras = after[..close]
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect();
        rest = after[close + 1..].trim_start();
    }
    // Environment markers (`; python_version < "3.11"`) say when, not what.
    let rest = rest.split(';').next().unwrap_or("").trim();
    // `name @ https://...`: a direct URL, no version range.
    let version = if rest.starts_with('@') {
        None
    } else {
        let v = rest.trim_start_matches('(').trim_end_matches(')').trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    Some(Req {
        name,
        extras,
        version,
    })
}

pub(super) fn emit_req(sink: &mut Sink, spec: &str, scope: Scope, line: u32) {
    if let Some(req) = pep508(spec) {
        let dep = Dep::new(Ecosystem::Pypi, req.name)
            .version(req.version)
            .features(req.extras)
            .scope(scope);
        sink.dep(dep, line);
    }
}

/// requirements.txt and friends (`requirements-dev.txt`, `dev.requirements.txt`).
pub(crate) fn requirements(sink: &mut Sink) {
    sink.runtime(Ecosystem::Pypi);
    let file = sink
        .rel
        .rsplit('/')
        .next()
        .unwrap_or(sink.rel)
        .to_ascii_lowercase();
    let stem = file.trim_end_matches(".txt");
    // `requirements-dev`, `test-requirements`, `requirements_ci`: tests win
    // over development when a name says both.
    let scope = stem
        .split(['-', '_', '.'])
        .filter(|part| *part != "requirements")
        .filter_map(group_scope)
        .max()
        .unwrap_or(Scope::Runtime);
    let text = sink.text;
    let mut logical = String::new();
    let mut start = 0u32;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        if logical.is_empty() {
            start = line_no;
        }
        // A trailing backslash continues the requirement (hash lists).
        if let Some(cont) = raw.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        requirement_line(sink, &logical, scope, start);
        logical.clear();
    }
    if !logical.is_empty() {
        requirement_line(sink, &logical, scope, start);
    }
}

fn requirement_line(sink: &mut Sink, line: &str, scope: Scope, line_no: u32) {
    let line = strip_hash_comment(line).trim();
    // -r/-c includes, -e editables, --index-url and other pip options.
    if line.is_empty() || line.starts_with('-') {
        return;
    }
    // Per-requirement options (`--hash=...`) come after the requirement.
    let line = line.find(" -").map_or(line, |i| &line[..i]).trim();
    // Bare URLs and paths: only a `#egg=name` fragment names the package.
    let bare_url = line.find("://").is_some_and(|i| !line[..i].contains('@'));
    if bare_url || line.starts_with(['.', '/']) {
        if let Some(egg) = line.split("#egg=").nth(1) {
            let name = egg.split(['&', ' ']).next().unwrap_or("");
            emit_req(sink, name, scope, line_no);
        }
        return;
    }
    emit_req(sink, line, scope, line_no);
}

/// `#` starts a comment at the start of a line or after whitespace; a `#`
/// inside a URL (`#egg=`) does not.
fn strip_hash_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

pub(crate) fn pyproject(sink: &mut Sink) {
    sink.runtime(Ecosystem::Pypi);
    let (doc, errors) = DeTable::parse_recoverable(sink.text);
    if let Some(err) = errors.first() {
        sink.malformed(format!("pyproject.toml: {}", err.message()));
    }
    let root = doc.get_ref();
    if let Some(project) = table(root, "project") {
        pep508_array(sink, project.get("dependencies"), Scope::Runtime);
        // Extras install only when someone asks for them.
        if let Some(extras) = table(project, "optional-dependencies") {
            for (group, reqs) in extras.iter() {
                let scope = group_scope(group.get_ref()).unwrap_or(Scope::Optional);
                pep508_array(sink, Some(reqs), scope);
            }
        }
    }
    // PEP 735 dependency groups are development-only by definition: they
    // are not part of the published package.
    if let Some(groups) = table(root, "dependency-groups") {
        for (name, reqs) in groups.iter() {
            let scope = group_scope(name.get_ref()).unwrap_or(Scope::Dev);
            pep508_array(sink, Some(reqs), scope);
        }
    }
    // maturin, setuptools-rust or cython here mean a native extension.
    if let Some(build) = table(root, "build-system") {
        pep508_array(sink, build.get("requires"), Scope::Build);
    }
    if let Some(tool) = table(root, "tool") {
        if let Some(poetry) = table(tool, "poetry") {
            if let Some(deps) = table(poetry, "dependencies") {
                poetry_table(sink, deps, Scope::Runtime);
            }
            if let Some(deps) = table(poetry, "dev-dependencies") {
                poetry_table(sink, deps, Scope::Dev);
            }
            // Poetry installs every non-optional group by default; a group
            // named for development or tests, or marked optional, is left
            // out of a deployment (`--only main`, `--without dev`).
            if let Some(groups) = table(poetry, "group") {
                for (name, group) in groups.iter() {
                    let DeValue::Table(group) = group.get_ref() else {
                        continue;
                    };
                    let optional = group.get("optional").and_then(|v| v.get_ref().as_bool());
                    let scope = group_scope(name.get_ref()).unwrap_or(if optional == Some(true) {
                        Scope::Optional
                    } else {
                        Scope::Runtime
                    });
                    if let Some(deps) = table(group, "dependencies") {
                        poetry_table(sink, deps, scope);
                    }
                }
            }
        }
        if let Some(groups) = table(tool, "pdm").and_then(|p| table(p, "dev-dependencies")) {
            for (name, reqs) in groups.iter() {
                let scope = group_scope(name.get_ref()).unwrap_or(Scope::Dev);
                pep508_array(sink, Some(reqs), scope);
            }
        }
        if let Some(uv) = table(tool, "uv") {
            pep508_array(sink, uv.get("dev-dependencies"), Scope::Dev);
        }
    }
}

fn pep508_array(sink: &mut Sink, value: Option<&Spanned<DeValue>>, scope: Scope) {
    let Some(DeValue::Array(items)) = value.map(Spanned::get_ref) else {
        return;
    };
    for item in items.iter() {
        if let Some(spec) = item.get_ref().as_str() {
            let line = sink.line_of(item.span().start);
            emit_req(sink, spec, scope, line);
        }
    }
}

/// Poetry and Pipfile tables: `name = "^1.2"`, `name = "*"`, `name = {
/// version = "..", extras = [..] }`, or (Poetry) a list of such tables. An
/// `optional = true` dependency is one an extra turns on.
fn poetry_table(sink: &mut Sink, deps: &DeTable, scope: Scope) {
    for (name, spec) in deps.iter() {
        let name_str: &str = name.get_ref();
        // The interpreter constraint, not a package.
        if name_str.eq_ignore_ascii_case("python") {
            continue;
        }
        let line = sink.line_of(name.span().start);
        let (version, extras, optional) = match spec.get_ref() {
            DeValue::String(v) => (Some(v.to_string()), Vec::new(), false),
            DeValue::Table(t) => table_spec(t),
            DeValue::Array(a) => a
                .iter()
                .find_map(|v| match v.get_ref() {
                    DeValue::Table(t) => Some(table_spec(t)),
                    _ => None,
                })
                .unwrap_or((None, Vec::new(), false)),
            _ => (None, Vec::new(), false),
        };
        let version = version.filter(|v| v != "*");
        let scope = if optional && scope == Scope::Runtime {
            Scope::Optional
        } else {
            scope
        };
        let dep = Dep::new(Ecosystem::Pypi, name_str)
            .version(version)
            .features(extras)
            .scope(scope);
        sink.dep(dep, line);
    }
}

fn table_spec(t: &DeTable) -> (Option<String>, Vec<String>, bool) {
    let version = t
        .get("version")
        .and_then(|v| v.get_ref().as_str())
        .map(str::to_string);
    let extras = strings(t.get("extras"));
    let optional = t.get("optional").and_then(|v| v.get_ref().as_bool()) == Some(true);
    (version, extras, optional)
}

pub(crate) fn pipfile(sink: &mut Sink) {
    sink.runtime(Ecosystem::Pypi);
    let (doc, errors) = DeTable::parse_recoverable(sink.text);
    if let Some(err) = errors.first() {
        sink.malformed(format!("Pipfile: {}", err.message()));
    }
    let root = doc.get_ref();
    if let Some(deps) = table(root, "packages") {
        poetry_table(sink, deps, Scope::Runtime);
    }
    if let Some(deps) = table(root, "dev-packages") {
        poetry_table(sink, deps, Scope::Dev);
    }
}

pub(crate) fn pipfile_lock(sink: &mut Sink) {
    let doc: serde_json::Value = match serde_json::from_str(sink.text) {
        Ok(v) => v,
        Err(e) => {
            sink.malformed(format!("Pipfile.lock: {e}"));
            return;
        }
    };
    let keys = KeyLines::scan(sink.text, &["default", "develop"]);
    for (section, scope) in [("default", Scope::Runtime), ("develop", Scope::Dev)] {
        let Some(serde_json::Value::Object(deps)) = doc.get(section) else {
            continue;
        };
        for (name, meta) in deps {
            let version = meta.get("version").and_then(|v| v.as_str());
            let line = keys.get(&[section, name]).unwrap_or(1);
            sink.dep(
                Dep::new(Ecosystem::Pypi, name.as_str())
                    .version(version)
                    .scope(scope),
                line,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

    #[test]
    fn pep508_forms() {
        let r = pep508("torch[cuda, extra] >=2.1,<3 ; sys_platform == 'linux'").unwrap();
        assert_eq!(r.name, "torch");
        assert_eq!(r.extras, ["cuda", "extra"]);
        assert_eq!(r.version.as_deref(), Some(">=2.1,<3"));
        assert_eq!(pep508("Flask").unwrap().version, None);
        assert_eq!(pep508("pkg @ https://x/pkg.whl").unwrap().version, None);
        assert_eq!(
            pep508("zope.interface (>=5)").unwrap().version.as_deref(),
            Some(">=5")
        );
        assert_eq!(pep508("==1.0"), None);
    }

    const REQS: &str = "# web
flask==3.0.3
ffmpeg-python>=0.2  # wraps the ffmpeg binary
-r base.txt
-e git+https://github.com/x/y.git#egg=y
--index-url https://pypi.org/simple
psycopg2-binary==2.9.9 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
uvicorn[standard]==0.30.0; python_version >= \"3.8\"
https://example.com/pkgs/opencv_python-4.0.whl
git+https://github.com/pytorch/vision.git#egg=torchvision
";

    #[test]
    fn requirements_lines() {
        let out = service(ManifestKind::Requirements, "requirements.txt", REQS);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4)).collect();
        assert_eq!(
            names,
            [
                ("flask", 2),
                ("ffmpeg-python", 3),
                ("psycopg2-binary", 7),
                ("uvicorn", 10),
                ("torchvision", 12)
            ]
        );
        assert_eq!(rows[2].1.as_deref(), Some("==2.9.9"));
        assert_eq!(rows[3].1.as_deref(), Some("==0.30.0"));
        assert_eq!(runtimes(&out), vec![("pypi".to_string(), 10)]);

        let out = service(
            ManifestKind::Requirements,
            "requirements-dev.txt",
            "pytest\n",
        );
        assert_eq!(deps(&out)[0].3, Context::Dev);
        for (file, want) in [
            ("test-requirements.txt", Context::Test),
            ("requirements_test.txt", Context::Test),
            ("dev-requirements.txt", Context::Dev),
            ("requirements-prod.txt", Context::Service),
            ("requirements/base.txt", Context::Service),
        ] {
            let out = service(ManifestKind::Requirements, file, "watchdog\n");
            assert_eq!(deps(&out)[0].3, want, "{file}");
        }
    }

    const PYPROJECT: &str = r#"[build-system]
requires = ["maturin>=1.5"]
build-backend = "maturin"

[project]
name = "svc"
dependencies = [
  "fastapi>=0.110",
  "torch==2.3.0",
]

[project.optional-dependencies]
gpu = ["pycuda"]
test = ["pytest"]

[dependency-groups]
lint = ["ruff"]

[tool.poetry.dependencies]
python = "^3.11"
grpcio = "^1.60"
cupy = { version = "^13", extras = ["all"] }

psycopg = { version = "^3", optional = true }

[tool.poetry.group.dev.dependencies]
black = "*"

[tool.poetry.group.server.dependencies]
gunicorn = "*"

[tool.poetry.group.extras]
optional = true

[tool.poetry.group.extras.dependencies]
inotify = "*"

[tool.uv]
dev-dependencies = ["mypy"]
"#;

    #[test]
    fn pyproject_all_styles() {
        let out = service(ManifestKind::Pyproject, "pyproject.toml", PYPROJECT);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("maturin").3, Context::Build);
        assert_eq!(get("fastapi").4, 8);
        assert_eq!(get("torch").4, 9);
        assert_eq!(get("pycuda").3, Context::Optional);
        assert_eq!(get("pytest").3, Context::Test);
        assert_eq!(get("ruff").3, Context::Dev);
        assert_eq!(get("grpcio").4, 21);
        assert_eq!(get("cupy").1.as_deref(), Some("^13"));
        assert_eq!(get("black").3, Context::Dev);
        assert_eq!(get("black").1, None);
        assert_eq!(get("psycopg").3, Context::Optional);
        assert_eq!(get("gunicorn").3, Context::Service);
        assert_eq!(get("inotify").3, Context::Optional);
        assert_eq!(get("mypy").3, Context::Dev);
        assert!(rows.iter().all(|r| r.0 != "python"));
        assert_eq!(runtimes(&out), vec![("pypi".to_string(), 10)]);
    }

    #[test]
    fn pipfile_and_lock() {
        let pipfile = "[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\nrequests = \"*\"\nopencv-python = {version = \"==4.9\"}\n\n[dev-packages]\npytest = \"*\"\n";
        let out = parse(ManifestKind::Pipfile, "Pipfile", pipfile, Context::Service);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("requests").4, 5);
        assert_eq!(get("opencv-python").1.as_deref(), Some("==4.9"));
        assert_eq!(get("pytest").3, Context::Dev);

        let lock = r#"{
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "requests": {"hashes": [], "version": "==2.31.0"}
    },
    "develop": {
        "pytest": {"version": "==8.0.0"}
    }
}"#;
        let out = service(ManifestKind::PipfileLock, "Pipfile.lock", lock);
        let rows = deps(&out);
        assert_eq!(
            rows[0],
            (
                "requests".into(),
                Some("==2.31.0".into()),
                false,
                Context::Service,
                4
            )
        );
        assert_eq!(rows[1].3, Context::Dev);
        assert!(runtimes(&out).is_empty());
        no_panic(ManifestKind::Requirements, REQS);
        no_panic(ManifestKind::Pyproject, PYPROJECT);
        no_panic(ManifestKind::PipfileLock, lock);
    }
}
