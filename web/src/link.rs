//! Share links: the whole scenario in the URL fragment, in the CLI's scenario schema.
//!
//! A link looks like `…/#s=v1.<base64url JSON>&at=<ms>`: `s` is `Scenario::to_share_token`
//! (schema version inside, token format version in its prefix), and the optional `at` asks the
//! page to re-simulate to that simulated millisecond and pause there, so that two people can
//! compare the trace hash at one moment. A `?s=` query is read too, for tools that drop
//! fragments. Nothing leaves the browser: the fragment is never sent to the server.
//!
//! Reading a link never fails the page: a malformed, truncated, outdated or invalid link (the
//! same validation as `strata validate`) gives a message that says what was wrong, the
//! playground starts from its defaults, and the link stays in the address bar until the
//! visitor changes the scenario.

use strata_lab::scenario::RecommenderSpec;
use strata_lab::Scenario;

/// The fragment parameter holding the share token.
pub const SCENARIO_PARAM: &str = "s";
/// The fragment parameter holding the simulated time to stop at, in milliseconds.
pub const AT_PARAM: &str = "at";

/// What the page's address asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkRequest {
    /// No scenario in the address: start from the defaults.
    None,
    /// A valid scenario, and optionally where to stop.
    Scenario {
        scenario: Box<Scenario>,
        at_ms: Option<u64>,
    },
    /// Something was there but could not be used; the message says what and why.
    Invalid(String),
}

/// Splits `a=1&b=2` (with or without a leading `#` or `?`) into pairs.
fn params(text: &str) -> Vec<(&str, &str)> {
    // The leading `#`s and `?`s skipped by a loop, as `trim_start_matches(['#', '?'])`
    // would, without that pattern's code of its own in the page (its only caller), nor a
    // `position` instance.
    let mut start = 0;
    while let Some(b'#' | b'?') = text.as_bytes().get(start) {
        start += 1;
    }
    let mut pairs = Vec::new();
    for part in text[start..].split('&') {
        if !part.is_empty() {
            pairs.push(part.split_once('=').unwrap_or((part, "")));
        }
    }
    pairs
}

/// The value of the first parameter named `key` in `params`. One loop for the link's four
/// lookups: a `find` with a closure of its own each was an instance for each.
fn value_of<'a>(params: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    for (name, value) in params {
        if *name == key {
            return Some(value);
        }
    }
    None
}

/// Reads the address's fragment (`location.hash`) and query (`location.search`).
pub fn parse(hash: &str, search: &str) -> LinkRequest {
    let fragment = params(hash);
    let query = params(search);
    let token = value_of(&fragment, SCENARIO_PARAM).or_else(|| value_of(&query, SCENARIO_PARAM));
    let Some(token) = token else {
        if fragment.is_empty() {
            return LinkRequest::None;
        }
        return LinkRequest::Invalid(format!(
            "The link's fragment has no “{SCENARIO_PARAM}=” scenario, so the playground started from its defaults."
        ));
    };
    let at_ms = match value_of(&fragment, AT_PARAM) {
        None => None,
        Some(value) => match value.parse::<u64>() {
            Ok(ms) => Some(ms),
            Err(_) => {
                return LinkRequest::Invalid(format!(
                    "The link's “{AT_PARAM}={value}” is not a whole number of milliseconds, so the playground started from its defaults."
                ))
            }
        },
    };
    match Scenario::from_share_token(token) {
        Ok(scenario) => LinkRequest::Scenario {
            scenario: Box::new(scenario),
            at_ms,
        },
        Err(error) => LinkRequest::Invalid(format!(
            "This link's scenario could not be used ({error}), so the playground started from its defaults."
        )),
    }
}

/// The fragment (with its `#`) that carries `scenario`, and `at_ms` when given.
pub fn fragment(scenario: &Scenario, at_ms: Option<u64>) -> String {
    let mut out = format!("#{SCENARIO_PARAM}={}", scenario.to_share_token());
    if let Some(ms) = at_ms {
        out.push_str(&format!("&{AT_PARAM}={ms}"));
    }
    out
}

