//! Content negotiation: which of the media types a route can produce the
//! client's `Accept` header prefers (RFC 9110 §12.5.1: q-values, the most
//! specific range wins, ties go to the server's order).

/// One range of an `Accept` header.
#[derive(Debug, Clone, PartialEq)]
struct Range {
    kind: String,
    subtype: String,
    q: f32,
}

fn parse_accept(header: &str) -> Vec<Range> {
    header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let (kind, subtype) = media.split_once('/')?;
            if kind.is_empty() || subtype.is_empty() {
                return None;
            }
            let mut q = 1.0f32;
            for p in parts {
                if let Some((k, v)) = p.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q: &f32| (0.0..=1.0).contains(q))?;
                }
            }
            Some(Range {
                kind: kind.trim().to_string(),
                subtype: subtype.trim().to_string(),
                q,
            })
        })
        .collect()
}

/// The q-value `ranges` give `media` (`type/subtype`), from the most
/// specific matching range; `None` when no range matches.
fn quality(ranges: &[Range], media: &str) -> Option<f32> {
    let (kind, subtype) = media.split_once('/')?;
    let mut best: Option<(u8, f32)> = None;
    for r in ranges {
        let specificity = if r.kind == kind && r.subtype == subtype {
            2
        } else if r.kind == kind && r.subtype == "*" {
            1
        } else if r.kind == "*" && r.subtype == "*" {
            0
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, r.q));
        }
    }
    best.map(|(_, q)| q)
}

/// The index of the offered media type the client prefers, or `None`
/// when it accepts none of them. No (or an empty) `Accept` header accepts
/// anything, which gives the first offer.
pub fn choose(accept: Option<&str>, offers: &[&str]) -> Option<usize> {
    let ranges = match accept {
        Some(h) if !h.trim().is_empty() => parse_accept(h),
        _ => return (!offers.is_empty()).then_some(0),
    };
    if ranges.is_empty() {
        // Nothing readable in the header: treat it as absent.
        return (!offers.is_empty()).then_some(0);
    }
    let mut best: Option<(usize, f32)> = None;
    for (i, offer) in offers.iter().enumerate() {
        let q = quality(&ranges, offer).unwrap_or(0.0);
        if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
            best = Some((i, q));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::choose;

    const OFFERS: &[&str] = &[
        "application/json",
        "application/sarif+json",
        "text/markdown",
        "text/plain",
    ];

    #[test]
    fn absent_or_wildcard_accept_gives_the_first_offer() {
        assert_eq!(choose(None, OFFERS), Some(0));
        assert_eq!(choose(Some(""), OFFERS), Some(0));
        assert_eq!(choose(Some("*/*"), OFFERS), Some(0));
        assert_eq!(choose(Some("garbage"), OFFERS), Some(0));
    }

    #[test]
    fn exact_types_and_q_values_pick_the_offer() {
        assert_eq!(choose(Some("application/sarif+json"), OFFERS), Some(1));
        assert_eq!(
            choose(Some("text/markdown; charset=utf-8"), OFFERS),
            Some(2)
        );
        assert_eq!(choose(Some("text/*"), OFFERS), Some(2));
        assert_eq!(
            choose(Some("text/markdown;q=0.5, text/plain"), OFFERS),
            Some(3)
        );
        assert_eq!(choose(Some("*/*;q=0.1, text/plain;q=0"), OFFERS), Some(0));
        assert_eq!(choose(Some("TEXT/PLAIN"), OFFERS), Some(3));
    }

    #[test]
    fn the_most_specific_range_decides() {
        // text/plain is refused even though text/* is welcome.
        assert_eq!(choose(Some("text/*, text/markdown;q=0"), OFFERS), Some(3));
    }

    #[test]
    fn unacceptable_types_give_none() {
        assert_eq!(choose(Some("text/html"), OFFERS), None);
        assert_eq!(choose(Some("image/*"), OFFERS), None);
        assert_eq!(
            choose(Some("application/json;q=0"), &["application/json"]),
            None
        );
    }
}
