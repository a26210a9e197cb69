//! The report as a list of [`Block`]s, rendered as Markdown, and that Markdown as
//! an offline HTML page (pulldown-cmark; inline CSS, no external links).

use std::fmt::Write as _;

use pulldown_cmark::{html, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

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

/// Text from data or the manifest (a title, a class name, a path, a message) as
/// Markdown that renders as exactly that text: no HTML, link, emphasis or code.
/// Backslash-escapes `\`, `` ` ``, `*`, `[`, `]`, `<`, `>`, `&`, `#`, and an `_` that
/// is not between two letters or digits (`dense_1` stays as it is); control characters become spaces,
/// so the text cannot start a block of its own. `|` is left to [`md_cell`].
pub(super) fn md_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let intraword =
            |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '#' => {
                o.push('\\');
                o.push(c);
            }
            '_' if !(intraword(i.checked_sub(1)) && intraword(Some(i + 1))) => o.push_str("\\_"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
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

/// The page's only style, inline so that the report needs nothing online. Pictures
/// and wide tables fit a phone's screen.
const CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4;color:#222;overflow-wrap:break-word}\
table{border-collapse:collapse;margin:.5em 0 1em;display:block;overflow-x:auto}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}\
th{background:#eee}img{max-width:100%;height:auto;border:1px solid #ddd}\
blockquote{background:#fff3cd;border-left:4px solid #e0a800;margin:1em 0;padding:.4em .8em}blockquote p{margin:0}\
nav.toc{background:#f6f8fa;border:1px solid #ddd;padding:.5em 1em;margin:1em 0}nav.toc ul{margin:.2em 0;padding-left:1.4em}\
h2{border-bottom:1px solid #ccc;margin-top:2em}code{background:#f4f4f4}";

/// The report as a standalone HTML page (`index.html`) titled `title`: `markdown`
/// (the text of `index.md`) rendered by pulldown-cmark, each heading given an id and
/// listed in a table of contents after the first one.
pub(super) fn to_html(title: &str, markdown: &str) -> String {
    let mut events: Vec<Event> = inert(Parser::new_ext(markdown, Options::ENABLE_TABLES));
    let headings = name_headings(&mut events);
    let toc_at = events
        .iter()
        .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
        .map_or(0, |i| i + 1);
    let mut toc = vec![Event::Html(
        "<nav class=\"toc\" aria-label=\"Contents\">\n<p><strong>Contents</strong></p>\n".into(),
    )];
    toc.extend(toc_events(&headings));
    toc.push(Event::Html("</nav>\n".into()));
    events.splice(toc_at..toc_at, toc);

    let mut o = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    html::push_html(&mut o, std::iter::once(Event::Text(title.into())));
    let _ = write!(o, "</title>\n<style>{CSS}</style>\n</head>\n<body>\n");
    html::push_html(&mut o, events.into_iter());
    o.push_str("</body>\n</html>\n");
    o
}

/// The parsed report with nothing live in it: raw HTML is shown as text, and a link
/// or picture leads only to an anchor of the page (`#…`) or a picture beside it
/// (`img/…`); any other (`javascript:`, another site) is dropped, its text kept.
fn inert<'a>(parser: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let local = |url: &str| {
        url.starts_with('#')
            || (url.starts_with("img/")
                && !url.contains("..")
                && url.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)))
    };
    let mut out = Vec::new();
    // Whether each open link or picture was dropped, so that its end is dropped too.
    let mut open: Vec<bool> = Vec::new();
    for e in parser {
        match e {
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h)),
            Event::Start(Tag::Link { ref dest_url, .. })
            | Event::Start(Tag::Image { ref dest_url, .. }) => {
                let keep = local(dest_url);
                open.push(keep);
                if keep {
                    out.push(e);
                }
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if open.pop().unwrap_or(false) {
                    out.push(e);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A heading of the page: its level, its id, and its inline content (text, code).
struct Heading<'a> {
    level: HeadingLevel,
    id: String,
    content: Vec<Event<'a>>,
}

/// Gives every heading an id made from its text (`Run `mlp`` → `run-mlp`; a repeated
/// one gets `-1`, `-2`, …) and returns the headings in order.
fn name_headings<'a>(events: &mut [Event<'a>]) -> Vec<Heading<'a>> {
    let mut headings = Vec::new();
    let mut taken = std::collections::HashSet::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, .. }) = events[i] else {
            i += 1;
            continue;
        };
        let end = (i..events.len())
            .find(|&j| matches!(events[j], Event::End(TagEnd::Heading(_))))
            .unwrap_or(events.len());
        let content = events[i + 1..end].to_vec();
        let text: String = content
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let base = slug(&text);
        let id = (0..)
            .map(|n| if n == 0 { base.clone() } else { format!("{base}-{n}") })
            .find(|id| !taken.contains(id))
            .expect("an unused id");
        taken.insert(id.clone());
        if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
            *slot = Some(id.clone().into());
        }
        headings.push(Heading { level, id, content });
        i = end;
    }
    headings
}