/// The fragment parameter holding a side-by-side variant's share token.
pub const VARIANT_PARAM: &str = "vs";

/// The side-by-side variant the address names (`vs=<share token>`), if it names one: the
/// scenario, or a message that says why it cannot be used (the base run starts all the same).
pub fn variant(hash: &str) -> Option<Result<Scenario, String>> {
    let token = value_of(&params(hash), VARIANT_PARAM)?;
    Some(Scenario::from_share_token(token).map_err(|error| {
        format!(
            "The link's side-by-side variant could not be used ({error}); this run plays alone."
        )
    }))
}

/// `fragment` with the side-by-side variant `variant` after it.
pub fn with_variant(fragment: &str, variant: Option<&Scenario>) -> String {
    match variant {
        Some(variant) => format!("{fragment}&{VARIANT_PARAM}={}", variant.to_share_token()),
        None => fragment.to_string(),
    }
}

/// The fragment parameter holding the claim figures of the chapter a side-by-side variant
/// came from: summary paths, comma-separated (`vf=puts_per_1000_writes,cost.total_usd`).
pub const VARIANT_CLAIMS_PARAM: &str = "vf";
/// Claim figures a link carries at most (a chapter's most claims).
pub const MAX_VARIANT_CLAIMS: usize = strata_lab::chapter::MAX_CLAIMS;
/// The longest claim path a link carries, in bytes.
pub const MAX_CLAIM_PATH_BYTES: usize = 120;

/// The claim figures the address names for the side-by-side variant (`vf=`): at most
/// [`MAX_VARIANT_CLAIMS`] dotted paths of letters, digits and `_`; others are skipped.
pub fn variant_claims(hash: &str) -> Vec<String> {
    let mut claims = Vec::new();
    let Some(value) = value_of(&params(hash), VARIANT_CLAIMS_PARAM) else {
        return claims;
    };
    for path in value.split(',') {
        if claims.len() == MAX_VARIANT_CLAIMS {
            break;
        }
        if is_claim_path(path) {
            claims.push(path.to_string());
        }
    }
    claims
}

fn is_claim_path(path: &str) -> bool {
    if path.is_empty() || path.len() > MAX_CLAIM_PATH_BYTES {
        return false;
    }
    // A loop: `all` with this closure was an instance of its own.
    for b in path.bytes() {
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
            return false;
        }
    }
    true
}

/// `fragment` with the side-by-side variant's claim figures after it (none: unchanged).
pub fn with_variant_claims(fragment: &str, claims: &[String]) -> String {
    if claims.is_empty() {
        return fragment.to_string();
    }
    format!("{fragment}&{VARIANT_CLAIMS_PARAM}={}", claims.join(","))
}

/// The playground's starting scenario ([`Scenario::playground`]).
pub fn default_scenario() -> Scenario {
    Scenario::playground()
}

