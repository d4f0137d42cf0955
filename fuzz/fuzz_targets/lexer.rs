//! The lexer and source parser of every language on arbitrary text (with
//! the Flask command spans and shell `exec` lines it finds, and Python's
//! call graph, and Go's declarations); the first byte picks the language. The code view must keep the text's
//! length so offsets still point at the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::context::Context;
use wasmfit::model::language::Language;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let lang = Language::ALL[pick as usize % Language::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (view, _out) = wasmfit::parse::source::parse(lang, "src/file", &text, Context::Service);
    // Offsets into the code view are offsets into the text: evidence lines
    // and snippets are read from the text with them.
    assert_eq!(view.code.len(), text.len(), "{lang:?}");
    for c in &view.comments {
        assert!(c.start <= c.end && c.end <= text.len(), "{lang:?} comment {c:?}");
    }
    for c in &view.command_spans {
        assert!(c.start <= c.end && c.end <= text.len(), "{lang:?} command {c:?}");
    }
    for s in &view.strings {
        assert!(s.start <= text.len(), "{lang:?} string at {}", s.start);
    }
    if lang == Language::Go {
        let go = wasmfit::parse::go_names::file(&view);
        let lines = text.matches('\n').count() as u32 + 1;
        let mut previous = 0;
        for d in &go.decls {
            assert!(previous < d.first && d.first <= d.last && d.last <= lines, "{d:?}");
            previous = d.last;
        }
        for (line, _) in &go.imports {
            assert!(*line >= 1 && *line <= lines, "import at {line}");
        }
    }
    if lang == Language::Python {
        if let Some(calls) = wasmfit::parse::calls::python(&view) {
            let lines = text.matches('\n').count() as u32 + 1;
            let mut previous = 0;
            for d in &calls.defs {
                assert!(previous < d.first && d.first <= d.last && d.last <= lines, "{d:?}");
                previous = d.last;
            }
            for u in &calls.uses {
                assert!(u.within.is_none_or(|i| (i as usize) < calls.defs.len()), "{u:?}");
                assert!(u.line >= 1 && u.line <= lines, "{u:?}");
            }
        }
    }
});
