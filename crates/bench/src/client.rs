//! A JSON client for setting things up (and for the in-process checkouts): reqwest with
//! a cookie jar and fixed headers.

use anyhow::{Context, ensure};
use reqwest::StatusCode;
use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    headers: Vec<(&'static str, String)>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder().cookie_store(true).build().expect("an HTTP client");
        Client { base: base.trim_end_matches('/').to_string(), http, headers: vec![] }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("{}{path}", self.base))?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// A request to `path` carrying the client's headers, to send as the caller likes.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        for (k, v) in &self.headers {
            request = request.header(*k, v);
        }
        request
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// GET that must answer 200; returns the body.
    pub async fn fetch(&self, path: &str) -> anyhow::Result<Value> {
        let (status, answer) = self.get(path).await?;
        ensure!(status == StatusCode::OK, "GET {path}: {status} {answer}");
        Ok(answer)
    }

    /// POST that must answer 201 (or 200); returns the body.
    pub async fn create(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let (status, answer) = self.post(path, body).await?;
        ensure!(status == StatusCode::CREATED || status == StatusCode::OK, "POST {path}: {status} {answer}");
        Ok(answer)
    }

    pub fn set(&mut self, name: &'static str, value: &str) {
        self.headers.retain(|(k, _)| *k != name);
        self.headers.push((name, value.to_string()));
    }

    /// Signs a staff member in; the client then carries the session and its CSRF token.
    pub async fn sign_in(base: &str, login: &str, password: &str) -> anyhow::Result<Client> {
        let mut client = Client::new(base);
        let (status, session) =
            client.post("/api/v1/auth/login", serde_json::json!({"login": login, "password": password})).await?;
        ensure!(status == StatusCode::OK, "sign-in of {login} at {base}: {status} {session}");
        client.set("x-csrf-token", session["csrf_token"].as_str().context("a CSRF token")?);
        Ok(client)
    }
}

pub fn id(v: &Value) -> anyhow::Result<String> {
    v["id"].as_str().map(str::to_string).with_context(|| format!("no id in {v}"))
}
