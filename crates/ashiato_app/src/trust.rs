//! Whom to trust with subscriber IDs: the carriers' gateway list and our own reverse proxies.

use ashiato_handset::{Trust, TrustedProxies};

/// Builds the trust settings from configuration: the gateway list (the shipped one, or a file
/// given in `gateways_file`, replaceable without a rebuild) and the trusted proxies.
pub fn load_trust(gateways_file: &str, proxies: &[String]) -> Result<Trust, String> {
    let gateways = if gateways_file.is_empty() {
        ashiato_handset::Gateways::builtin().clone()
    } else {
        let text = std::fs::read_to_string(gateways_file)
            .map_err(|e| format!("cannot read gateways_file {gateways_file}: {e}"))?;
        ashiato_handset::Gateways::from_toml_str(&text)
            .map_err(|e| format!("gateways_file {gateways_file}: {e}"))?
    };
    let refs: Vec<&str> = proxies.iter().map(String::as_str).collect();
    let proxies = TrustedProxies::parse(&refs).map_err(|e| format!("trusted_proxies: {e}"))?;
    Ok(Trust::new(gateways, proxies))
}
