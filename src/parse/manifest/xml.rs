//! A thin event loop over quick-xml shared by pom.xml and *.csproj: element
//! path, text content with entities resolved, and the byte offset where each
//! element starts, so the format modules only say what they look for.
//!
//! quick-xml never expands DTD entities, so an XML "billion laughs" costs
//! nothing; it streams, so a huge file costs time linear in its size.

use super::Sink;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// What the walk reports to a format module.
pub(crate) enum Xml<'e, 'a> {
    /// An element opened (or an empty element `<x/>`, followed at once by its
    /// `Close`), with its start offset.
    Open {
        path: &'e [String],
        element: &'e BytesStart<'a>,
        offset: usize,
    },
    /// An element closed; `text` is its direct text content.
    Close { path: &'e [String], text: &'e str },
}

/// Walks the document, calling `visit` for every element. A syntax error
/// ends the walk with one `Malformed` diagnostic; what was seen is kept.
pub(crate) fn walk(sink: &mut Sink, what: &str, mut visit: impl FnMut(Xml<'_, '_>)) {
    let text = sink.text;
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(e.local_name().as_ref().to_string());
                buf.clear();
                visit(Xml::Open {
                    path: &path,
                    element: &e,
                    offset,
                });
            }
            Ok(Event::Empty(e)) => {
                path.push(e.local_name().as_ref().to_string());
                visit(Xml::Open {
                    path: &path,
                    element: &e,
                    offset,
                });
                visit(Xml::Close {
                    path: &path,
                    text: "",
                });
                path.pop();
                buf.clear();
            }
            Ok(Event::End(_)) => {
                visit(Xml::Close {
                    path: &path,
                    text: buf.trim(),
                });
                path.pop();
                buf.clear();
            }
            Ok(Event::Text(t)) => buf.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) => buf.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => match r.resolve_char_ref() {
                Ok(Some(c)) => buf.push(c),
                _ => {
                    let name = r.xml10_content();
                    buf.push(match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => '?',
                    });
                }
            },
            Ok(Event::Eof) => {
                if let Some(open) = path.last() {
                    sink.malformed(format!("{what}: <{open}> is never closed"));
                }
                break;
            }
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(0);
                let line = sink.line_of(at);
                sink.malformed(format!("{what}: invalid XML at line {line}: {e}"));
                break;
            }
        }
    }
}

/// An attribute's value by case-insensitive local name (MSBuild ignores
/// case).
pub(crate) fn attr(element: &BytesStart, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case(name))
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Whether `path` ends with `suffix`.
pub(crate) fn ends_with(path: &[String], suffix: &[&str]) -> bool {
    path.len() >= suffix.len()
        && path[path.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(a, b)| a == b)
}

/// Whether `path` is exactly `want`.
pub(crate) fn is(path: &[String], want: &[&str]) -> bool {
    path.len() == want.len() && ends_with(path, want)
}
