//! Every output format, on a hand-made report that exercises every corner
//! (tests/data/fixture-report.json) and on a few real samples: insta
//! snapshots, validation against the official SARIF 2.1.0 schema and
//! wasmfit's own published JSON schema, well-formed XML, escaping of
//! everything that comes from the scanned tree, and `wasmfit report`.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmfit::config::Thresholds;
use wasmfit::model::report::Repository;
use wasmfit::model::Report;
use wasmfit::report::{self, Format};
use wasmfit::rules::RuleSet;
use wasmfit::rules::Severity;

const XSS: &str = "<script>alert(1)</script>";
const SNAPSHOT_SAMPLES: &[&str] = &[
    "python-flask-ffmpeg",
    "java-spring-orders",
    "rust-http-service",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap())
}

/// Renders in `format` with the built-in rules, no colour, relative links,
/// SARIF from `warning`, and JUnit with the gate's default (blockers fail).
fn render(format: Format, r: &Report) -> String {
    let opts = report::Options {
        gate: junit_gate(r, &Thresholds::default()),
        ..report::Options::new(rules())
    };
    format.renderer(&opts).to_string(r).unwrap()
}

fn junit_gate(r: &Report, t: &Thresholds) -> report::junit::Gate {
    wasmfit::cli::report::junit_gate(r, None, t)
}

/// SARIF with every result, notes included.
fn sarif_all(r: &Report) -> Value {
    let opts = report::Options {
        sarif_min_level: report::sarif::Level::Note,
        ..report::Options::new(rules())
    };
    serde_json::from_str(&Format::Sarif.renderer(&opts).to_string(r).unwrap()).unwrap()
}

fn fixture() -> Report {
    let text = std::fs::read_to_string(repo().join("tests/data/fixture-report.json")).unwrap();
    report::json::parse(&text).unwrap()
}

/// Samples with a verdict to meet, sorted.
fn samples() -> Vec<String> {
    support::sample_names_with_expectations()
}

/// A sample's report as if scanned from the repository root, with what
/// changes from run to run pinned.
fn sample(name: &str) -> Report {
    // Several tests read the same samples: each is scanned once.
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, Report>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().unwrap().get(name) {
        return r.clone();
    }
    let r = scan_sample(name);
    cache.lock().unwrap().insert(name.to_string(), r.clone());
    r
}

fn scan_sample(name: &str) -> Report {
    let dir = repo().join("samples").join(name);
    let mut r = wasmfit::scan::scan(&dir, &Default::default(), rules(), &|_, _| {}).unwrap();
    r.root = format!("samples/{name}");
    // Where a checkout would put it, whatever the machine running the test.
    r.repository = Some(Repository {
        root: "/checkout".into(),
        base: format!("samples/{name}"),
        git: true,
    });
    r.summary.elapsed_ms = 0;
    r.tool.version = "0.0.0-test".into();
    r
}

/// Every format.
fn formats(r: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("text", render(Format::Text, r)),
        ("json", render(Format::Json, r)),
        ("sarif", render(Format::Sarif, r)),
        ("gitlab", render(Format::Gitlab, r)),
        ("junit", render(Format::Junit, r)),
        ("markdown", render(Format::Markdown, r)),
        ("html", render(Format::Html, r)),
    ]
}

/// The stylesheet is the same in every HTML report; snapshots keep the
/// markup, which is what changes.
fn without_css(html: &str) -> String {
    match (html.find("<style>"), html.find("</style>")) {
        (Some(a), Some(b)) if a < b => format!("{}<style>[report.css]{}", &html[..a], &html[b..]),
        _ => html.to_string(),
    }
}

/// The rule descriptors are the same in every SARIF log; the fixture's
/// snapshot keeps them whole, the samples' only their ids.
fn rule_ids_only(sarif: &str) -> String {
    let mut v: Value = serde_json::from_str(sarif).unwrap();
    let rules = &mut v["runs"][0]["tool"]["driver"]["rules"];
    let ids: Vec<Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    *rules = Value::Array(ids);
    serde_json::to_string_pretty(&v).unwrap()
}