/// GitHub's way of naming an anchor: lower case, spaces to `-`, letters, digits,
/// `-` and `_` kept, the rest dropped.
fn slug(text: &str) -> String {
    let id: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' | '-' => Some('-'),
            c if c.is_alphanumeric() || c == '_' => Some(c),
            _ => None,
        })
        .collect();
    if id.is_empty() {
        "section".into()
    } else {
        id
    }
}

/// The table of contents: the headings below the title as nested lists of links.
fn toc_events<'a>(headings: &[Heading<'a>]) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    // The heading level of each open list; each open list has an open item.
    let mut lists: Vec<HeadingLevel> = Vec::new();
    for h in headings.iter().filter(|h| h.level > HeadingLevel::H1) {
        while lists.last().is_some_and(|&l| l > h.level) {
            out.extend([Event::End(TagEnd::Item), Event::End(TagEnd::List(false))]);
            lists.pop();
        }
        if lists.last() == Some(&h.level) {
            out.push(Event::End(TagEnd::Item));
        } else {
            out.push(Event::Start(Tag::List(None)));
            lists.push(h.level);
        }
        out.push(Event::Start(Tag::Item));
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: format!("#{}", h.id).into(),
            title: "".into(),
            id: "".into(),
        }));
        out.extend(h.content.iter().cloned());
        out.push(Event::End(TagEnd::Link));
    }
    for _ in lists {
        out.extend([Event::End(TagEnd::Item), Event::End(TagEnd::List(false))]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_renders_the_markdown_with_ids_and_a_table_of_contents() {
        let doc = vec![
            Block::Heading(1, "Lab report".into()),
            Block::Para("Written by `pipeline report`.".into()),
            Block::Heading(2, "Leaderboard".into()),
            Block::Table(vec!["run".into(), "a|b".into()], vec![vec!["`mlp`".into(), "1".into()]]),
            Block::Heading(2, "1. Raw-pixel MLP".into()),
            Block::Heading(4, "Run `mlp`".into()),
            Block::Note("SYNTHETIC data".into()),
            Block::Image { alt: "mlp: curves".into(), src: "img/mlp-curves.png".into() },
            Block::Heading(3, "Variants".into()),
            Block::Heading(3, "Variants".into()),
        ];
        let html = to_html("Lab & <report>", &to_markdown(&doc));
        for part in [
            "<title>Lab &amp; &lt;report&gt;</title>",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "img{max-width:100%;height:auto;",
            "<p>Written by <code>pipeline report</code>.</p>",
            "<h2 id=\"leaderboard\">Leaderboard</h2>",
            "<h4 id=\"run-mlp\">Run <code>mlp</code></h4>",
            "<h3 id=\"variants\">Variants</h3>",
            "<h3 id=\"variants-1\">Variants</h3>",
            "<th>a|b</th>",
            "<td><code>mlp</code></td>",
            "<blockquote>\n<p><strong>SYNTHETIC data</strong></p>\n</blockquote>",
            "<img src=\"img/mlp-curves.png\" alt=\"mlp: curves\" />",
            // Contents: h2 entries, the h4 and h3s nested under the experiment.
            "<li><a href=\"#leaderboard\">Leaderboard</a></li>\n<li><a href=\"#1-raw-pixel-mlp\">1. Raw-pixel MLP</a>\n<ul>\n<li><a href=\"#run-mlp\">Run <code>mlp</code></a></li>\n</ul>\n<ul>\n<li><a href=\"#variants\">Variants</a></li>\n<li><a href=\"#variants-1\">Variants</a></li>\n</ul>\n</li>",
        ] {
            assert!(html.contains(part), "{part:?} not in:\n{html}");
        }
        assert!(!html.contains('`'), "no Markdown left over:\n{html}");
        let toc = html.find("<nav class=\"toc\"").unwrap();
        assert!(html.find("</h1>").unwrap() < toc && toc < html.find("<h2").unwrap());
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(slug("2. Pneumonia — SYNTHETIC data"), "2-pneumonia--synthetic-data");
        assert_eq!(slug("Weights of mlp-units_300"), "weights-of-mlp-units_300");
        assert_eq!(slug("…"), "section");
    }
}
