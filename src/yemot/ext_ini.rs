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
