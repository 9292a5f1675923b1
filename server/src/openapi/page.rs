//! `GET /v1/docs`: the OpenAPI description as a browsable page (server-rendered HTML, no script,
//! no CDN), for people writing a client.
//!
//! The page is drawn from the description's JSON form (`serde_json::to_value(super::spec())`), the
//! very document `/v1/openapi.json` serves, so what it shows cannot drift from it: operations grouped
//! by tag (a table of contents first), each with its parameters, request body and responses, then the
//! component schemas as tables, every `$ref` a link to its schema's anchor. Built once; every text
//! from the description is HTML-escaped (`esc`); the one `<style>` element is allowed by its hash in
//! the page's own Content-Security-Policy, which allows nothing else (no script, image, font or frame).

use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::OnceLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// `GET /v1/docs`
#[utoipa::path(
    get,
    path = "/v1/docs",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The API's operations and schemas as an HTML page", content_type = "text/html"))
)]
pub async fn docs() -> Response {
    static PAGE: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| render(super::spec()));
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CONTENT_SECURITY_POLICY, csp()),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CACHE_CONTROL, "no-cache"),
        ],
        page.as_str(),
    )
        .into_response()
}

/// Nothing but the page's own style sheet (by its hash): no script, no image, no outside fetch.
fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        use base64::Engine;
        use sha2::Digest;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'"
        )
    })
}

/// The HTTP methods an OpenAPI path item may hold, in the order the page lists them.
const METHODS: [&str; 8] = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];

/// Nested inline schemas deeper than this are named, not drawn (a description is finite, but a
/// schema could nest objects deeply; the page stays readable).
const MAX_DEPTH: usize = 4;

/// The page for a description.
pub fn render(spec: &utoipa::openapi::OpenApi) -> String {
    let doc = serde_json::to_value(spec).unwrap_or(Value::Null);
    Page::new(&doc).html()
}

/// The anchor of an operation (`op-get-v1-devices-id`): its method and path with every character
/// other than ASCII letters and digits as `-`, so any path gives a valid fragment.
pub fn operation_anchor(method: &str, path: &str) -> String {
    let mut id = format!("op-{method}");
    for c in path.chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' };
        if !(c == '-' && id.ends_with('-')) {
            id.push(c);
        }
    }
    id.trim_end_matches('-').to_string()
}

/// The anchor of a component schema.
pub fn schema_anchor(name: &str) -> String {
    let mut id = String::from("schema-");
    id.extend(name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '-' }));
    id
}

/// One operation, as the page lists it.
struct Op<'a> {
    method: &'static str,
    path: &'a str,
    op: &'a Map<String, Value>,
    /// Parameters declared on the path item (apply to each of its operations).
    shared: &'a [Value],
}

struct Page<'a> {
    doc: &'a Value,
    /// Tags in page order, each with its description and operations.
    groups: Vec<(String, Option<&'a str>, Vec<Op<'a>>)>,
    schemas: Vec<(&'a str, &'a Value)>,
}

impl<'a> Page<'a> {
    fn new(doc: &'a Value) -> Page<'a> {
        let mut groups: Vec<(String, Option<&'a str>, Vec<Op<'a>>)> = Vec::new();
        // Declared tags first, in their order, with their descriptions.
        for tag in doc["tags"].as_array().into_iter().flatten() {
            if let Some(name) = tag["name"].as_str() {
                groups.push((name.to_string(), tag["description"].as_str(), Vec::new()));
            }
        }
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let shared = item["parameters"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            for method in METHODS {
                let Some(op) = item[method].as_object() else { continue };
                let tag = op.get("tags").and_then(|t| t[0].as_str()).unwrap_or("other");
                let at = match groups.iter().position(|g| g.0 == tag) {
                    Some(at) => at,
                    None => {
                        groups.push((tag.to_string(), None, Vec::new()));
                        groups.len() - 1
                    }
                };
                groups[at].2.push(Op { method, path, op, shared });
            }
        }
        groups.retain(|g| !g.2.is_empty());
        let schemas =
            doc["components"]["schemas"].as_object().map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect());
        Page { doc, groups, schemas: schemas.unwrap_or_default() }
    }

