//! Requests to the app: plain, with a bearer token, an Idempotency-Key or an If-Match.

use reqwest::Response;
use serde_json::Value;

use super::TestApp;

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// GET from the ops listener.
    pub async fn ops_get(&self, path: &str) -> Response {
        let url = format!("{}{path}", self.ops_address);
        self.client.get(url).send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_authed(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

impl TestApp {
    /// POST with a bearer token and an Idempotency-Key.
    pub async fn post_idem(&self, path: &str, token: &str, key: &str, body: &Value) -> Response {
        self.post_idem_at(&self.address, path, token, key, body)
            .await
    }

    /// Like `post_idem`, to another server sharing this app's database.
    pub async fn post_idem_at(
        &self,
        base: &str,
        path: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> Response {
        self.client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A request with a bearer token, a JSON body and optionally `If-Match`.
    pub async fn send_with_etag(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        etag: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(tag) = etag {
            request = request.header("If-Match", tag);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// `PATCH` with `If-Match`.
    pub async fn patch_at(&self, path: &str, token: &str, etag: &str, body: &Value) -> Response {
        self.send_with_etag(reqwest::Method::PATCH, path, token, Some(etag), Some(body))
            .await
    }
}
