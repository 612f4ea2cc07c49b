//! The served OpenAPI document against the server: every operation is sent without a token,
//! with a body of the wrong content type and with a malformed path id, and every status it
//! answers with must be documented for that operation, with an error body in the documented
//! shape (problem+json; OpenAI's JSON under `/v1/`), and never a 5xx.

use reqwest::{Method, Response};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::helpers::{content_type, spawn_app, TestApp};

/// One operation of the served document.
pub struct Op {
    pub method: Method,
    pub template: String,
    pub doc: Value,
    /// A body its request schema deserialises, if it takes one.
    pub body: Option<Value>,
}

impl Op {
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    pub fn documented(&self, status: u16) -> bool {
        let responses = &self.doc["responses"];
        responses.get(status.to_string()).is_some() || responses.get("default").is_some()
    }

    /// The name of the request body's schema, if the operation takes a body.
    pub fn body_schema(&self) -> Option<String> {
        let content = self.doc.get("requestBody")?.get("content")?;
        let schema = &content["application/json"]["schema"];
        let reference = schema["$ref"].as_str().or_else(|| {
            schema["oneOf"]
                .as_array()?
                .iter()
                .find_map(|s| s["$ref"].as_str())
        });
        Some(
            reference
                .and_then(|r| r.rsplit('/').next())
                .unwrap_or_default()
                .to_owned(),
        )
    }

    pub fn has_path_params(&self) -> bool {
        self.template.contains('{')
    }

    /// The path with every parameter replaced by `value(name)`.
    pub fn path(&self, value: impl Fn(&str) -> String) -> String {
        let mut path = String::new();
        let mut rest = self.template.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').expect("closing brace") + open;
            path.push_str(&rest[..open]);
            path.push_str(&value(&rest[open + 1..close]));
            rest = &rest[close + 1..];
        }
        path + rest
    }

    /// A path whose parameters are well-formed but name nothing, with every required query
    /// parameter (a value of its type), so that no extractor refuses it before the token is
    /// checked.
    pub fn sample_path(&self) -> String {
        let path = self.path(|name| match name {
            "code" => "ZZZZ22".to_owned(),
            "number" | "index" => "1".to_owned(),
            "provider" => "openai".to_owned(),
            _ => Uuid::new_v4().to_string(),
        });
        let query: Vec<String> = self.doc["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| {
                let value = match p["schema"]["type"].as_str() {
                    Some("integer" | "number") => "0",
                    Some("boolean") => "false",
                    _ => "x",
                };
                format!("{}={value}", p["name"].as_str().unwrap_or_default())
            })
            .collect();
        if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.join("&"))
        }
    }

    fn requirements(&self) -> Vec<Map<String, Value>> {
        self.doc["security"]
            .as_array()
            .map(|list| list.iter().filter_map(|r| r.as_object().cloned()).collect())
            .unwrap_or_default()
    }

    /// Anyone may call it (no security, or an empty requirement among them).
    pub fn anonymous(&self) -> bool {
        let requirements = self.requirements();
        requirements.is_empty() || requirements.iter().any(Map::is_empty)
    }

    /// The scope a scheme's requirement names, `Some("")` when it names none.
    pub fn scope_of(&self, scheme: &str) -> Option<String> {
        self.requirements().iter().find_map(|r| {
            r.get(scheme)
                .map(|scopes| scopes[0].as_str().unwrap_or_default().to_owned())
        })
    }

    pub fn is_openai(&self) -> bool {
        self.template.starts_with("/v1/")
    }
}

/// Every operation of the document the server serves; the ones that end sessions last.
pub async fn operations(app: &TestApp) -> Vec<Op> {
    let doc: Value = app.get("/openapi.json").await.json().await.expect("json");
    let mut ops = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let mut op = Op {
                method,
                template: template.clone(),
                doc: operation.clone(),
                body: None,
            };
            op.body = op.body_schema().map(|name| sample_body(&doc, &name));
            ops.push(op);
        }
    }
    ops.sort_by_key(|op| op.template.contains("logout"));
    assert!(
        ops.len() > 50,
        "the document lists {} operations",
        ops.len()
    );
    ops
}

