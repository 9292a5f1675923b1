//! Issue 24: the browsable API page at `/v1/docs`, drawn by the server from the same description
//! `/v1/openapi.json` serves: every operation and schema on it with a working anchor, every text
//! escaped, nothing fetched from elsewhere and no script, readable at 1440 px and 390 px (headless
//! Chromium screenshots in target/screens/openapi-*.png).

mod common;
mod webkit;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use server::openapi::page::{esc, operation_anchor, render, schema_anchor};

const METHODS: [&str; 8] = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];

/// Every `id="…"` of a page.
fn ids(html: &str) -> BTreeSet<String> {
    html.split(" id=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

/// Every in-page link target (`href="#…"`).
fn fragments(html: &str) -> BTreeSet<String> {
    html.split("href=\"#").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

/// The page's markup is only the elements the renderer writes: any other `<` would be text from the
/// description that escaped its escaping.
fn assert_only_known_tags(html: &str) {
    const KNOWN: [&str; 37] = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "p", "span",
        "a", "details", "summary", "div", "nav", "main", "section", "article", "ul", "ol", "li", "code", "table",
        "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "em", "strong",
    ];
    for (at, _) in html.match_indices('<') {
        let rest = &html[at + 1..];
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(
            KNOWN.contains(&name.as_str()),
            "unexpected markup <{name} at byte {at}: {:?}",
            &html[at..(at + 80).min(html.len())]
        );
    }
}

#[test]
fn docs_page_lists_every_operation_and_schema_with_working_anchors() {
    let dir = tempfile::tempdir().expect("dir");
    let server = common::start(dir.path());
    let spec = webkit::http(&server.addr, "GET", "/v1/openapi.json", &[], b"");
    assert_eq!(spec.status, 200);
    let spec: Value = serde_json::from_slice(&spec.body).expect("openapi.json is JSON");
    let page = webkit::http(&server.addr, "GET", "/v1/docs", &[], b"");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{:?}", page.headers);
    // Self-contained and script-free, and the browser is told so.
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    let html = page.text();
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("src=\""), "nothing loaded: no image, script or frame");
    assert!(!html.contains("href=\"http") && !html.contains("href=\"//"), "no link to another site");
    assert!(!html.contains("<link"), "no outside style sheet");
    assert!(html.contains("href=\"/v1/openapi.json\""), "links the JSON description");
    assert_only_known_tags(&html);

    let ids = ids(&html);
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let marker = format!("data-method=\"{method}\" data-path=\"{}\"", esc(path));
            assert_eq!(html.matches(&marker).count(), 1, "{method} {path} is on the page once");
            let anchor = operation_anchor(method, path);
            assert!(ids.contains(&anchor), "{method} {path} has its anchor #{anchor}");
            assert!(html.contains(&format!("href=\"#{anchor}\"")), "the contents link {method} {path}");
            if let Some(id) = op["operationId"].as_str() {
                assert!(html.contains(&format!("operationId <code>{}</code>", esc(id))), "{method} {path}: {id}");
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("parameter name");
                let section = &html[html.find(&marker).expect("operation")..];
                let section = &section[..section.find("</article>").expect("end of the operation")];
                assert!(section.contains(&format!("<code>{}</code>", esc(name))), "{method} {path}: parameter {name}");
            }
        }
    }
    // The page's own operations at least; the areas add theirs (server/src/openapi/*.rs).
    assert!(operations >= 2, "the description has operations");
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    for name in schemas.keys() {
        assert!(ids.contains(&schema_anchor(name)), "schema {name} has an anchor");
    }
    // Every in-page link lands somewhere, in particular every `$ref`.
    for target in fragments(&html) {
        assert!(ids.contains(&target), "link #{target} has no target");
    }
    assert!(html.contains(&format!("href=\"#{}\"", schema_anchor("ErrorBody"))), "the error body's $ref is a link");
}

