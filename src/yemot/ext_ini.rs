//! The ext.ini lines this project writes for an extension owner to paste.

/// The ext.ini block for a sealed token, for the server at `base` (e.g. `https://x.onrender.com`).
pub fn sealed_block(base: &str, token: &str, access_token: bool) -> String {
    let mut lines = format!(
        "type=api\napi_link={}/api/2fa\napi_url_post=yes\napi_log=no\napi_add_0=sealed={token}\n",
        base.trim_end_matches('/')
    );
    if access_token {
        lines.push_str("api_add_1=token=YOUR_ACCESS_TOKEN\n");
    }
    lines
}

/// An ext.ini block with `adds` as its `api_add_N` lines, for the server at `base` (or a
/// placeholder to replace).
pub fn menu_block(base: Option<&str>, adds: &[String]) -> String {
    let base = base.map_or("https://YOUR-SERVER", |b| b.trim_end_matches('/'));
    let mut lines = format!("type=api\napi_link={base}/api/2fa\napi_url_post=yes\napi_log=no\n");
    for (i, add) in adds.iter().enumerate() {
        lines.push_str(&format!("api_add_{i}={add}\n"));
    }
    lines
}

/// A name as an ext.ini value that reads the same raw or encoded: letters and digits of any
/// script, spaces as `_` (said as a space), nothing else.
pub fn safe_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c.is_whitespace() || c == '_') && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}
