//! The pure rules of webhook delivery: which addresses may be called, when to try again, when
//! to give up on an endpoint, and how a request is signed (Standard Webhooks).

use std::net::IpAddr;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

/// Waits between attempts, after the first (at once): about three days in all, eleven
/// attempts, the growing steps Standard Webhooks senders use.
pub const RETRY_DELAYS: [Duration; 10] = [
    Duration::from_secs(5),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(20 * 3600),
];

/// Every attempt failed for this long (and at least [`DISABLE_AFTER_FAILURES`] in a row): the
/// endpoint is disabled until an admin turns it on again.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);
pub const DISABLE_AFTER_FAILURES: i32 = 10;

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;
/// How much of a receiver's answer the log keeps.
pub const EXCERPT_CHARS: usize = 1024;

/// The wait before the attempt after `attempt` (1 = the first) failed, scaled (tests and
/// drills shrink time); `None` when that was the last attempt.
pub fn retry_delay(attempt: i32, scale: f64) -> Option<TimeDelta> {
    let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
    let delay = RETRY_DELAYS.get(index)?;
    TimeDelta::from_std(delay.mul_f64(scale.max(0.0))).ok()
}

/// Whether an endpoint that has failed since `failing_since` (`failures` attempts in a row)
/// should be disabled now.
pub fn should_disable(
    failing_since: Option<NaiveDateTime>,
    failures: i32,
    now: NaiveDateTime,
    scale: f64,
) -> bool {
    let Some(since) = failing_since else {
        return false;
    };
    let after =
        TimeDelta::from_std(DISABLE_AFTER.mul_f64(scale.max(0.0))).unwrap_or(TimeDelta::MAX);
    failures >= DISABLE_AFTER_FAILURES && now - since >= after
}

/// Why an address may not be called (unless the configuration allows private addresses):
/// this server's own machine, private networks, link-local (cloud metadata services live
/// there) and other non-public ranges.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("a loopback address")
            } else if v4.is_private() {
                Some("a private address")
            } else if v4.is_link_local() {
                Some("a link-local address (metadata services live there)")
            } else if a == 100 && (64..128).contains(&b) {
                Some("a shared (carrier-grade NAT) address")
            } else if v4.is_unspecified() || a == 0 {
                Some("an unspecified address")
            } else if v4.is_broadcast() || v4.is_multicast() || a >= 240 {
                Some("a broadcast, multicast or reserved address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_address(IpAddr::V4(v4));
            }
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("an unspecified address")
            } else if v6.is_unique_local() {
                Some("a private (unique local) address")
            } else if v6.is_unicast_link_local() {
                Some("a link-local address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else {
                None
            }
        }
    }
}

/// What the URL policy allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlPolicy {
    /// `http://` besides `https://` (development only).
    pub allow_http: bool,
    /// Loopback, private and link-local addresses (tests and local development only).
    pub allow_private: bool,
}

/// Checks a webhook URL as given: https (or http when allowed), a host, no credentials or
/// fragment, not too long, and not a literal forbidden address. Names are checked again each
/// time they are resolved, when delivering.
pub fn check_url(raw: &str, policy: UrlPolicy) -> Result<reqwest::Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("at most {MAX_URL_LEN} characters"));
    }
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        "http" => {
            return Err("must be https (this server does not allow http webhooks)".into());
        }
        other => return Err(format!("must be https, not {other}")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials (they would be kept in clear)".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let host = match url.host() {
        Some(host) => host,
        None => return Err("must name a host".into()),
    };
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            if !policy.allow_private && (name == "localhost" || name.ends_with(".localhost")) {
                return Err("must not point at this machine".into());
            }
            None
        }
    };
    if let Some(ip) = literal.filter(|_| !policy.allow_private) {
        if let Some(why) = forbidden_address(ip) {
            return Err(format!("must not point at {why}"));
        }
    }
    Ok(url)
}

/// The `webhook-signature` header: one `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per
/// secret, separated by spaces (two while a rotated secret overlaps the new one).
pub fn signature_header(
    id: &str,
    timestamp: i64,
    body: &[u8],
    secrets: &[String],
) -> Result<String, String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let hook = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
        signatures.push(hook.sign(id, timestamp, body).map_err(|e| e.to_string())?);
    }
    Ok(signatures.join(" "))
}

/// The start of a receiver's answer, as text, for the delivery log.
pub fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(EXCERPT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn retries_grow_and_last_about_three_days() {
        let total: Duration = RETRY_DELAYS.iter().sum();
        assert!(total > Duration::from_secs(70 * 3600) && total < Duration::from_secs(74 * 3600));
        assert!(RETRY_DELAYS.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(retry_delay(1, 1.0), Some(TimeDelta::seconds(5)));
        assert_eq!(retry_delay(10, 1.0), Some(TimeDelta::hours(20)));
        assert_eq!(retry_delay(11, 1.0), None, "eleven attempts in all");
        assert_eq!(retry_delay(0, 1.0), None);
        assert_eq!(retry_delay(2, 0.001), Some(TimeDelta::milliseconds(60)));
    }

    #[test]
    fn an_endpoint_is_disabled_after_failing_long_and_often() {
        let day5 = at(0) + TimeDelta::days(5);
        assert!(should_disable(Some(at(0)), 10, day5, 1.0));
        assert!(
            !should_disable(Some(at(0)), 9, day5, 1.0),
            "too few failures"
        );
        assert!(!should_disable(
            Some(at(0)),
            50,
            day5 - TimeDelta::hours(1),
            1.0
        ));
        assert!(!should_disable(None, 50, day5, 1.0), "it succeeded since");
        assert!(should_disable(
            Some(at(0)),
            10,
            at(0) + TimeDelta::seconds(5),
            0.00001
        ));
    }

    #[test]
    fn private_and_metadata_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "ff02::1",
        ] {
            assert!(forbidden_address(bad.parse().unwrap()).is_some(), "{bad}");
        }
        for good in [
            "93.184.215.14",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "8.8.8.8",
        ] {
            assert!(forbidden_address(good.parse().unwrap()).is_none(), "{good}");
        }
    }

    #[test]
    fn urls_must_be_https_public_and_plain() {
        let strict = UrlPolicy::default();
        assert!(check_url("https://hooks.example.com/shopgap?x=1", strict).is_ok());
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://hooks.example.com/#frag",
            "https://127.0.0.1/",
            "https://[::1]:8443/",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost/",
            "not a url",
        ] {
            assert!(check_url(bad, strict).is_err(), "{bad}");
        }
        let dev = UrlPolicy {
            allow_http: true,
            allow_private: true,
        };
        assert!(check_url("http://127.0.0.1:9000/hook", dev).is_ok());
        assert!(check_url(&format!("https://a.example/{}", "x".repeat(2000)), dev).is_err());
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string();
        let body = br#"{"test": 2432232314}"#;
        let header = signature_header(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
            std::slice::from_ref(&secret),
        )
        .unwrap();
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let both = signature_header(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
            &[secret.clone(), secret],
        )
        .unwrap();
        assert_eq!(both.split(' ').count(), 2);
    }

    #[test]
    fn excerpts_are_short_text() {
        assert_eq!(excerpt(b"ok"), "ok");
        assert_eq!(excerpt(&[b'a'; 5000]).len(), EXCERPT_CHARS);
        assert_eq!(excerpt(&[0xff, b'x']), "\u{fffd}x");
    }
}