    fn html(&self) -> String {
        let info = &self.doc["info"];
        let title = info["title"].as_str().unwrap_or("API");
        let version = info["version"].as_str().unwrap_or("");
        let openapi = self.doc["openapi"].as_str().unwrap_or("3.1");
        let ops: usize = self.groups.iter().map(|g| g.2.len()).sum();
        let mut h = String::with_capacity(256 * 1024);
        let _ = write!(
            h,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t} {v}</title><style>{STYLE}</style></head>\n<body id=\"top\">\
             <header class=\"top\"><h1>{t} <span class=\"ver\">{v}</span></h1>\
             <p class=\"sub\">OpenAPI {o} · {ops} operations · {n} schemas · \
             machine-readable: <a href=\"/v1/openapi.json\">/v1/openapi.json</a></p></header>\n",
            t = esc(title),
            v = esc(version),
            o = esc(openapi),
            n = self.schemas.len(),
        );
        // The contents twice: a sidebar on wide screens, a folded list on narrow ones (no script).
        let toc = self.toc();
        let _ = write!(
            h,
            "<details class=\"toc-narrow\"><summary>Contents</summary>{toc}</details>\n\
             <div class=\"layout\"><nav class=\"toc\" aria-label=\"Contents\">{toc}</nav>\n<main>"
        );
        self.intro(&mut h);
        for (tag, description, ops) in &self.groups {
            let _ = write!(h, "<section class=\"tag\" id=\"{}\"><h2>{}</h2>", tag_anchor(tag), esc(tag));
            if let Some(d) = description {
                h.push_str(&text(d));
            }
            for op in ops {
                self.operation(&mut h, op);
            }
            h.push_str("</section>\n");
        }
        if !self.schemas.is_empty() {
            h.push_str("<section class=\"tag\" id=\"schemas\"><h2>Schemas</h2>");
            for (name, schema) in &self.schemas {
                let _ = write!(h, "<article class=\"schema\" id=\"{}\"><h3>{}</h3>", schema_anchor(name), esc(name));
                describe(&mut h, schema);
                schema_block(&mut h, schema, 0);
                h.push_str("</article>\n");
            }
            h.push_str("</section>\n");
        }
        h.push_str("</main></div></body></html>\n");
        h
    }

    fn toc(&self) -> String {
        let mut h = String::from("<ul class=\"toc-tags\">");
        for (tag, _, ops) in &self.groups {
            let _ = write!(h, "<li><a class=\"toc-tag\" href=\"#{}\">{}</a><ul>", tag_anchor(tag), esc(tag));
            for op in ops {
                let _ = write!(
                    h,
                    "<li><a href=\"#{}\"><span class=\"m {m}\">{M}</span> <span class=\"p\">{}</span></a></li>",
                    operation_anchor(op.method, op.path),
                    esc(op.path),
                    m = op.method,
                    M = op.method.to_uppercase(),
                );
            }
            h.push_str("</ul></li>");
        }
        if !self.schemas.is_empty() {
            h.push_str("<li><a class=\"toc-tag\" href=\"#schemas\">Schemas</a><ul class=\"toc-schemas\">");
            for (name, _) in &self.schemas {
                let _ = write!(h, "<li><a href=\"#{}\">{}</a></li>", schema_anchor(name), esc(name));
            }
            h.push_str("</ul></li>");
        }
        h.push_str("</ul>");
        h
    }

    fn intro(&self, h: &mut String) {
        h.push_str("<section class=\"intro\">");
        if let Some(d) = self.doc["info"]["description"].as_str() {
            h.push_str(&text(d));
        }
        let schemes = self.doc["components"]["securitySchemes"].as_object();
        if let Some(schemes) = schemes.filter(|s| !s.is_empty()) {
            h.push_str("<h3>Authentication</h3><ul>");
            for (name, s) in schemes {
                let kind = [s["type"].as_str(), s["scheme"].as_str()].into_iter().flatten().collect::<Vec<_>>();
                let _ = write!(h, "<li><code>{}</code>: {}", esc(name), esc(&kind.join(" ")));
                if let Some(d) = s["description"].as_str() {
                    let _ = write!(h, " ({})", inline(d));
                }
                h.push_str("</li>");
            }
            h.push_str(
                "</ul><p>Operations marked <span class=\"badge\">public</span> need no token; every other one \
                 needs <code>Authorization: Bearer &lt;token&gt;</code>.</p>",
            );
        }
        h.push_str("</section>\n");
    }

    fn operation(&self, h: &mut String, o: &Op) {
        let op = o.op;
        let _ = write!(
            h,
            "<article class=\"op\" id=\"{}\" data-method=\"{}\" data-path=\"{}\"><h3><span class=\"m {m}\">{M}</span> \
             <code class=\"p\">{}</code>",
            operation_anchor(o.method, o.path),
            o.method,
            esc(o.path),
            esc(o.path),
            m = o.method,
            M = o.method.to_uppercase(),
        );
        if op.get("deprecated").and_then(Value::as_bool) == Some(true) {
            h.push_str(" <span class=\"badge warn\">deprecated</span>");
        }
        let public = match op.get("security").and_then(Value::as_array) {
            Some(reqs) => reqs.is_empty() || reqs.iter().any(|r| r.as_object().is_some_and(Map::is_empty)),
            None => self.doc["security"].as_array().is_none_or(Vec::is_empty),
        };
        if public {
            h.push_str(" <span class=\"badge\">public</span>");
        }
        h.push_str("</h3>");
        if let Some(s) = op.get("summary").and_then(Value::as_str) {
            let _ = write!(h, "<p class=\"summary\">{}</p>", inline(s));
        }
        if let Some(d) = op.get("description").and_then(Value::as_str) {
            h.push_str(&text(d));
        }
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            let _ = write!(h, "<p class=\"meta\">operationId <code>{}</code></p>", esc(id));
        }
        self.parameters(h, o);
        self.request_body(h, op);
        self.responses(h, op);
        h.push_str("</article>\n");
    }

    fn parameters(&self, h: &mut String, o: &Op) {
        let own = o.op.get("parameters").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        // The operation's own parameter wins over the path item's of the same name and place.
        let key = |p: &Value| (p["name"].as_str().map(str::to_string), p["in"].as_str().map(str::to_string));
        let overridden: BTreeSet<_> = own.iter().map(|p| key(self.deref(p))).collect();
        let params: Vec<&Value> = o
            .shared
            .iter()
            .map(|p| self.deref(p))
            .filter(|p| !overridden.contains(&key(p)))
            .chain(own.iter().map(|p| self.deref(p)))
            .collect();
        if params.is_empty() {
            return;
        }
        h.push_str(
            "<h4>Parameters</h4><div class=\"scroll\"><table class=\"params\"><thead><tr><th>Name</th><th>In</th>\
             <th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>",
        );
        for p in params {
            let schema = &p["schema"];
            let (label, nullable) = type_label(schema, 0);
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{label}{}</td><td>{}</td><td>",
                esc(p["name"].as_str().unwrap_or("")),
                esc(p["in"].as_str().unwrap_or("")),
                if nullable { " <span class=\"null\">or null</span>" } else { "" },
                yes_no(p["required"].as_bool() == Some(true)),
            );
            if let Some(d) = p["description"].as_str() {
                h.push_str(&inline(d));
            }
            // A parameter typed by a component (an enum of formats, say): its values here, not a jump away.
            constraints(h, self.deref(schema));
            if p["deprecated"].as_bool() == Some(true) {
                h.push_str(" <span class=\"badge warn\">deprecated</span>");
            }
            h.push_str("</td></tr>");
        }
        h.push_str("</tbody></table></div>");
    }

    fn request_body(&self, h: &mut String, op: &Map<String, Value>) {
        let Some(body) = op.get("requestBody").map(|b| self.deref(b)) else { return };
        let _ = write!(
            h,
            "<h4>Request body <span class=\"req\">{}</span></h4>",
            if body["required"].as_bool() == Some(true) { "required" } else { "optional" }
        );
        if let Some(d) = body["description"].as_str() {
            h.push_str(&text(d));
        }
        for (content_type, media) in body["content"].as_object().into_iter().flatten() {
            let _ = write!(h, "<div class=\"media\"><p class=\"ct\"><code>{}</code>", esc(content_type));
            let schema = &media["schema"];
            if schema.is_object() {
                let (label, nullable) = type_label(schema, 0);
                let _ = write!(h, " {label}{}", if nullable { " <span class=\"null\">or null</span>" } else { "" });
            }
            h.push_str("</p>");
            // The body's schema drawn here too (a `$ref` once resolved: what to send, without a jump).
            let drawn = self.deref(schema);
            if drawn.is_object() && drawn.get("$ref").is_none() && is_structured(drawn) {
                schema_block(h, drawn, 0);
            }
            h.push_str("</div>");
        }
    }

    fn responses(&self, h: &mut String, op: &Map<String, Value>) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else { return };
        h.push_str(
            "<h4>Responses</h4><div class=\"scroll\"><table class=\"responses\"><thead><tr><th>Status</th>\
             <th>Description</th><th>Body</th></tr></thead><tbody>",
        );
        for (status, response) in responses {
            let response = self.deref(response);
            let class = match status.as_bytes().first() {
                Some(b'2') => "s2",
                Some(b'3') => "s3",
                Some(b'4') => "s4",
                Some(b'5') => "s5",
                _ => "sd",
            };
            let _ = write!(h, "<tr><td><span class=\"st {class}\">{}</span></td><td>", esc(status));
            if let Some(d) = response["description"].as_str() {
                h.push_str(&inline(d));
            }
            if let Some(headers) = response["headers"].as_object().filter(|m| !m.is_empty()) {
                h.push_str("<dl class=\"headers\">");
                for (name, header) in headers {
                    let header = self.deref(header);
                    let (label, _) = type_label(&header["schema"], 0);
                    let _ = write!(h, "<dt><code>{}</code> {label}</dt><dd>", esc(name));
                    if let Some(d) = header["description"].as_str() {
                        h.push_str(&inline(d));
                    }
                    h.push_str("</dd>");
                }
                h.push_str("</dl>");
            }
            h.push_str("</td><td>");
            let content = response["content"].as_object();
            if content.is_none_or(Map::is_empty) {
                h.push_str("<span class=\"none\">no body</span>");
            }
            for (content_type, media) in content.into_iter().flatten() {
                let _ = write!(h, "<div class=\"media\"><code>{}</code>", esc(content_type));
                let schema = &media["schema"];
                if schema.is_object() {
                    let (label, nullable) = type_label(schema, 0);
                    let _ = write!(h, " {label}{}", if nullable { " <span class=\"null\">or null</span>" } else { "" });
                    if schema.get("$ref").is_none() && is_structured(schema) {
                        schema_block(h, schema, 1);
                    }
                }
                h.push_str("</div>");
            }
            h.push_str("</td></tr>");
        }
        h.push_str("</tbody></table></div>");
    }

    /// A `$ref` to `#/components/<kind>/<name>` (parameters, request bodies, responses, headers)
    /// resolved to what it names; anything else as it is.
    fn deref<'v>(&'v self, v: &'v Value) -> &'v Value {
        let Some(target) = v.get("$ref").and_then(Value::as_str) else { return v };
        let Some(pointer) = target.strip_prefix('#') else { return v };
        match self.doc.pointer(pointer) {
            Some(found) if found.get("$ref").is_none() => found,
            _ => v,
        }
    }
}