fn snapshot(name: &str, r: &Report) {
    for (format, text) in formats(r) {
        let text = match format {
            "html" => without_css(&text),
            "sarif" if name != "fixture" => rule_ids_only(&text),
            _ => text,
        };
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(format!("{name}-{format}"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!("format", text));
    }
}

#[test]
fn snapshots_of_the_fixture() {
    snapshot("fixture", &fixture());
}

#[test]
fn snapshots_of_samples() {
    for name in SNAPSHOT_SAMPLES {
        snapshot(name, &sample(name));
    }
}

/// A validator that checks formats too (`uri-reference` catches a file
/// name that was not percent-encoded). The official SARIF schema has one
/// pattern, for `language` properties, that is not a valid ECMA-262 regex
/// (a stray `]`), and the meta-schema check rejects the whole schema for
/// it; that pattern is replaced in memory by what it evidently means.
/// wasmfit never writes a `language`. The file itself stays as published.
fn validator(path: &str) -> jsonschema::Validator {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    fn fix(v: &mut Value) {
        match v {
            Value::String(s) if s == BROKEN => *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into(),
            Value::Array(a) => a.iter_mut().for_each(fix),
            Value::Object(o) => o.values_mut().for_each(fix),
            _ => {}
        }
    }
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(path)).unwrap()).unwrap();
    fix(&mut schema);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn violations(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect()
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let v = validator("tests/data/sarif-schema-2.1.0.json");
    let mut reports = vec![("fixture".to_string(), fixture())];
    reports.extend(samples().into_iter().map(|s| (s.clone(), sample(&s))));
    let mut failures = Vec::new();
    for (name, r) in &reports {
        let sarif: Value = serde_json::from_str(&render(Format::Sarif, r)).unwrap();
        for e in violations(&v, &sarif) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_sarif_schema_check_catches_a_broken_log() {
    let v = validator("tests/data/sarif-schema-2.1.0.json");
    let mut sarif: Value = serde_json::from_str(&render(Format::Sarif, &fixture())).unwrap();
    sarif["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!violations(&v, &sarif).is_empty());
}

/// The ids of a SARIF run's rule descriptors, in order.
fn rule_ids(run: &Value) -> Vec<&str> {
    run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect()
}

#[test]
fn sarif_results_are_per_place_with_stable_fingerprints_and_suppressions() {
    let r = fixture();
    let sarif = sarif_all(&r);
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    let places: usize = r.findings.iter().map(|f| f.evidence.len()).sum();
    assert_eq!(results.len(), places);
    // Every loaded rule is described, plus the user rule the saved report
    // holds and that is not loaded now.
    let ids = rule_ids(run);
    assert_eq!(ids.len(), rules().rules.len() + 1);
    assert!(ids.contains(&"ACME001"));
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[idx], res["ruleId"].as_str().unwrap());
    }
    // Two identical lines in one file: same evidence fingerprint, told apart.
    let fps: Vec<&str> = results
        .iter()
        .map(|x| x["partialFingerprints"]["wasmfit/v1"].as_str().unwrap())
        .collect();
    assert!(fps.contains(&"1111111111111111") && fps.contains(&"1111111111111111:2"));
    let unique: std::collections::BTreeSet<&&str> = fps.iter().collect();
    assert_eq!(unique.len(), fps.len());
    // Fingerprints do not depend on the line.
    let mut moved = r.clone();
    for f in &mut moved.findings {
        for e in &mut f.evidence {
            e.at.line = e.at.line.map(|l| l + 40);
        }
    }
    let sarif2 = sarif_all(&moved);
    let fps2: Vec<&str> = sarif2["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["partialFingerprints"]["wasmfit/v1"].as_str().unwrap())
        .collect();
    assert_eq!(fps, fps2);
    // Suppressed places carry their reason.
    let sup: Vec<&Value> = results
        .iter()
        .filter(|x| x.get("suppressions").is_some())
        .collect();
    assert_eq!(sup.len(), 2);
    assert_eq!(sup[0]["suppressions"][0]["kind"], "inSource");
    assert!(sup[0]["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .starts_with("legacy path"));
    // Binary evidence: line 1 of the file, said so, and the symbol as
    // logical location.
    let bin = results.iter().find(|x| x["ruleId"] == "WF603").unwrap();
    let loc = &bin["locations"][0];
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 1);
    assert!(loc["physicalLocation"]["region"].get("snippet").is_none());
    assert!(bin["message"]["text"]
        .as_str()
        .unwrap()
        .contains("the location points at line 1"));
    assert_eq!(loc["logicalLocations"][0]["name"], "dlopen");
    // File names are percent-encoded URIs.
    let xss = results
        .iter()
        .find(|x| x["partialFingerprints"]["wasmfit/v1"] == "1111111111111111")
        .unwrap();
    let uri = xss["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(
        uri,
        "tests/data/no-such-tree/app/%3Cscript%3Ealert%281%29%3C/script%3E.py"
    );
    // Levels: counted blocker is an error, the test-context place a note.
    let levels: Vec<(&str, &str)> = results
        .iter()
        .map(|x| (x["ruleId"].as_str().unwrap(), x["level"].as_str().unwrap()))
        .collect();
    assert!(levels.contains(&("WF101", "error")) && levels.contains(&("WF101", "note")));
    assert!(levels.contains(&("ACME001", "warning")) && levels.contains(&("WF702", "note")));
}

#[test]
fn json_reports_validate_against_the_published_schema() {
    let v = validator("schema/report.schema.json");
    let mut failures = Vec::new();
    let mut reports = vec![("fixture".to_string(), fixture())];
    reports.extend(samples().into_iter().map(|s| (s.clone(), sample(&s))));
    for (name, r) in &reports {
        let json: Value = serde_json::from_str(&render(Format::Json, r)).unwrap();
        for e in violations(&v, &json) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "the report no longer matches schema/report.schema.json; document the change there (and in docs/json-schema.md):\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_published_schema_rejects_what_it_should() {
    let v = validator("schema/report.schema.json");
    let good: Value = serde_json::from_str(&render(Format::Json, &fixture())).unwrap();
    assert!(violations(&v, &good).is_empty());
    for (pointer, bad) in [
        ("/verdict", Value::from("maybe")),
        ("/findings/0/severity", Value::from("critical")),
        ("/findings/0/evidence/0/context", Value::from("prod")),
        ("/schema_version", Value::from("2.0")),
        ("/score", Value::from(101)),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).unwrap() = bad;
        assert!(!violations(&v, &doc).is_empty(), "{pointer} accepted");
    }
    let mut doc = good.clone();
    doc.as_object_mut().unwrap().remove("findings");
    assert!(
        !violations(&v, &doc).is_empty(),
        "missing findings accepted"
    );
}

#[test]
fn gitlab_issues_have_what_gitlab_needs() {
    let issues: Value = serde_json::from_str(&render(Format::Gitlab, &fixture())).unwrap();
    let issues = issues.as_array().unwrap();
    // Every place but the two suppressed ones.
    let places: usize = fixture().findings.iter().map(|f| f.evidence.len()).sum();
    assert_eq!(issues.len(), places - 2);
    let mut fps = std::collections::BTreeSet::new();
    for i in issues {
        for k in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {i}");
        }
        assert!(["blocker", "major", "minor", "info"].contains(&i["severity"].as_str().unwrap()));
        assert!(i["location"]["path"].is_string());
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(
            fps.insert(i["fingerprint"].as_str().unwrap().to_string()),
            "duplicate fingerprint"
        );
    }
}

/// Element and attribute names, in document order, or the parse error.
fn parse_xml(xml: &str) -> Result<Vec<String>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut names = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                }
                names.push(String::from_utf8_lossy(e.name().as_ref().as_bytes()).to_string());
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => return Err(e.to_string()),
            _ => {}
        }
    }
    Ok(names)
}

