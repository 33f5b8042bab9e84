//! Recognising the handset on every request (issue 3) and deciding what to trust.
//!
//! The `detect_handset` middleware runs after the Host check: it resolves the client address
//! (through configured reverse proxies only), asks `ashiato_handset` for the profile, logs a
//! security event when a subscriber ID arrived from outside its carrier's gateways, and puts the
//! profile in the request's extensions for the `Visitor` extractor and the renderers.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, web};
use ashiato_handset::{Handset, HeaderLookup, Trust};

use crate::App;

/// actix's header map seen through the handset crate's lookup trait. Repeated headers give
/// their first value; the reverse proxy in `deploy/nginx` replaces `X-Forwarded-For` with one.
struct ActixHeaders<'a> {
    map: &'a HeaderMap,
    /// Headers that arrived more than once, their values joined with ", " in arrival order.
    /// `HeaderMap::get` returns only the first line: a proxy that appends its own
    /// `X-Forwarded-For` line after a client's forged one would then hand the detector the
    /// forged address, and with it subscriber-ID trust (security.md S-01).
    repeated: Vec<(String, Vec<u8>)>,
}

impl<'a> ActixHeaders<'a> {
    fn new(map: &'a HeaderMap) -> ActixHeaders<'a> {
        let mut repeated: Vec<(String, Vec<u8>)> = Vec::new();
        for name in map.keys() {
            // Nothing is allocated for the usual request, where every header comes once.
            if map.get_all(name).nth(1).is_some()
                && !repeated.iter().any(|(n, _)| n == name.as_str())
            {
                let values: Vec<&[u8]> = map.get_all(name).map(|v| v.as_bytes()).collect();
                repeated.push((name.as_str().to_owned(), values.join(&b", "[..])));
            }
        }
        ActixHeaders { map, repeated }
    }
}

impl HeaderLookup for ActixHeaders<'_> {
    fn header(&self, lowercase_name: &str) -> Option<&[u8]> {
        if let Some((_, joined)) = self.repeated.iter().find(|(n, _)| n == lowercase_name) {
            return Some(joined);
        }
        self.map.get(lowercase_name).map(actix_web::http::header::HeaderValue::as_bytes)
    }
}

/// The profile of this request's handset (detected by the middleware).
pub fn of(req: &HttpRequest) -> Arc<Handset> {
    req.extensions().get::<Arc<Handset>>().cloned().unwrap_or_else(|| {
        // Only reachable in a router without the middleware: treat as a PC with no trust.
        Arc::new(ashiato_handset::detect(
            &ashiato_handset::HeaderList::new(),
            None,
            &Trust::nothing(),
        ))
    })
}

/// Where a request comes from, for the password-login limits: a carrier's browser gateway
/// (one address for very many handsets) or the client's own address, resolved through the
/// configured reverse proxies only (a forged `X-Forwarded-For` names nothing).
pub fn login_source(req: &HttpRequest, trust: &Trust) -> ashiato_app::accounts::LoginSource {
    use ashiato_app::accounts::LoginSource;
    let client = client_address(req, trust);
    match trust.gateways.classify(client) {
        ashiato_handset::GatewayMatch::Browser(_) => LoginSource::CarrierGateway,
        _ => LoginSource::Address(client),
    }
}

/// The client's address: the TCP peer, or what a configured reverse proxy says it forwarded
/// for (a forged `X-Forwarded-For` from anyone else names nothing).
pub fn client_address(req: &HttpRequest, trust: &Trust) -> IpAddr {
    let peer = req.peer_addr().map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let headers = ActixHeaders::new(req.headers());
    ashiato_handset::client_ip(
        peer,
        headers.header("x-forwarded-for"),
        headers.header("x-real-ip"),
        &trust.proxies,
    )
}

/// Detects the handset and stores the profile in the request extensions.
pub async fn detect_handset(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(state) = req.app_data::<web::Data<App>>() {
        let peer: Option<IpAddr> = req.peer_addr().map(|a| a.ip());
        let handset =
            ashiato_handset::detect(&ActixHeaders::new(req.headers()), peer, &state.trust);
        if handset.untrusted_id_presented() {
            // The ID itself is never logged (security.md S-09): only its kind and why it was
            // dropped, with the address it came from.
            tracing::warn!(
                security.event = "untrusted_subscriber_id",
                subscriber_id.kind = ?handset.subscriber_id_kind,
                subscriber_id.rejected = ?handset.subscriber_id_rejected,
                client.carrier = handset.carrier.as_str(),
                client.peer = ?peer,
                "subscriber ID ignored"
            );
        }
        req.extensions_mut().insert(Arc::new(handset));
    }
    next.call(req).await
}