/// The anchor of a tag's section.
fn tag_anchor(tag: &str) -> String {
    let mut id = String::from("tag-");
    id.extend(tag.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }));
    id
}

fn yes_no(required: bool) -> &'static str {
    if required { "<span class=\"yes\">required</span>" } else { "<span class=\"no\">optional</span>" }
}

/// Whether a schema is worth drawing as a block (a table or a list), not just its type's name.
fn is_structured(schema: &Value) -> bool {
    schema.get("properties").is_some()
        || schema.get("enum").is_some()
        || ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| schema.get(*k).and_then(Value::as_array).is_some_and(|a| a.len() > 1))
        || schema.get("items").is_some_and(is_structured)
}

/// The schema's description, as paragraphs.
fn describe(h: &mut String, schema: &Value) {
    if let Some(d) = schema["description"].as_str() {
        h.push_str(&text(d));
    }
}

/// A schema's `type` without `null`, and whether `null` was one of them.
fn types(schema: &Value) -> (Vec<&str>, bool) {
    match &schema["type"] {
        Value::String(t) => (vec![t.as_str()].into_iter().filter(|t| *t != "null").collect(), t == "null"),
        Value::Array(ts) => {
            let all: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            let nullable = all.contains(&"null");
            (all.into_iter().filter(|t| *t != "null").collect(), nullable)
        }
        _ => (Vec::new(), false),
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema["type"].as_str() == Some("null")
}

/// The type of a schema in a few words, as HTML (a `$ref` as a link to its schema), and whether it
/// may be null.
fn type_label(schema: &Value, depth: usize) -> (String, bool) {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap_or(target);
        let link = format!("<a class=\"ref\" href=\"#{}\">{}</a>", schema_anchor(name), esc(name));
        return (link, schema["nullable"].as_bool() == Some(true));
    }
    if depth > MAX_DEPTH {
        return ("…".into(), false);
    }
    for (key, joiner) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " &amp; ")] {
        if let Some(variants) = schema[key].as_array() {
            let nullable = variants.iter().any(is_null_schema);
            let parts: Vec<String> =
                variants.iter().filter(|v| !is_null_schema(v)).map(|v| type_label(v, depth + 1).0).collect();
            let (own, own_null) = types(schema);
            let label = if parts.is_empty() { own.join(" | ") } else { parts.join(joiner) };
            return (label, nullable || own_null);
        }
    }
    let (ts, nullable) = types(schema);
    let nullable = nullable || schema["nullable"].as_bool() == Some(true);
    if let Some(value) = schema.get("const") {
        return (format!("<code>{}</code>", esc(&value.to_string())), nullable);
    }
    if ts.is_empty() {
        let label = if schema.get("properties").is_some() { "object" } else { "any" };
        return (format!("<span class=\"t\">{label}</span>"), nullable);
    }
    let labels: Vec<String> = ts
        .iter()
        .map(|t| match *t {
            "array" => match schema.get("items") {
                Some(items) => format!("<span class=\"t\">array of</span> {}", type_label(items, depth + 1).0),
                None => "<span class=\"t\">array</span>".into(),
            },
            "object" => match schema.get("additionalProperties") {
                Some(values) if values.is_object() && schema.get("properties").is_none() => {
                    format!("<span class=\"t\">map of string to</span> {}", type_label(values, depth + 1).0)
                }
                _ => "<span class=\"t\">object</span>".into(),
            },
            t => match schema["format"].as_str() {
                Some(f) => format!("<span class=\"t\">{}</span> <span class=\"f\">({})</span>", esc(t), esc(f)),
                None => format!("<span class=\"t\">{}</span>", esc(t)),
            },
        })
        .collect();
    (labels.join(" | "), nullable)
}

