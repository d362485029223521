//! Gateway responses: `{"<method>_response":{...},"sign":"..."}`, where the signature covers
//! the node's raw text exactly as it appears in the response (never a re-serialisation).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::keys::{AlipayPublicKey, AppSigner};
use crate::types::code;

/// The node name for a method: dots become underscores, `_response` is appended
/// (`alipay.trade.precreate` → `alipay_trade_precreate_response`).
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The node the gateway answers with when it rejects a call before the method runs.
pub const fn error_response_key() -> &'static str {
    "error_response"
}

/// Finds the top-level member `node_key` of the response object `raw` and returns its value's
/// raw text, byte for byte as it appears (`Ok(None)` if there is no such member).
///
/// The text is scanned structurally (strings and escapes respected, nesting balanced), so a
/// `"sign"` or a brace inside a string value, or a member of the same name in a nested
/// object, does not confuse it. Repeated top-level names are refused.
pub fn extract_node<'a>(raw: &'a str, node_key: &str) -> Result<Option<&'a str>, Error> {
    Ok(top_level_members(raw)?.into_iter().find(|(k, _)| k == node_key).map(|(_, v)| v))
}

/// The signed node, which node it was, and the `sign` value if any.
struct SignedNode<'a> {
    node: &'a str,
    sign: Option<String>,
}

fn signed_node<'a>(raw: &'a str, method: &str) -> Result<SignedNode<'a>, Error> {
    // The whole text must be valid JSON before any part of it is trusted.
    let whole: Value = serde_json::from_str(raw)?;
    if !whole.is_object() {
        return Err(Error::MalformedResponse("the response is not a JSON object"));
    }
    let members = top_level_members(raw)?;
    let find = |key: &str| members.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
    let key = response_key(method);
    let node = match (find(&key), find(error_response_key())) {
        (Some(_), Some(_)) => {
            return Err(Error::MalformedResponse("both the method's node and error_response are present"));
        }
        (Some(n), None) | (None, Some(n)) => n,
        (None, None) => return Err(Error::MissingNode(key)),
    };
    if !node.starts_with('{') {
        return Err(Error::MalformedResponse("the response node is not an object"));
    }
    let sign = match find("sign") {
        None => None,
        Some(s) => {
            Some(serde_json::from_str::<String>(s).map_err(|_| Error::MalformedResponse("`sign` is not a string"))?)
        }
    };
    Ok(SignedNode { node, sign })
}

/// Merchant side: verifies a gateway response over its RAW text and returns the parsed
/// response node (`<method>_response`, or `error_response` when the gateway rejected the call).
///
/// The signature (top-level `sign`, made with the Alipay private key) must cover the node's
/// exact bytes; a response without `sign` is refused with [`Error::MissingSign`] (see
/// [`parse_unverified`] to log such replies). A verified node may still report a business
/// failure: read it with [`GatewayReply`] or call [`verify_reply`].
pub fn verify_response(raw: &str, method: &str, key: &AlipayPublicKey) -> Result<Value, Error> {
    let signed = signed_node(raw, method)?;
    let sign = signed.sign.ok_or(Error::MissingSign)?;
    key.verify(signed.node, &sign)?;
    Ok(serde_json::from_str(signed.node)?)
}

/// [`verify_response`] followed by [`GatewayReply::from_node`].
pub fn verify_reply(raw: &str, method: &str, key: &AlipayPublicKey) -> Result<GatewayReply, Error> {
    GatewayReply::from_node(verify_response(raw, method, key)?)
}

/// Reads the response node WITHOUT checking any signature. Only for logging and diagnosing
/// replies that cannot be verified (for instance an unsigned `error_response` about a bad
/// app id or a bad request signature); never act on its content.
pub fn parse_unverified(raw: &str, method: &str) -> Result<GatewayReply, Error> {
    let signed = signed_node(raw, method)?;
    GatewayReply::from_node(serde_json::from_str(signed.node)?)
}

/// Provider side: the raw response text `{"<method>_response":<node>,"sign":"<b64>"}` with the
/// signature over `response_node_json` exactly as embedded. The node must be a JSON object.
pub fn signed_response(method: &str, response_node_json: &str, platform_signer: &AppSigner) -> Result<String, Error> {
    wrap_signed(&response_key(method), response_node_json, platform_signer)
}

/// Provider side: like [`signed_response`] but for the `error_response` node.
pub fn signed_error_response(error_node_json: &str, platform_signer: &AppSigner) -> Result<String, Error> {
    wrap_signed(error_response_key(), error_node_json, platform_signer)
}

fn wrap_signed(node_key: &str, node: &str, signer: &AppSigner) -> Result<String, Error> {
    let parsed: Value = serde_json::from_str(node)?;
    if !parsed.is_object() || !node.starts_with('{') || !node.ends_with('}') {
        return Err(Error::MalformedResponse("the response node must be a JSON object without surrounding whitespace"));
    }
    let sign = signer.sign(node)?;
    let key = serde_json::to_string(node_key)?;
    Ok(format!("{{{key}:{node},\"sign\":\"{sign}\"}}"))
}

