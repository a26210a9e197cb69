//! The report as a list of [`Block`]s, rendered both as Markdown and as an
//! offline HTML page (inline CSS, no external links).

use std::fmt::Write as _;

/// One block of the report: a heading (its level and text), a paragraph, a list,
/// a table (header row, rows), a picture (relative link).
#[derive(Debug, Clone)]
pub(super) enum Block {
    Heading(u8, String),
    Para(String),
    /// A paragraph that must stand out (SYNTHETIC, overfitting, missing outputs).
    Note(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
    Image {
        alt: String,
        src: String,
    },
}

/// A table cell's text with `|` escaped and on one line.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown (`index.md`).
pub(super) fn to_markdown(doc: &[Block]) -> String {
    let mut o = String::new();
    for b in doc {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "{} {t}\n", "#".repeat(*l as usize));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "{t}\n");
            }
            Block::Note(t) => {
                let _ = writeln!(o, "> **{t}**\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(o, "- {i}");
                }
                o.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    o,
                    "| {} |",
                    head.iter().map(|h| md_cell(h)).collect::<Vec<_>>().join(" | ")
                );
                let _ = writeln!(o, "|{}", head.iter().map(|_| "---|").collect::<String>());
                for r in rows {
                    let _ = writeln!(
                        o,
                        "| {} |",
                        r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
                o.push('\n');
            }
            Block::Image { alt, src } => {
                let _ = writeln!(o, "![{alt}]({src})\n");
            }
        }
    }
    o
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page's only style, inline so that the report needs nothing online.
const CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}\
th{background:#eee}img{max-width:100%;border:1px solid #ddd}.note{background:#fff3cd;border-left:4px solid #e0a800;padding:.4em .8em}\
h2{border-bottom:1px solid #ccc;margin-top:2em}code{background:#f4f4f4}";

/// The report as a standalone HTML page (`index.html`) titled `title`.
pub(super) fn to_html(title: &str, doc: &[Block]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>", esc(title));
    for b in doc {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "<h{l}>{}</h{l}>", esc(t));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "<p>{}</p>", esc(t));
            }
            Block::Note(t) => {
                let _ = writeln!(o, "<p class=\"note\"><strong>{}</strong></p>", esc(t));
            }
            Block::List(items) => {
                o.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(o, "<li>{}</li>", esc(i));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                o.push_str("<table>\n<tr>");
                for h in head {
                    let _ = write!(o, "<th>{}</th>", esc(h));
                }
                o.push_str("</tr>\n");
                for r in rows {
                    o.push_str("<tr>");
                    for c in r {
                        let _ = write!(o, "<td>{}</td>", esc(c));
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</table>\n");
            }
            Block::Image { alt, src } => {
                let _ = writeln!(o, "<p><img src=\"{}\" alt=\"{}\"></p>", esc(src), esc(alt));
            }
        }
    }
    o.push_str("</body>\n</html>\n");
    o
}