/// What a schema holds, as a block: an object's properties as a table, an enum's values, the
/// variants of a `oneOf`, or an array's inline item schema.
fn schema_block(h: &mut String, schema: &Value, depth: usize) {
    if depth > MAX_DEPTH || schema.get("$ref").is_some() {
        return;
    }
    if let Some(props) = schema["properties"].as_object() {
        properties(h, schema, props, depth);
    } else if let Some(values) = schema["enum"].as_array() {
        h.push_str("<p class=\"enum\">One of: ");
        enum_values(h, values);
        h.push_str("</p>");
    } else if let Some((key, variants)) =
        ["oneOf", "anyOf", "allOf"].iter().find_map(|k| schema[*k].as_array().map(|a| (*k, a)))
    {
        let variants: Vec<&Value> = variants.iter().filter(|v| !is_null_schema(v)).collect();
        if variants.len() > 1 || variants.iter().any(|v| v.get("$ref").is_none()) {
            let lead = match key {
                "allOf" => "All of:",
                "anyOf" => "Any of:",
                _ => "One of:",
            };
            let _ = write!(h, "<div class=\"variants\"><p>{lead}</p><ol>");
            for v in variants {
                let (label, _) = type_label(v, depth + 1);
                let _ = write!(h, "<li>{label}");
                if let Some(title) = v["title"].as_str() {
                    let _ = write!(h, " <span class=\"f\">{}</span>", esc(title));
                }
                if let Some(d) = v["description"].as_str() {
                    let _ = write!(h, " — {}", inline(d));
                }
                schema_block(h, v, depth + 1);
                h.push_str("</li>");
            }
            h.push_str("</ol></div>");
        }
    } else if let Some(items) = schema.get("items").filter(|i| i.get("$ref").is_none() && is_structured(i)) {
        h.push_str("<p class=\"items\">Each item:</p>");
        schema_block(h, items, depth + 1);
    } else if let Some(values) =
        schema.get("additionalProperties").filter(|v| v.get("$ref").is_none() && is_structured(v))
    {
        h.push_str("<p class=\"items\">Each value:</p>");
        schema_block(h, values, depth + 1);
    } else if depth == 0 {
        let (label, nullable) = type_label(schema, depth);
        let _ = write!(
            h,
            "<p class=\"alias\">{label}{}",
            if nullable { " <span class=\"null\">or null</span>" } else { "" }
        );
        constraints(h, schema);
        h.push_str("</p>");
    }
}