/// A description with markup in every place text goes comes out as text.
#[test]
fn docs_page_escapes_everything_from_the_description() {
    let evil = "<script>alert(1)</script>";
    let spec: utoipa::openapi::OpenApi = serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": { "title": "A <b>bold</b> API", "version": "1\"><i>", "description": format!("Intro {evil} and `<code>`") },
        "tags": [{ "name": "t<x>", "description": "tag & co" }],
        "paths": {
            "/v1/things/{id}": {
                "post": {
                    "tags": ["t<x>"],
                    "operationId": "op\"id",
                    "summary": "Summary <img src=x onerror=alert(1)>",
                    "description": "Line `a<b` & more",
                    "parameters": [
                        { "name": "id", "in": "path", "required": true, "description": "an <id>",
                          "schema": { "type": "string", "pattern": "^[a-z]+<$", "example": "</td>" } },
                        { "name": "q\"", "in": "query", "required": false, "schema": { "type": "string", "enum": ["<a>", "b&c"] } }
                    ],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Evil" } } } },
                    "responses": {
                        "200": { "description": "ok <em>", "headers": { "X-<h>": { "schema": { "type": "string" }, "description": "h&" } },
                                 "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Evil" } } } }
                    }
                }
            }
        },
        "components": { "schemas": {
            "Evil": {
                "type": "object",
                "description": "Evil's <description>",
                "required": ["<img src=x>"],
                "properties": {
                    "<img src=x>": { "type": ["string", "null"], "description": "prop </table>", "default": "<p>" },
                    "kind": { "type": "string", "enum": ["</code>", "x'y"] }
                }
            }
        } }
    }))
    .expect("a description");
    let html = render(&spec);
    assert_only_known_tags(&html);
    for raw in
        [evil, "<b>bold", "<img", "<id>", "</td>\"", "ok <em>", "<description>", "prop </table>", "X-<h>", "\"><i>"]
    {
        assert!(!html.contains(raw), "{raw:?} went out as markup");
    }
    for escaped in [
        "A &lt;b&gt;bold&lt;/b&gt; API",
        "Intro &lt;script&gt;alert(1)&lt;/script&gt; and <code>&lt;code&gt;</code>",
        "Summary &lt;img src=x onerror=alert(1)&gt;",
        "Line <code>a&lt;b</code> &amp; more",
        "an &lt;id&gt;",
        "<code>q&quot;</code>",
        "<code>&lt;a&gt;</code>, <code>b&amp;c</code>",
        "pattern <code>^[a-z]+&lt;$</code>",
        "example <code>&quot;&lt;/td&gt;&quot;</code>",
        "operationId <code>op&quot;id</code>",
        "<code>&lt;img src=x&gt;</code>",
        "prop &lt;/table&gt;",
        "<code>&lt;/code&gt;</code>, <code>x&#39;y</code>",
        "data-path=\"/v1/things/{id}\"",
    ] {
        assert!(html.contains(escaped), "{escaped:?} is on the page:\n{html}");
    }
    // The $ref is a link to the schema's table, the property marked required and nullable.
    assert!(html.contains("<a class=\"ref\" href=\"#schema-Evil\">Evil</a>"));
    assert!(html.contains("id=\"schema-Evil\""));
    let row = &html[html.find("<code>&lt;img src=x&gt;</code>").expect("the property")..];
    let row = &row[..row.find("</tr>").expect("its row")];
    assert!(row.contains("nullable") && row.contains("required"), "{row}");
}

#[test]
fn docs_page_reads_at_1440_and_390_px() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let server = common::start(dir.path());
    let spec: Value = serde_json::from_slice(&webkit::http(&server.addr, "GET", "/v1/openapi.json", &[], b"").body)
        .expect("openapi.json");
    // The operation with the most parameters and a body: the busiest block of the page.
    let mut busiest = ("get".to_string(), "/v1/openapi.json".to_string(), 0usize);
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let weight =
                op["parameters"].as_array().map_or(0, Vec::len) + 3 * usize::from(op.get("requestBody").is_some());
            if weight > busiest.2 {
                busiest = (method.to_string(), path.clone(), weight);
            }
        }
    }
    let busiest = operation_anchor(&busiest.0, &busiest.1);
    // And one with a JSON request body, for its screenshot.
    let with_body = spec["paths"].as_object().expect("paths").iter().find_map(|(path, item)| {
        METHODS
            .iter()
            .find(|m| item[**m]["requestBody"]["content"].get("application/json").is_some())
            .map(|m| operation_anchor(m, path))
    });
    let url = format!("http://{}/v1/docs", server.addr);
    let overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth";

    let b = webkit::Browser::start(1440, 900);
    b.goto(&url);
    b.wait_for("nav.toc");
    assert_eq!(b.script("return getComputedStyle(document.querySelector('nav.toc')).display"), "block");
    assert_eq!(b.script("return getComputedStyle(document.querySelector('.toc-narrow')).display"), "none");
    assert_eq!(b.script(overflow), 0, "no sideways scrolling at 1440 px");
    b.screenshot("openapi-1440-top");
    // A contents link jumps to its operation.
    b.click(&format!("nav.toc a[href='#{busiest}']"));
    assert!(b.url().ends_with(&format!("#{busiest}")), "{}", b.url());
    let top = b.script(&format!("return Math.round(document.getElementById('{busiest}').getBoundingClientRect().top)"));
    assert!(top.as_i64().is_some_and(|t| (0..100).contains(&t)), "the operation is at the top: {top}");
    b.screenshot("openapi-1440-operation");
    if let Some(anchor) = &with_body {
        b.goto(&format!("{url}#{anchor}"));
        b.screenshot("openapi-1440-body");
    }
    b.goto(&format!("{url}#schemas"));
    b.screenshot("openapi-1440-schemas");

    // Narrowed after the start: Chromium's window is at least 500 px wide when it opens.
    b.resize(390, 844);
    b.goto(&url);
    b.wait_for(".toc-narrow");
    assert_eq!(b.script("return window.innerWidth"), 390);
    assert_eq!(b.script("return getComputedStyle(document.querySelector('nav.toc')).display"), "none");
    assert_eq!(b.script(overflow), 0, "no sideways scrolling at 390 px: wide tables scroll in their own box");
    b.screenshot("openapi-390-top");
    b.click(".toc-narrow summary");
    b.screenshot("openapi-390-contents");
    b.click(&format!(".toc-narrow a[href='#{busiest}']"));
    assert!(b.url().ends_with(&format!("#{busiest}")), "{}", b.url());
    b.screenshot("openapi-390-operation");
    if let Some(anchor) = &with_body {
        b.goto(&format!("{url}#{anchor}"));
        b.screenshot("openapi-390-body");
    }
    b.goto(&format!("{url}#schemas"));
    b.screenshot("openapi-390-schemas");
}