/// The recommender section the playground adds when the user turns the loop on.
pub fn default_recommender() -> RecommenderSpec {
    RecommenderSpec::playground()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn params_skip_the_leading_marks_as_trim_start_matches_does() {
        for text in [
            "", "#", "?", "#?#a=1&b", "?s=x&&t=", "a=#1", "é=1", "#?é&x=?",
        ] {
            let trimmed = text.trim_start_matches(['#', '?']);
            let expected: Vec<(&str, &str)> = trimmed
                .split('&')
                .filter(|part| !part.is_empty())
                .map(|part| part.split_once('=').unwrap_or((part, "")))
                .collect();
            assert_eq!(params(text), expected, "{text:?}");
        }
        assert_eq!(params("#?#a=1&b"), [("a", "1"), ("b", "")]);
    }

    #[test]
    fn a_link_carries_the_variant_beside_the_scenario_and_a_bad_one_is_named() {
        let scenario = default_scenario();
        let mut variant = scenario.clone();
        variant.duration_ms += 1000;
        let link = with_variant(&fragment(&scenario, Some(20)), Some(&variant));
        assert_eq!(variant_of(&link), Some(Ok(variant)));
        assert!(
            matches!(parse(&link, ""), LinkRequest::Scenario { scenario: read, at_ms: Some(20) } if *read == scenario)
        );
        assert_eq!(variant_of(&fragment(&scenario, None)), None);
        let bad = format!("{}&{VARIANT_PARAM}=v1.%%%", fragment(&scenario, None));
        assert!(variant_of(&bad)
            .unwrap()
            .unwrap_err()
            .contains("side-by-side"));
        assert!(matches!(parse(&bad, ""), LinkRequest::Scenario { .. }));
    }

    #[test]
    fn a_link_carries_the_chapters_claim_figures_and_skips_odd_ones() {
        let claims = vec![
            "puts_per_1000_writes".to_string(),
            "ope.estimates.ips.ci95_width".to_string(),
        ];
        let link = with_variant_claims("#s=v1.x&vs=v1.y", &claims);
        assert_eq!(
            link,
            "#s=v1.x&vs=v1.y&vf=puts_per_1000_writes,ope.estimates.ips.ci95_width"
        );
        assert_eq!(variant_claims(&link), claims);
        assert_eq!(with_variant_claims("#s=v1.x", &[]), "#s=v1.x");
        assert_eq!(variant_claims("#s=v1.x&vf=a.b,<script>,,c"), ["a.b", "c"]);
        let many = ["a"; 20].join(",");
        assert_eq!(
            variant_claims(&format!("#vf={many}")).len(),
            MAX_VARIANT_CLAIMS
        );
    }

    fn variant_of(hash: &str) -> Option<Result<Scenario, String>> {
        variant(hash)
    }

    #[test]
    fn a_link_round_trips_the_scenario_and_the_moment() {
        let mut scenario = default_scenario();
        scenario.seed = 9;
        let link = fragment(&scenario, Some(1500));
        match parse(&link, "") {
            LinkRequest::Scenario {
                scenario: read,
                at_ms,
            } => {
                assert_eq!(*read, scenario);
                assert_eq!(at_ms, Some(1500));
            }
            other => panic!("expected a scenario, got {other:?}"),
        }
        // The query form works too.
        let query = format!("?{}", &fragment(&scenario, None)[1..]);
        assert!(matches!(parse("", &query), LinkRequest::Scenario { .. }));
        // The fragment's scenario comes before the query's, and the first of a name counts.
        let first = format!("{link}&s=v1.unreadable");
        assert!(matches!(
            parse(&first, "?s=v1.unreadable"),
            LinkRequest::Scenario { .. }
        ));
        assert!(matches!(
            parse("#s=v1.unreadable", &query),
            LinkRequest::Invalid(_)
        ));
    }

    #[test]
    fn the_default_scenario_is_valid() {
        default_scenario().validate().unwrap();
        assert!(matches!(parse("", ""), LinkRequest::None));
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        let cases = [
            ("#s=v1.%%%", "base64url"),
            ("#s=v9.abc", "not supported"),
            ("#s=hello", "starts with"),
            ("#s=v1.e30", "version"), // "{}": no version field
            ("#view=storage", "no “s=”"),
            ("#s=v1.e30&at=soon", "milliseconds"),
        ];
        for (hash, expected) in cases {
            match parse(hash, "") {
                LinkRequest::Invalid(message) => {
                    assert!(message.contains(expected), "{hash}: {message}");
                    assert!(message.contains("defaults"), "{hash}: {message}");
                }
                other => panic!("{hash}: expected a message, got {other:?}"),
            }
        }
        // An outdated schema version is named as such.
        let old = format!(
            "#s={}",
            "v1.".to_string()
                + &strata_lab::share::base64url_encode(
                    br#"{"version":0,"seed":1,"duration_ms":5}"#
                )
        );
        match parse(&old, "") {
            LinkRequest::Invalid(message) => assert!(message.contains("version 0"), "{message}"),
            other => panic!("expected a message, got {other:?}"),
        }
    }
}