fn properties(h: &mut String, schema: &Value, props: &Map<String, Value>, depth: usize) {
    let required: BTreeSet<&str> =
        schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    h.push_str(
        "<div class=\"scroll\"><table class=\"props\"><thead><tr><th>Property</th><th>Type</th><th>Required</th>\
         <th>Description</th></tr></thead><tbody>",
    );
    for (name, prop) in props {
        let (label, nullable) = type_label(prop, depth);
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{label}{}</td><td>{}</td><td>",
            esc(name),
            if nullable { " <span class=\"null\">nullable</span>" } else { "" },
            yes_no(required.contains(name.as_str())),
        );
        // A `$ref` with a description of its own may come as `allOf: [{$ref}]` beside it.
        if let Some(d) = prop["description"].as_str() {
            h.push_str(&inline(d));
        }
        constraints(h, prop);
        if prop.get("$ref").is_none() && is_structured(prop) {
            schema_block(h, prop, depth + 1);
        }
        h.push_str("</td></tr>");
    }
    h.push_str("</tbody></table></div>");
    if let Some(extra) = schema.get("additionalProperties") {
        if extra.as_bool() == Some(false) {
            h.push_str("<p class=\"note\">No other properties.</p>");
        } else if extra.is_object() {
            let (label, _) = type_label(extra, depth);
            let _ = write!(h, "<p class=\"note\">Other properties: {label}</p>");
        }
    }
}