/// The common part of every response node, plus the whole node for the method's own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayReply {
    /// Gateway result code: `10000` success, `10003` waiting for the user to pay
    /// (`alipay.trade.pay`), `20000` service unavailable, `40004` business failure, …
    pub code: String,
    /// Text for `code`.
    pub msg: String,
    /// Business error, e.g. `ACQ.TRADE_NOT_EXIST` (see [`crate::types::sub_code`]).
    pub sub_code: Option<String>,
    /// Text for `sub_code`.
    pub sub_msg: Option<String>,
    /// The whole response node.
    pub body: Value,
}

impl GatewayReply {
    /// Reads `code`, `msg`, `sub_code` and `sub_msg` from a response node.
    pub fn from_node(body: Value) -> Result<Self, Error> {
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let code = text("code").filter(|c| !c.is_empty()).ok_or_else(|| Error::MissingField("code".to_owned()))?;
        Ok(Self {
            code,
            msg: text("msg").unwrap_or_default(),
            sub_code: text("sub_code").filter(|s| !s.is_empty()),
            sub_msg: text("sub_msg").filter(|s| !s.is_empty()),
            body,
        })
    }

    /// `code` is `10000`: the call did what was asked.
    pub fn is_success(&self) -> bool {
        self.code == code::SUCCESS
    }

    /// `code` is `10003`: a bar-code payment waits for the user to confirm on the phone
    /// (keep querying, cancel on timeout).
    pub fn is_waiting_for_user(&self) -> bool {
        self.code == code::WAITING_FOR_USER
    }

    /// `sub_code` equals `sub_code`.
    pub fn has_sub_code(&self, sub_code: &str) -> bool {
        self.sub_code.as_deref() == Some(sub_code)
    }

    /// Deserialises the node into a typed response from [`crate::types`].
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(T::deserialize(&self.body)?)
    }
}

/// The members of the top-level object: (decoded name, raw value text).
fn top_level_members(raw: &str) -> Result<Vec<(String, &str)>, Error> {
    let mut c = Cursor { b: raw.as_bytes(), i: 0 };
    let mut out: Vec<(String, &str)> = Vec::new();
    c.ws();
    c.eat(b'{')?;
    c.ws();
    if c.peek() == Some(b'}') {
        c.i += 1;
    } else {
        loop {
            c.ws();
            let start = c.i;
            c.string()?;
            let name: String = serde_json::from_str(c.slice(raw, start)?)?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            let start = c.i;
            c.value()?;
            let value = c.slice(raw, start)?;
            if out.iter().any(|(k, _)| *k == name) {
                return Err(Error::MalformedResponse("repeated top-level member"));
            }
            out.push((name, value));
            c.ws();
            match c.peek() {
                Some(b',') => c.i += 1,
                Some(b'}') => {
                    c.i += 1;
                    break;
                }
                _ => return Err(Error::MalformedResponse("expected `,` or `}`")),
            }
        }
    }
    c.ws();
    if c.i != c.b.len() {
        return Err(Error::MalformedResponse("text after the response object"));
    }
    Ok(out)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Result<(), Error> {
        if self.peek() != Some(byte) {
            return Err(Error::MalformedResponse("unexpected character"));
        }
        self.i += 1;
        Ok(())
    }

    fn slice<'r>(&self, raw: &'r str, start: usize) -> Result<&'r str, Error> {
        raw.get(start..self.i).ok_or(Error::MalformedResponse("value does not end on a character"))
    }

    /// Skips a string, the cursor on its opening quote.
    fn string(&mut self) -> Result<(), Error> {
        self.eat(b'"')?;
        loop {
            match self.peek() {
                None => return Err(Error::MalformedResponse("unterminated string")),
                Some(b'\\') => self.i += 2,
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(_) => self.i += 1,
            }
        }
    }

    /// Skips any value: string, balanced object or array, or a scalar.
    fn value(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{' | b'[') => self.container(),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == start {
                    return Err(Error::MalformedResponse("missing value"));
                }
                Ok(())
            }
            None => Err(Error::MalformedResponse("missing value")),
        }
    }

    fn container(&mut self) -> Result<(), Error> {
        let mut closers: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                None => return Err(Error::MalformedResponse("unbalanced braces")),
                Some(b'"') => {
                    self.string()?;
                    continue;
                }
                Some(b'{') => closers.push(b'}'),
                Some(b'[') => closers.push(b']'),
                Some(c @ (b'}' | b']')) => {
                    if closers.pop() != Some(c) {
                        return Err(Error::MalformedResponse("mismatched brackets"));
                    }
                    if closers.is_empty() {
                        self.i += 1;
                        return Ok(());
                    }
                }
                Some(_) => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_raw_text() {
        let raw = r#" { "a_response" : {"x":"}\"{","y":[1,{"z":"]"}]} , "sign":"s\/", "n":-1.5e3 } "#;
        let m = top_level_members(raw).unwrap();
        assert_eq!(m[0], ("a_response".to_owned(), r#"{"x":"}\"{","y":[1,{"z":"]"}]}"#));
        assert_eq!(m[1], ("sign".to_owned(), r#""s\/""#));
        assert_eq!(m[2], ("n".to_owned(), "-1.5e3"));
        for bad in
            [r#"{"a":{"b":1}"#, r#"{"a":{"b":1]}"#, r#"{"a":"x}"#, r#"{"a":1,"a":2}"#, r#"{"a":1} x"#, r#"{"a" 1}"#]
        {
            assert!(top_level_members(bad).is_err(), "{bad}");
        }
    }
}
