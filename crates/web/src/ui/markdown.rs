//! Markdown to safe HTML, for text the UI shows as formatted (the operating model of a
//! charter, which quotes what partners typed). pulldown-cmark renders CommonMark with
//! tables; ammonia then removes anything that could run or load (scripts, event handlers,
//! `javascript:` links, inline styles). Every partner-supplied Markdown goes through
//! `render`; nothing here reads the store.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// `markdown` as sanitised HTML: headings, lists, tables, emphasis, links and quotes kept,
/// anything executable removed. Headings start at `<h2>`: the page around it has its `<h1>`.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: nested(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(nested(level))),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

/// One heading level down, `<h6>` staying `<h6>`.
fn nested(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn structure_is_kept() {
        let html = render(
            "# Title\n\n## Goals\n\n- **We**: grow\n- b & c\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n_Missing: who buys_\n",
        );
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<h3>Goals</h3>"), "{html}");
        assert!(
            html.contains("<li><strong>We</strong>: grow</li>"),
            "{html}"
        );
        assert!(html.contains("<li>b &amp; c</li>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<th>a</th>"), "{html}");
        assert!(html.contains("<td>1</td>"), "{html}");
        assert!(html.contains("<em>Missing: who buys</em>"), "{html}");
    }

    #[test]
    fn scripts_and_script_links_are_removed() {
        let html = render(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>\n\n<b onclick=\"alert(5)\">bold</b>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert(1)"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("Hello"), "{html}");
    }

    #[test]
    fn our_stored_images_and_files_keep_their_relative_addresses() {
        let html = render("![diagram](/files/fil_1)\n\n[guide](/files/fil_2)");
        assert!(
            html.contains("<img src=\"/files/fil_1\" alt=\"diagram\">"),
            "{html}"
        );
        assert!(html.contains("href=\"/files/fil_2\""), "{html}");
    }

    #[test]
    fn plain_text_is_escaped() {
        let html = render("a < b > c");
        assert!(html.contains("a &lt; b &gt; c"), "{html}");
    }
}
