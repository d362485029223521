//! Test harness: the simulator served on 127.0.0.1:0 under `/paysim`, a notification receiver
//! on another port, and merchants that speak the protocols with the protocol crates'
//! merchant-side functions.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use sweep_alipay::types::{BizRequest as _, PrecreateRequest};
use sweep_alipay::{
    AlipayPublicKey, AppSigner, CommonParams, GatewayReply, encode_form, signed_params, timestamp_utc8,
};
use sweep_paysim::{SimConfig, Simulator};
use sweep_wechatpay::{MerchantSigner, PlatformVerifier, SignedHeaders, VerifyError, random_nonce};
use tokio::net::TcpListener;

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A client that does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap()
}

pub struct Harness {
    pub sim: Arc<Simulator>,
    /// `public_base`: `http://127.0.0.1:PORT/paysim`.
    pub base: String,
    pub http: reqwest::Client,
}

/// Starts a simulator with fast timings (retries 50 ms apart, user-paying 1 s, refunds 200 ms).
pub async fn start() -> Harness {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut SimConfig)) -> Harness {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/paysim", listener.local_addr().unwrap());
    let mut config = SimConfig {
        public_base: base.clone(),
        notify_retry_ms: vec![50, 50, 50],
        userpaying_secs: 1,
        refund_processing_ms: 200,
    };
    tweak(&mut config);
    let sim = Simulator::new(config);
    let app = Router::new().nest("/paysim", sim.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Harness { sim, base, http: client() }
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Inbox {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
    default: Arc<Mutex<(u16, String)>>,
}

/// A merchant's notification endpoint: records every POST, answers scripted replies first,
/// then the default.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/notify`.
    pub url: String,
    inbox: Inbox,
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned())).collect();
    inbox.hits.lock().unwrap().push(Hit { headers, body: body.to_vec() });
    let scripted = inbox.script.lock().unwrap().pop_front();
    let (status, answer) = scripted.unwrap_or_else(|| inbox.default.lock().unwrap().clone());
    (StatusCode::from_u16(status).unwrap(), answer)
}

impl Receiver {
    pub async fn start(default_status: u16, default_body: &str) -> Receiver {
        let inbox = Inbox::default();
        *inbox.default.lock().unwrap() = (default_status, default_body.to_owned());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let app = Router::new().route("/notify", post(receive)).with_state(inbox.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, inbox }
    }

    /// Answers these first, in order.
    pub fn script(&self, answers: &[(u16, &str)]) {
        self.inbox.script.lock().unwrap().extend(answers.iter().map(|(s, b)| (*s, (*b).to_owned())));
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inbox.hits.lock().unwrap().clone()
    }

    /// Waits until at least `n` notifications arrived (panics after 5 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        let start = Instant::now();
        loop {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "expected {n} notifications, got {}", hits.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Polls `check` until it returns `Some` (panics after 5 s).
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(mut check: impl FnMut() -> F) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "condition not reached in 5 s");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The `action` of the first form in a page.
pub fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + 8;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").expect("a Location header").to_str().unwrap().to_owned()
}

/// A WeChat Pay merchant using Sweep's side of the protocol crate.
pub struct WxMerchant {
    pub creds: Value,
    pub signer: MerchantSigner,
    pub verifier: PlatformVerifier,
    pub gateway: String,
    pub http: reqwest::Client,
}

pub struct WxReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub json: Value,
}

impl WxReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn verify(&self, verifier: &PlatformVerifier) -> Result<(), VerifyError> {
        verifier.verify(&SignedHeaders::from_pairs(&self.headers)?, &self.body, now())
    }

    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }
}

impl WxMerchant {
    pub fn new(creds: Value) -> Self {
        let s = |k: &str| creds[k].as_str().unwrap().to_owned();
        let signer = MerchantSigner::new(s("mchid"), s("merchant_serial_no"), &s("merchant_private_key")).unwrap();
        let mut verifier = PlatformVerifier::new();
        verifier.add_public_key_pem(&s("platform_public_key_id"), &s("platform_public_key")).unwrap();
        verifier.add_certificate_pem(creds["platform_certificates"][0].as_str().unwrap()).unwrap();
        WxMerchant { gateway: s("gateway_url"), creds, signer, verifier, http: client() }
    }

    pub fn get(&self, key: &str) -> String {
        self.creds[key].as_str().unwrap().to_owned()
    }