#[test]
fn junit_is_well_formed_with_a_case_per_rule() {
    let mut r = fixture();
    // Control characters from a scanned file must not break the XML.
    r.findings[0].evidence[0]
        .at
        .snippet
        .push_str("\u{1}\u{1b}[31m");
    let xml = render(Format::Junit, &r);
    let names = parse_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let cases = names.iter().filter(|n| *n == "testcase").count();
    assert_eq!(
        cases,
        rules().rules.len() + 1,
        "one per loaded rule plus ACME001"
    );
    // No gate set: the counted blockers fail.
    let failures = names.iter().filter(|n| *n == "failure").count();
    assert_eq!(
        failures,
        r.findings
            .iter()
            .filter(|f| f.counted && f.severity == Severity::Blocker)
            .count()
    );
    assert!(!xml.contains(XSS));
    assert!(
        !xml.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')),
        "a control character XML 1.0 forbids"
    );
    for s in samples() {
        let xml = render(Format::Junit, &sample(&s));
        parse_xml(&xml).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

#[test]
fn markdown_links_lines_and_escapes() {
    let opts = report::Options {
        link_base: Some("https://github.com/acme/svc/blob/abc123/".into()),
        ..report::Options::new(rules())
    };
    let md = Format::Markdown
        .renderer(&opts)
        .to_string(&fixture())
        .unwrap();
    assert!(md.starts_with("### wasmfit: STAY · 26/100"));
    assert!(
        md.contains(
            "(https://github.com/acme/svc/blob/abc123/tests/data/no-such-tree/Dockerfile#L4)"
        ),
        "{md}"
    );
    // Scanned text appears raw only inside code spans, where Markdown
    // renders it as text; everywhere else it is escaped.
    let outside = regex::Regex::new(r"(`+) .*? (`+)")
        .unwrap()
        .replace_all(&md, "");
    assert!(!outside.contains("<script"), "{outside}");
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{md}");
    assert!(md.contains("<details>"));
}

#[test]
fn markdown_lists_a_suppressed_place_only_with_its_reason() {
    let mut r = fixture();
    let f = r
        .findings
        .iter_mut()
        .find(|f| !f.suppressed && f.evidence.iter().any(|e| e.suppressed.is_some()))
        .expect("the fixture has a live finding with a suppressed place");
    // The suppressed place first, where the table's first places come from.
    f.evidence.sort_by_key(|e| e.suppressed.is_none());
    let live = f.evidence_total - 1;
    let id = f.rule_id.clone();
    let md = render(Format::Markdown, &r);
    let f = r.findings.iter().find(|x| x.rule_id == id).unwrap();
    let e = &f.evidence[0];
    let at = format!("{}:{}]", e.at.path, e.at.line.unwrap());
    let row = md
        .lines()
        .find(|l| l.starts_with("| ") && l.contains(&format!("| {} |", f.rule_id)))
        .expect("the finding's row");
    assert!(!row.contains(&at), "suppressed place listed as live: {row}");
    assert!(row.contains(&format!("+{} more", live - 3)), "{row}");
    let details = &md[md
        .find("Suppressed, with their reasons")
        .expect("suppressions")..];
    assert!(details.contains(&at), "{details}");
}

/// No element from the scanned tree: not a `<script`, not an event
/// handler attribute, and nothing that would load a resource.
fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script element");
    for bad in [
        "<iframe",
        "<img",
        "<link",
        "<object",
        "<embed",
        " onerror=",
        " onload=",
        "javascript:",
        "url(",
        "@import",
        "http://",
        "src=",
    ] {
        assert!(!lower.contains(bad), "{bad} in the report");
    }
    // The https:// that may appear is only text, never an attribute.
    assert!(!lower.contains("href=\"http"), "an external link");
    assert!(html.contains("Content-Security-Policy"));
}

#[test]
fn html_escapes_everything_from_the_fixture() {
    let html = render(Format::Html, &fixture());
    assert_inert(&html);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    for id in [
        "verdict",
        "score",
        "signals",
        "findings",
        "blockers",
        "capabilities",
        "runtime",
        "dependencies",
        "effort",
        "supply-chain",
        "bench",
        "deductions",
        "diagnostics",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
}

#[cfg(unix)]
#[test]
fn html_escapes_file_names_and_code_captured_from_the_tree() {
    // A tree whose file name and code are markup: the scan captures the
    // excerpt, the page shows it escaped.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app").join("<script>alert(1)<");
    std::fs::create_dir_all(&app).unwrap();
    let code = format!(
        "import subprocess\n# {XSS}\nsubprocess.run([\"ffmpeg\", \"{XSS}\"])\n</code></div>{XSS}\n"
    );
    std::fs::write(app.join("script>.py"), &code).unwrap();
    let r = wasmfit::scan::scan(dir.path(), &Default::default(), rules(), &|_, _| {}).unwrap();
    assert!(!r.excerpts.is_empty(), "no excerpt captured");
    let html = render(Format::Html, &r);
    assert!(html.contains("WF101"), "the subprocess call was not found");
    assert_inert(&html);
    assert!(
        html.contains("<span class=\"n\">2</span><code># &lt;script&gt;"),
        "the excerpt is not shown"
    );
    assert!(html.contains("&lt;&#x2f;code&gt;&lt;&#x2f;div&gt;"));
}

#[test]
fn html_excerpts_come_from_the_report_not_the_tree() {
    let r = sample("python-flask-ffmpeg");
    let html = render(Format::Html, &r);
    let marked = html.matches("class=\"l hit\"").count();
    let context = html.matches("class=\"l\"").count();
    assert!(
        marked > 0 && context > 0,
        "{marked} marked, {context} context lines"
    );
    // A saved report shows the same excerpts wherever it is rendered.
    let saved = report::json::parse(&render(Format::Json, &r)).unwrap();
    assert_eq!(render(Format::Html, &saved), html);
    // Without captured excerpts the page shows the stored lines only, even
    // with the tree right there: renderers never read files.
    let mut bare = r.clone();
    bare.excerpts.clear();
    bare.root = repo()
        .join("samples/python-flask-ffmpeg")
        .display()
        .to_string();
    let html = render(Format::Html, &bare);
    assert_eq!(html.matches("class=\"l\"").count(), 0);
    assert!(html.matches("class=\"l hit\"").count() > 0);
}

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env("NO_COLOR", "1")
        .env_remove("GITHUB_SHA")
        .env_remove("CI_COMMIT_SHA");
    c
}

fn one_line_exit_2(args: &[&str], stdin: Option<&str>) -> String {
    let mut c = wasmfit();
    c.args(args);
    if let Some(s) = stdin {
        c.write_stdin(s);
    }
    let out = c.assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("wasmfit: error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn report_command_renders_a_saved_report_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = repo().join("tests/data/fixture-report.json");
    for (format, marker) in [
        ("html", "<!DOCTYPE html>"),
        ("sarif", "\"version\": \"2.1.0\""),
        ("markdown", "### wasmfit: STAY"),
        ("junit", "<testsuites"),
        ("gitlab", "\"check_name\""),
        ("text", "STAY"),
        ("json", "\"schema_version\""),
    ] {
        let out: PathBuf = dir.path().join(format!("out.{format}"));
        wasmfit()
            .args(["report"])
            .arg(&fixture)
            .args(["--format", format, "-o"])
            .arg(&out)
            .assert()
            .success();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(marker), "{format}: {marker} missing");
    }
    // The saved JSON round-trips exactly.
    let again = wasmfit()
        .arg("report")
        .arg(&fixture)
        .args(["-f", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        report::json::parse(&String::from_utf8(again).unwrap()).unwrap(),
        self::fixture()
    );
    // Standard input works too.
    let text = std::fs::read_to_string(&fixture).unwrap();
    wasmfit()
        .args(["report", "-", "-f", "markdown"])
        .write_stdin(text)
        .assert()
        .success();
}

#[test]
fn report_command_refuses_what_is_not_a_wasmfit_report() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let err = one_line_exit_2(&["report", &write("x.json", "<html>")], None);
    assert!(err.contains("not JSON"), "{err}");
    let sarif = render(Format::Sarif, &fixture());
    let err = one_line_exit_2(&["report", &write("x.sarif", &sarif)], None);
    assert!(err.contains("not a wasmfit report"), "{err}");
    let future = render(Format::Json, &fixture())
        .replace("\"schema_version\": \"1.0\"", "\"schema_version\": \"2.0\"");
    let err = one_line_exit_2(&["report", &write("future.json", &future)], None);
    assert!(err.contains("schema version 2.0"), "{err}");
    let broken =
        render(Format::Json, &fixture()).replace("\"verdict\": \"stay\"", "\"verdict\": \"maybe\"");
    one_line_exit_2(&["report", &write("broken.json", &broken)], None);
    let err = one_line_exit_2(&["report", "/no/such/report.json"], None);
    assert!(err.contains("/no/such/report.json"), "{err}");
    one_line_exit_2(&["report", "-"], Some("{}"));
}

#[test]
fn scan_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let target = repo().join("samples/python-flask-ffmpeg");
    for format in ["html", "sarif", "markdown", "junit", "gitlab"] {
        let out = dir.path().join(format!("r.{format}"));
        wasmfit()
            .arg("scan")
            .arg(&target)
            .args(["--format", format, "-o"])
            .arg(&out)
            .assert()
            .success();
        assert!(std::fs::metadata(&out).unwrap().len() > 100, "{format}");
    }
}

