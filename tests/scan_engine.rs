//! The scan engine on inputs built to stress it: the literal prefilter (what
//! it lets through and the patterns it cannot filter), a tree thousands of
//! directories deep with ignore files, a large C file, ignore files that are
//! symlinks out of the tree. Each test builds its input itself.

use std::path::Path;
use std::time::Instant;
use wasmfit::analyze::matcher::Engine;
use wasmfit::model::language::Language;
use wasmfit::model::Report;
use wasmfit::rules::RuleSet;

fn scan(dir: &Path) -> Report {
    let rules = RuleSet::builtin().unwrap();
    wasmfit::scan::scan(dir, &Default::default(), &rules, &|_, _| {}).unwrap()
}

fn rule_ids(r: &Report) -> Vec<String> {
    r.findings.iter().map(|f| f.rule_id.clone()).collect()
}

/// Patterns with no literal run on every file of their language, so each
/// one costs every scan. The list is printed here so that adding one is a
/// visible decision, not an accident.
#[test]
fn patterns_without_a_literal_are_listed() {
    let rules = RuleSet::builtin().unwrap();
    let engine = Engine::new(&rules);
    let unfiltered = engine.unfiltered_patterns();
    assert_eq!(unfiltered.len(), 0, "{unfiltered:#?}");
}

#[test]
fn prefilter_skips_files_without_a_needed_literal() {
    let rules = RuleSet::builtin().unwrap();
    let engine = Engine::new(&rules);
    let plain =
        b"fn main() {\n    let total: u32 = (1..10).sum();\n    println!(\"{total}\");\n}\n";
    assert!(engine.candidates(Language::Rust, plain).is_empty());
    // In a comment the literal still makes the file a candidate: the raw
    // bytes are a superset of the code view, and the lexer decides.
    let commented = b"// std::process::Command::new(\"ls\")\nfn main() {}\n";
    assert!(!engine.candidates(Language::Rust, commented).is_empty());
}

/// Case-insensitive literals are found whatever the case of the file.
#[test]
fn prefilter_is_case_insensitive_and_finds_the_hit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.py"),
        "import subprocess\n\ndef run():\n    subprocess.run(['ffmpeg', '-i', 'x'])\n",
    )
    .unwrap();
    assert!(rule_ids(&scan(dir.path())).contains(&"WF101".to_string()));
}

/// Issue: the walk re-read every ancestor's ignore file for every entry,
/// quadratic in depth (39 s for 5,000 levels). A tree 1,500 levels deep
/// with a file on each level and ignore files on the way must be walked
/// with every file found and the ignored ones left out. A hang guard, not
/// a speed target: the quadratic walk takes minutes here in a debug build.
#[test]
fn deep_tree_walk_is_linear_in_depth() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = dir.path().to_path_buf();
    std::fs::write(p.join(".gitignore"), "*.log\n").unwrap();
    for i in 0..1500 {
        p.push("d");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("m.py"), "import os\n").unwrap();
        std::fs::write(p.join("x.log"), "").unwrap();
        if i % 500 == 0 {
            std::fs::write(p.join(".gitignore"), "skip.py\n").unwrap();
            std::fs::write(p.join("skip.py"), "import os\n").unwrap();
        }
    }
    let start = Instant::now();
    let r = scan(dir.path());
    assert!(
        start.elapsed().as_secs() < 120,
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(r.summary.files, 1500, "{:?}", r.diagnostics.first());
}

/// A `.gitignore` that is a symlink could name any file on the host; it is
/// not read, so a host file cannot decide what is scanned.
#[test]
fn symlinked_gitignore_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("ignore"), "*.py\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.py"), "import os\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("ignore"), dir.path().join(".gitignore"))
        .unwrap();
    let r = scan(dir.path());
    assert_eq!(r.summary.files, 1);
}

/// Issue: C files fell back to the slowest regex engine (a Unicode word
/// boundary in a large pattern set), 17 s for 4 MB. Patterns over the code
/// view now compile without Unicode. A hang guard on a 3.9 MB C file (the
/// default limit for text files is 4 MiB) that
/// contains one hit at its end, which must still be found.
#[test]
fn large_c_file_scans_and_finds_its_hit() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from("#include <stdio.h>\n");
    let mut i = 0;
    while src.len() < 3_900_000 {
        src.push_str(&format!(
            "static int handler_{i}(struct req *r) {{ /* entry {i} */ return lookup(r, \"k{i}\"); }}\n"
        ));
        i += 1;
    }
    src.push_str("int spawn(void) { return fork(); }\n");
    std::fs::write(dir.path().join("big.c"), &src).unwrap();
    let start = Instant::now();
    let r = scan(dir.path());
    assert!(
        start.elapsed().as_secs() < 120,
        "took {:?}",
        start.elapsed()
    );
    let hit = r
        .findings
        .iter()
        .flat_map(|f| &f.evidence)
        .any(|e| e.at.snippet.contains("fork()"));
    assert!(hit, "{:?}", rule_ids(&r));
}

/// Code inside string interpolation runs, so it is scanned: a process
/// spawned from a template literal, an f-string, a Kotlin or C# template,
/// Ruby, PHP or Elixir interpolation is the spawn finding (WF101). The same
/// text in a string that does not interpolate is text, and finds nothing.
#[test]
fn interpolated_code_is_scanned_and_plain_strings_are_not() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "app.js",
            "const out = `${require(\"child_process\").spawnSync(\"ffmpeg\")}`;\n",
            "const out = \"${require('child_process').spawnSync('ffmpeg')}\";\n",
        ),
        (
            "app.ts",
            "export const out = `done: ${execFileSync(\"ffmpeg\", [src])}`;\n",
            "export const out = \"done: ${execFileSync('ffmpeg', [src])}\";\n",
        ),
        (
            "app.py",
            "print(f\"{os.system('ffmpeg')}\")\n",
            "print(\"{os.system('ffmpeg')}\")\n",
        ),
        (
            "App.kt",
            "val out = \"${ProcessBuilder(\"ffmpeg\").start()}\"\n",
            "val out = \"\\${ProcessBuilder(\\\"ffmpeg\\\").start()}\"\n",
        ),
        (
            "App.cs",
            "class A { string S() => $\"{Process.Start(\"ffmpeg\")}\"; }\n",
            "class A { string S() => \"{Process.Start(ffmpeg)}\"; }\n",
        ),
        (
            "app.rb",
            "out = \"#{system(\"ffmpeg\")}\"\n",
            "out = '#{system(\"ffmpeg\")}'\n",
        ),
        (
            "app.php",
            "<?php\n$out = \"{$r->run(shell_exec('ffmpeg'))}\";\n",
            "<?php\n$out = '{$r->run(shell_exec(\"ffmpeg\"))}';\n",
        ),
        (
            "lib/app.ex",
            "defmodule A do\n  def s, do: \"#{System.cmd(\"ffmpeg\", [])}\"\nend\n",
            "defmodule A do\n  def s, do: \"\\#{System.cmd(ffmpeg)}\"\nend\n",
        ),
    ];
    for (name, interpolated, plain) in cases {
        for (text, spawns) in [(interpolated, true), (plain, false)] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            let ids = rule_ids(&scan(dir.path()));
            assert_eq!(
                ids.contains(&"WF101".to_string()),
                spawns,
                "{name}: {text:?} -> {ids:?}"
            );
        }
    }
}