    /// Signs over the full URL path, as a client configured with `gateway_url` does.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> WxReply {
        let url = reqwest::Url::parse(&format!("{}{path}", self.gateway)).unwrap();
        let signed_path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        self.call_signed(method, path, &signed_path, body).await
    }

    /// Sends to `gateway + path` with a signature over `signed_path`.
    pub async fn call_signed(&self, method: &str, path: &str, signed_path: &str, body: Option<&Value>) -> WxReply {
        let body_text = body.map(|b| b.to_string()).unwrap_or_default();
        let auth = self.signer.authorization(method, signed_path, now(), &random_nonce(), &body_text);
        self.send(method, path, Some(auth), body_text).await
    }

    pub async fn send(&self, method: &str, path: &str, authorization: Option<String>, body: String) -> WxReply {
        let url = format!("{}{path}", self.gateway);
        let mut request = self
            .http
            .request(method.parse().unwrap(), &url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json");
        if let Some(a) = authorization {
            request = request.header("Authorization", a);
        }
        if method != "GET" {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response.bytes().await.unwrap().to_vec();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        WxReply { status, headers, body, json }
    }

    /// A Native prepay for `total` fen notifying `notify_url`; returns the reply.
    pub async fn native(&self, out_trade_no: &str, total: i64, notify_url: &str) -> WxReply {
        let body = serde_json::json!({
            "appid": self.get("appid"), "mchid": self.get("mchid"), "description": "Sweep 测试 <b>&</b>",
            "out_trade_no": out_trade_no, "notify_url": notify_url, "amount": { "total": total, "currency": "CNY" }
        });
        self.call("POST", "/v3/pay/transactions/native", Some(&body)).await
    }

    pub async fn query(&self, out_trade_no: &str) -> WxReply {
        let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}", self.get("mchid"));
        self.call("GET", &path, None).await
    }
}

/// An Alipay application using Sweep's side of the protocol crate.
pub struct AliMerchant {
    pub creds: Value,
    pub signer: AppSigner,
    pub alipay_key: AlipayPublicKey,
    pub gateway: String,
    pub http: reqwest::Client,
}

impl AliMerchant {
    pub fn new(creds: Value) -> Self {
        let s = |k: &str| creds[k].as_str().unwrap().to_owned();
        AliMerchant {
            signer: AppSigner::from_key_text(&s("app_private_key")).unwrap(),
            alipay_key: AlipayPublicKey::from_key_text(&s("alipay_public_key")).unwrap(),
            gateway: s("gateway_url"),
            creds,
            http: client(),
        }
    }

    pub fn get(&self, key: &str) -> String {
        self.creds[key].as_str().unwrap().to_owned()
    }

    pub fn params(
        &self,
        method: &str,
        biz: &Value,
        notify_url: Option<&str>,
        return_url: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut common = CommonParams::new(&self.get("app_id"), method, timestamp_utc8(now()));
        if let Some(n) = notify_url {
            common = common.with_notify_url(n);
        }
        if let Some(r) = return_url {
            common = common.with_return_url(r);
        }
        signed_params(&common, &biz.to_string(), &self.signer).unwrap()
    }

    /// POSTs a form and returns the raw reply text.
    pub async fn post_form(&self, form: &[(String, String)]) -> String {
        let response = self
            .http
            .post(&self.gateway)
            .header("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
            .body(encode_form(form))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/json;charset=utf-8");
        response.text().await.unwrap()
    }

    /// Calls a method and verifies the signed reply.
    pub async fn call(&self, method: &str, biz: &Value, notify_url: Option<&str>) -> GatewayReply {
        let raw = self.post_form(&self.params(method, biz, notify_url, None)).await;
        sweep_alipay::verify_reply(&raw, method, &self.alipay_key).unwrap_or_else(|e| panic!("{e}: {raw}"))
    }

    pub async fn precreate(&self, out_trade_no: &str, amount: &str, notify_url: &str) -> GatewayReply {
        let biz = PrecreateRequest {
            out_trade_no: out_trade_no.into(),
            store_id: None,
            subject: "Sweep 咖啡 <i>".into(),
            timeout_express: Some("15m".into()),
            total_amount: amount.into(),
        };
        let biz: Value = serde_json::from_str(&biz.to_biz_content().unwrap()).unwrap();
        self.call(PrecreateRequest::METHOD, &biz, Some(notify_url)).await
    }

    pub async fn query(&self, out_trade_no: &str) -> GatewayReply {
        self.call("alipay.trade.query", &serde_json::json!({ "out_trade_no": out_trade_no }), None).await
    }
}