/// What GitHub code scanning documents it needs from an uploaded SARIF
/// file, checked on every result of the fixture and of every sample.
#[test]
fn sarif_meets_what_github_code_scanning_needs() {
    let mut reports = vec![("fixture".to_string(), fixture())];
    reports.extend(samples().into_iter().map(|s| (s.clone(), sample(&s))));
    let mut failures = Vec::new();
    for (name, r) in &reports {
        let sarif = sarif_all(r);
        let run = &sarif["runs"][0];
        let ids = rule_ids(run);
        let bases = run["originalUriBaseIds"].as_object().unwrap();
        for (id, base) in bases {
            if let Some(uri) = base.get("uri").and_then(Value::as_str) {
                if !(uri.starts_with("file:///") && uri.ends_with('/')) {
                    failures.push(format!("{name}: base {id} is {uri}"));
                }
            }
        }
        let results = run["results"].as_array().unwrap();
        assert!(results.len() <= 25_000, "{name}: over GitHub's limit");
        for (i, res) in results.iter().enumerate() {
            let mut fail = |what: String| failures.push(format!("{name} result {i}: {what}"));
            let rule = res["ruleId"].as_str().unwrap_or("");
            if !ids.contains(&rule) {
                fail(format!("rule {rule} not in tool.driver.rules"));
            }
            if res["ruleIndex"].as_u64().map(|x| ids.get(x as usize)) != Some(Some(&rule)) {
                fail("ruleIndex does not point at its rule".into());
            }
            if !["error", "warning", "note"].contains(&res["level"].as_str().unwrap_or("")) {
                fail(format!("level {}", res["level"]));
            }
            if res["message"]["text"].as_str().is_none_or(str::is_empty) {
                fail("no message".into());
            }
            let fps = res["partialFingerprints"].as_object();
            if fps.is_none_or(|m| m.is_empty() || !m.values().all(Value::is_string)) {
                fail("no partialFingerprints".into());
            }
            let locations = res["locations"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if locations.is_empty() || locations.len() > 1000 {
                fail(format!("{} locations", locations.len()));
            }
            for loc in locations {
                let art = &loc["physicalLocation"]["artifactLocation"];
                let uri = art["uri"].as_str().unwrap_or("");
                let scheme = uri.split('/').next().is_some_and(|s| s.contains(':'));
                if uri.is_empty() || uri.starts_with('/') || scheme || uri.contains("..") {
                    fail(format!("uri {uri} is not relative"));
                }
                let base = art["uriBaseId"].as_str().unwrap_or("");
                if !bases.contains_key(base) {
                    fail(format!("uriBaseId {base:?} not in originalUriBaseIds"));
                }
                if name != "fixture"
                    && base == "%SRCROOT%"
                    && !uri.starts_with(&format!("samples/{name}/"))
                {
                    fail(format!("uri {uri} is not relative to the repository"));
                }
                if loc["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap_or(0)
                    < 1
                {
                    fail("no region.startLine".into());
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sarif_min_level_leaves_out_lower_levels() {
    let r = fixture();
    let levels = |min: report::sarif::Level| -> Vec<String> {
        let opts = report::Options {
            sarif_min_level: min,
            ..report::Options::new(rules())
        };
        let v: Value =
            serde_json::from_str(&Format::Sarif.renderer(&opts).to_string(&r).unwrap()).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["level"].as_str().unwrap().to_string())
            .collect()
    };
    use report::sarif::Level;
    let all = levels(Level::Note);
    let default = levels(Level::default());
    let errors = levels(Level::Error);
    assert!(all.iter().any(|l| l == "note"));
    assert!(!default.iter().any(|l| l == "note") && default.iter().any(|l| l == "warning"));
    assert!(errors.iter().all(|l| l == "error") && !errors.is_empty());
    assert_eq!(
        default.len(),
        all.iter().filter(|l| *l != "note").count(),
        "the default is warning and above"
    );
}

#[test]
fn scan_paths_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let svc = dir.path().join("services/api");
    std::fs::create_dir_all(&svc).unwrap();
    std::fs::write(
        svc.join("app.py"),
        "import subprocess\n\nsubprocess.run([\"ffmpeg\"])\n",
    )
    .unwrap();
    // An absolute path, as CI jobs pass `$PWD/...`.
    let scan = |format: &str| {
        let out = wasmfit()
            .arg("scan")
            .arg(&svc)
            .args(["-f", format])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let sarif: Value = serde_json::from_str(&scan("sarif")).unwrap();
    let run = &sarif["runs"][0];
    let uri = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(uri["uri"], "services/api/app.py");
    assert_eq!(uri["uriBaseId"], "%SRCROOT%");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let gitlab: Value = serde_json::from_str(&scan("gitlab")).unwrap();
    assert_eq!(gitlab[0]["location"]["path"], "services/api/app.py");
    let md = scan("markdown");
    assert!(md.contains("(services/api/app.py#L3)"), "{md}");
    let json: Value = serde_json::from_str(&scan("json")).unwrap();
    assert_eq!(json["repository"]["base"], "services/api");
    assert_eq!(json["repository"]["git"], true);
}

/// (failed cases, names of the failed cases, suite name) of a JUnit log.
fn junit_failures(xml: &str) -> (usize, Vec<String>, String) {
    parse_xml(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let case =
        regex::Regex::new(r#"(?s)<testcase classname="[^"]*" name="([^"]*)">\s*<failure"#).unwrap();
    let names: Vec<String> = case.captures_iter(xml).map(|c| c[1].to_string()).collect();
    let suite = regex::Regex::new(r#"<testsuite name="([^"]*)""#)
        .unwrap()
        .captures(xml)
        .unwrap()[1]
        .to_string();
    (names.len(), names, suite)
}

#[test]
fn junit_fails_what_the_gate_fails() {
    let r = fixture();
    let junit = |t: Thresholds, baseline: Option<&Report>| {
        let opts = report::Options {
            gate: wasmfit::cli::report::junit_gate(&r, baseline, &t),
            ..report::Options::new(rules())
        };
        junit_failures(&Format::Junit.renderer(&opts).to_string(&r).unwrap())
    };
    let on = |s: Severity| Thresholds {
        fail_on: Some(s),
        fail_under: None,
    };
    // No gate set: blockers fail, nothing else.
    let (n, names, suite) = junit(Thresholds::default(), None);
    assert_eq!(n, 1, "{names:?}");
    assert!(names[0].starts_with("WF101"));
    assert!(
        !suite.contains("26"),
        "the score is not in the suite name: {suite}"
    );
    // A minor finding passes under fail-on blocker, fails under fail-on minor.
    let (_, names, _) = junit(on(Severity::Blocker), None);
    assert!(!names.iter().any(|n| n.starts_with("ACME001")), "{names:?}");
    let (n, names, _) = junit(on(Severity::Minor), None);
    assert_eq!(n, 4, "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("ACME001")));
    // Against itself as the baseline nothing is new.
    let (n, _, _) = junit(on(Severity::Minor), Some(&r));
    assert_eq!(n, 0);
    // A score threshold is one more case.
    let (n, names, _) = junit(
        Thresholds {
            fail_on: None,
            fail_under: Some(50),
        },
        None,
    );
    assert_eq!(n, 1);
    assert!(names[0].starts_with("score 26"), "{names:?}");
}

#[test]
fn text_and_markdown_show_suppressed_places_with_their_reasons() {
    let r = fixture();
    let text = render(Format::Text, &r);
    assert!(text.contains("SUPPRESSED (2 places)"), "{text}");
    assert!(text.contains("legacy path, removed in Q3"), "{text}");
    assert!(
        text.contains("graceful shutdown only in containers"),
        "{text}"
    );
    assert!(text.contains("; 2 places suppressed"), "{text}");
    // After the counted findings.
    assert!(text.find("SUPPRESSED").unwrap() > text.find("MINOR").unwrap());
    let md = render(Format::Markdown, &r);
    assert!(md.contains("2 places suppressed"), "{md}");
    assert!(
        md.contains("<details><summary>Suppressed, with their reasons (2 places)</summary>"),
        "{md}"
    );
    assert!(
        md.contains("legacy path, removed in Q3 &lt;script&gt;"),
        "{md}"
    );
    let html = render(Format::Html, &r);
    assert!(html.contains("<b>2</b> suppressed places"));
}

#[test]
fn stay_reports_show_no_effort() {
    let stay = fixture();
    for format in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(format, &stay);
        assert!(!out.contains("person-days"), "{format:?}");
        assert!(out.contains("stays on containers"), "{format:?}");
    }
    let html = render(Format::Html, &stay);
    assert!(!regex::Regex::new(r"~[0-9.]+ d<").unwrap().is_match(&html));
    let porting = sample("java-spring-orders");
    assert_eq!(porting.verdict.id(), "porting");
    for format in [Format::Text, Format::Markdown, Format::Html] {
        assert!(
            render(format, &porting).contains("person-days"),
            "{format:?}"
        );
    }
}

#[test]
fn counts_read_in_the_singular_for_one() {
    let mut r = fixture();
    r.summary.files = 1;
    // 6 places listed, 1 of them suppressed (in its own section), 5
    // shown: of 7 in all, 1 more.
    r.findings[0].evidence_total = 7;
    let text = render(Format::Text, &r);
    assert!(text.contains("scanned 1 file ("), "{text}");
    assert!(text.contains("... and 1 more place\n"), "{text}");
    let html = render(Format::Html, &r);
    assert!(html.contains("Scanned 1 file ("));
}

/// Every (path, line number) shown in one finding's excerpts.
fn excerpt_lines(article: &str) -> Vec<(String, String)> {
    let place = regex::Regex::new(r#"(?s)<code class="path">([^<:]*)"#).unwrap();
    let number = regex::Regex::new(r#"<span class="n">(\d+)</span>"#).unwrap();
    let mut out = Vec::new();
    let starts: Vec<(usize, String)> = place
        .captures_iter(article)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
        .collect();
    for (i, (start, path)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(article.len(), |s| s.0);
        for n in number.captures_iter(&article[*start..end]) {
            out.push((path.clone(), n[1].to_string()));
        }
    }
    out
}

#[test]
fn html_excerpts_never_repeat_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let code: String = (1..=30)
        .map(|i| match i {
            10 | 12 => "subprocess.run(cmd)\n".to_string(),
            1 => "import subprocess\n".to_string(),
            _ => format!("x = {i}\n"),
        })
        .collect();
    std::fs::write(dir.path().join("app.py"), code).unwrap();
    let r = wasmfit::scan::scan(dir.path(), &Default::default(), rules(), &|_, _| {}).unwrap();
    let mut pages = vec![("tree".to_string(), render(Format::Html, &r))];
    pages.extend(samples().into_iter().map(|s| {
        let html = render(Format::Html, &sample(&s));
        (s, html)
    }));
    for (name, html) in &pages {
        for article in html.split("<article").skip(1) {
            let lines = excerpt_lines(article);
            let unique: std::collections::BTreeSet<_> = lines.iter().collect();
            assert_eq!(unique.len(), lines.len(), "{name}: a line shown twice");
        }
    }
    // Lines 10 and 12: one excerpt with both marked.
    let html = &pages[0].1;
    let card = html
        .split("<article")
        .skip(1)
        .find(|a| a.contains("id=\"finding-WF101\""))
        .unwrap();
    assert_eq!(card.matches("class=\"l hit\"").count(), 3, "{card}");
    assert!(card.contains("Line 12 is shown above."), "{card}");
}

#[test]
fn rules_table_columns_line_up() {
    let out = wasmfit()
        .arg("rules")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    let header = lines[0];
    let cols: Vec<usize> = ["SEVERITY", "CATEGORY", "CAPABILITY", "TITLE"]
        .iter()
        .map(|c| header.find(c).unwrap())
        .collect();
    for line in &lines[1..] {
        for &c in &cols {
            let b = line.as_bytes();
            assert!(
                b[c - 1] == b' ' && b[c] != b' ',
                "column at {c} not aligned: {line}"
            );
        }
    }
    assert!(lines.len() > 20);
}