/// A body the schema `name` deserialises: its required fields, each the simplest value of
/// its type (`""`, `0`, `[]`, a fresh UUID), though not one the handler accepts.
pub fn sample_body(doc: &Value, name: &str) -> Value {
    sample(
        doc,
        &json!({ "$ref": format!("#/components/schemas/{name}") }),
    )
}

fn sample(doc: &Value, schema: &Value) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return sample(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(value) = schema["enum"].get(0) {
        return value.clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[key]
            .as_array()
            .and_then(|list| list.iter().find(|s| s["type"] != "null"))
        {
            return sample(doc, first);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        other => Some(other.clone()),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("string") if schema["format"] == "uuid" => json!(Uuid::new_v4()),
        Some("string") => json!(""),
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        _ => {
            let mut object = Map::new();
            for field in schema["required"].as_array().into_iter().flatten() {
                let field = field.as_str().unwrap_or_default();
                let value = sample(doc, &schema["properties"][field]);
                object.insert(field.to_owned(), value);
            }
            Value::Object(object)
        }
    }
}

/// Sends `op` to `path`, with `token` and `body` (`Err`: raw text with its content type).
pub async fn send(
    app: &TestApp,
    op: &Op,
    path: &str,
    token: Option<&str>,
    body: Option<Result<Value, (&str, &str)>>,
) -> Response {
    let mut request = app.client.request(op.method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match body {
        Some(Ok(json)) => request.json(&json),
        Some(Err((content_type, text))) => request
            .header("content-type", content_type)
            .body(text.to_owned()),
        None => request,
    };
    request.send().await.expect("request")
}

/// What is wrong with `response` as an answer of `op`, if anything.
async fn check(op: &Op, case: &str, response: Response) -> Option<String> {
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let body = response.text().await.unwrap_or_default();
    let what = format!("{} ({case}): {status} {body:.200}", op.name());
    if status >= 500 {
        return Some(format!("server error: {what}"));
    }
    if !op.documented(status) {
        return Some(format!("undocumented status: {what}"));
    }
    if status >= 400 {
        let expected = if op.is_openai() {
            "application/json"
        } else {
            "application/problem+json"
        };
        if !content_type.starts_with(expected) {
            return Some(format!(
                "error body is {content_type}, not {expected}: {what}"
            ));
        }
    }
    None
}

#[tokio::test]
async fn every_status_returned_is_documented() {
    let app = spawn_app().await;
    let admin = app.admin("contract-admin@example.com").await;
    let app_key = app
        .app_key(&[
            "users:read",
            "credits:read",
            "credits:write",
            "projects:read",
            "storage:write",
        ])
        .await;
    let mut failures = Vec::new();
    for op in operations(&app).await {
        let token = if op.scope_of("app_key").is_some() {
            app_key.as_str()
        } else {
            admin.access_token.as_str()
        };
        let json_body = op.body.clone().map(Ok);
        let path = op.sample_path();

        let response = send(&app, &op, &path, None, json_body.clone()).await;
        failures.extend(check(&op, "no token", response).await);

        if op.body.is_some() {
            let text = Some(Err(("text/plain", "hello")));
            let response = send(&app, &op, &path, Some(token), text).await;
            failures.extend(check(&op, "text/plain body", response).await);
        }
        if op.has_path_params() {
            let bad = op.path(|_| "not-a-uuid".to_owned());
            let response = send(&app, &op, &bad, Some(token), json_body.clone()).await;
            failures.extend(check(&op, "malformed path id", response).await);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_document_declares_schemes_and_one_shared_problem() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.expect("json");
    let schemes = &doc["components"]["securitySchemes"];
    for scheme in ["session", "personal_key", "app_key"] {
        assert_eq!(schemes[scheme]["scheme"], "bearer", "{scheme}");
    }
    assert!(
        doc["components"]["responses"]["Problem"]["content"]["application/problem+json"]
            .is_object()
    );
    for op in operations(&app).await {
        for (status, response) in op.doc["responses"].as_object().expect("responses") {
            let inline_problem = response["content"]["application/problem+json"].is_object();
            assert!(
                !inline_problem,
                "{} {status} repeats the problem",
                op.name()
            );
            if status.starts_with('4') && !op.anonymous() || status == "401" {
                assert!(response["$ref"].is_string(), "{} {status}", op.name());
            }
        }
        if !op.anonymous() {
            assert!(op.documented(401) && op.documented(403), "{}", op.name());
        }
    }
}