fn enum_values(h: &mut String, values: &[Value]) {
    let shown: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("<code>{}</code>", esc(s)),
            v => format!("<code>{}</code>", esc(&v.to_string())),
        })
        .collect();
    h.push_str(&shown.join(", "));
}

/// A schema's limits, default, enum and example, as small notes after its description.
fn constraints(h: &mut String, schema: &Value) {
    let mut notes: Vec<String> = Vec::new();
    for (key, lead, unit) in [
        ("minimum", "minimum", ""),
        ("exclusiveMinimum", "greater than", ""),
        ("maximum", "maximum", ""),
        ("exclusiveMaximum", "less than", ""),
        ("minLength", "at least", " characters"),
        ("maxLength", "at most", " characters"),
        ("minItems", "at least", " items"),
        ("maxItems", "at most", " items"),
        ("multipleOf", "multiple of", ""),
    ] {
        if let Some(v) = schema.get(key).filter(|v| v.is_number()) {
            let unit = if v.as_f64() == Some(1.0) { unit.trim_end_matches('s') } else { unit };
            notes.push(format!("{lead} {}{unit}", esc(&v.to_string())));
        }
    }
    if let Some(p) = schema["pattern"].as_str() {
        notes.push(format!("pattern <code>{}</code>", esc(p)));
    }
    if let Some(values) = schema["enum"].as_array() {
        let mut s = String::from("one of ");
        enum_values(&mut s, values);
        notes.push(s);
    } else if let Some(values) = schema["items"]["enum"].as_array() {
        let mut s = String::from("items one of ");
        enum_values(&mut s, values);
        notes.push(s);
    }
    if let Some(d) = schema.get("default") {
        notes.push(format!("default <code>{}</code>", esc(&d.to_string())));
    }
    if let Some(e) = schema.get("example") {
        notes.push(format!("example <code>{}</code>", esc(&e.to_string())));
    } else if let Some(e) = schema["examples"].as_array().and_then(|a| a.first()) {
        notes.push(format!("example <code>{}</code>", esc(&e.to_string())));
    }
    if !notes.is_empty() {
        let _ = write!(h, "<span class=\"limits\">{}</span>", notes.join(" · "));
    }
}

/// Escapes text for HTML content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A description's line: escaped, with `code` spans (the descriptions' one markup); an unclosed
/// backtick stays a backtick.
fn inline(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(&esc(part));
        } else if i + 1 == parts.len() {
            out.push('`');
            out.push_str(&esc(part));
        } else {
            let _ = write!(out, "<code>{}</code>", esc(part));
        }
    }
    out
}

/// A description: paragraphs at blank lines, each as `inline`.
fn text(s: &str) -> String {
    let mut out = String::new();
    for para in s.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let _ = write!(out, "<p class=\"d\">{}</p>", inline(para));
    }
    out
}

/// The page's only style sheet; narrow screens (phones, 390 px) get one column, the contents folded.
const STYLE: &str = r#"
:root{--fg:#1d232b;--mut:#5b6673;--line:#d9dee4;--bg:#fff;--soft:#f5f7f9;--acc:#0b5cad;
--get:#1a7f37;--post:#0b5cad;--put:#8a5a00;--patch:#6f42c1;--delete:#b42318;--other:#57606a}
*{box-sizing:border-box}
html{scroll-padding-top:12px}
body{margin:0;color:var(--fg);background:var(--bg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans","Noto Sans CJK SC",sans-serif}
a{color:var(--acc);text-decoration:none}a:hover{text-decoration:underline}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);
border-radius:3px;padding:0 3px;overflow-wrap:anywhere}
header.top{padding:18px 24px;border-bottom:1px solid var(--line);background:var(--soft)}
header.top h1{margin:0;font-size:24px}
.ver{font-size:14px;font-weight:normal;color:var(--mut)}
.sub{margin:4px 0 0;color:var(--mut)}
.layout{display:grid;grid-template-columns:300px minmax(0,1fr)}
nav.toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;padding:12px 10px 24px 16px;
border-right:1px solid var(--line);font-size:13px}
.toc-narrow{display:none}
ul.toc-tags,ul.toc-tags ul{list-style:none;margin:0;padding:0}
ul.toc-tags>li{margin:10px 0 0}
.toc-tag{font-weight:600;text-transform:capitalize;color:var(--fg)}
ul.toc-tags ul li a{display:flex;gap:6px;align-items:baseline;padding:1px 0;color:var(--fg)}
ul.toc-tags ul li a .p{overflow-wrap:anywhere}
ul.toc-schemas li a{display:block}
main{padding:8px 32px 64px;max-width:1100px;min-width:0}
section.tag{margin-top:28px}
section.tag>h2{font-size:21px;text-transform:capitalize;border-bottom:2px solid var(--fg);padding-bottom:4px}
section.intro p{max-width:75ch}
article.op,article.schema{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:16px 0}
article.op h3,article.schema h3{margin:0 0 4px;font-size:17px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
article.op h3 code.p{font-size:15px;background:none;padding:0}
article.schema h3{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
h4{margin:14px 0 6px;font-size:14px;text-transform:uppercase;letter-spacing:.03em;color:var(--mut)}
p.summary{margin:4px 0;font-weight:600}
p.d{margin:4px 0;max-width:80ch}
p.meta{margin:4px 0;color:var(--mut);font-size:13px}
.m{display:inline-block;min-width:54px;text-align:center;border-radius:3px;color:#fff;font:600 11px/18px
ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:0 4px;background:var(--other)}
.m.get{background:var(--get)}.m.post{background:var(--post)}.m.put{background:var(--put)}
.m.patch{background:var(--patch)}.m.delete{background:var(--delete)}
.badge{display:inline-block;font-size:11px;font-weight:600;border:1px solid var(--get);color:var(--get);
border-radius:10px;padding:0 7px;line-height:17px}
.badge.warn{border-color:var(--delete);color:var(--delete)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;font-size:13px}
td table{margin-top:6px;font-size:13px}
table.props td:first-child,table.params td:first-child{white-space:nowrap}
.t{color:#6f42c1;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.f,.null,.none,.no,.req{color:var(--mut);font-size:12px}
.yes{font-weight:600;font-size:12px}
.limits{display:block;color:var(--mut);font-size:12px;margin-top:2px}
.st{font:600 13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.s2{color:var(--get)}.s3{color:var(--put)}.s4{color:var(--delete)}.s5{color:var(--delete)}.sd{color:var(--mut)}
.media{margin:2px 0}
p.ct{margin:4px 0}
dl.headers{margin:4px 0 0;font-size:13px}dl.headers dd{margin:0 0 4px 12px;color:var(--mut)}
.variants ol{margin:4px 0;padding-left:22px}.variants p{margin:4px 0}
p.note,p.items,p.enum,p.alias{margin:6px 0;font-size:14px}
a.ref{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
@media (max-width:900px){
.layout{display:block}
nav.toc{display:none}
.toc-narrow{display:block;margin:0;padding:8px 16px;border-bottom:1px solid var(--line);font-size:14px}
.toc-narrow summary{cursor:pointer;font-weight:600;padding:4px 0}
main{padding:4px 12px 48px}
header.top{padding:14px 16px}
header.top h1{font-size:20px}
article.op,article.schema{padding:10px;margin:12px 0}
/* Tables as stacked rows: name, place, type and required on one line, the description under them. */
table.params thead,table.props thead,table.responses thead{display:none}
table.params,table.props,table.responses,table.params tbody,table.props tbody,table.responses tbody,
table.params tr,table.props tr,table.responses tr{display:block;width:100%}
table.params tr,table.props tr,table.responses tr{border-bottom:1px solid var(--line);padding:5px 0}
table.params td,table.props td,table.responses td{display:inline-block;border:0;padding:1px 6px 1px 0}
table.params td:last-child,table.props td:last-child,table.responses td:nth-child(n+2){display:block}
table.props td:first-child,table.params td:first-child{white-space:normal}
table.props td:first-child code,table.params td:first-child code{font-weight:600}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_marks_code() {
        assert_eq!(esc("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(inline("the `<id>` & more"), "the <code>&lt;id&gt;</code> &amp; more");
        assert_eq!(inline("a `b` c `d"), "a <code>b</code> c `d");
        assert_eq!(text("one\n\n two "), "<p class=\"d\">one</p><p class=\"d\">two</p>");
    }

    #[test]
    fn anchors_are_fragment_safe() {
        assert_eq!(operation_anchor("get", "/v1/devices/{id}"), "op-get-v1-devices-id");
        assert_eq!(operation_anchor("post", "/v1/openapi.json"), "op-post-v1-openapi-json");
        assert_eq!(schema_anchor("funds.Item<x>"), "schema-funds.Item-x-");
    }

    #[test]
    fn nullable_refs_and_types() {
        let v: Value = serde_json::json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/A"}]});
        assert_eq!(type_label(&v, 0), ("<a class=\"ref\" href=\"#schema-A\">A</a>".to_string(), true));
        let v: Value = serde_json::json!({"type": ["string", "null"], "format": "date"});
        assert_eq!(
            type_label(&v, 0),
            ("<span class=\"t\">string</span> <span class=\"f\">(date)</span>".to_string(), true)
        );
        let v: Value = serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/B"}});
        assert!(type_label(&v, 0).0.contains("array of</span> <a class=\"ref\" href=\"#schema-B\">B</a>"));
    }
}
