//! The one parser of the durations the simulator's users write: `86400`, `30s`, `90m`, `24h`,
//! `2d`, `1.5h`, `0` (memory usage profiles of the simulated kubelet, `rightsize-sim evaluate
//! --rollout`). Plain decimal digits only: no sign, no exponent, no `inf` or `NaN`.

/// Seconds written as `text`, or `None` if it is not such a duration.
pub fn parse_secs(text: &str) -> Option<f64> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let scale = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86_400.0,
        _ => return None,
    };
    let plain = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().any(|c| c.is_ascii_digit());
    let value: f64 = if plain {
        number.parse().ok()?
    } else {
        return None;
    };
    // A digit string too long for f64 parses as infinity: not a duration.
    Some(value * scale).filter(|secs| secs.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_accepted_form() {
        for (text, secs) in [
            ("86400", 86400.0),
            ("24h", 86400.0),
            ("90m", 5400.0),
            ("30s", 30.0),
            ("2d", 172_800.0),
            ("0", 0.0),
            ("1.5h", 5400.0),
            (" 10m ", 600.0),
        ] {
            assert_eq!(parse_secs(text), Some(secs), "{text}");
        }
        for bad in ["", "h", "24x", "-5", "1e3", "24 h h", "NaN", "inf", "."] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_number_beyond_f64_is_refused_not_infinite() {
        let huge = "9".repeat(400);
        assert_eq!(parse_secs(&huge), None);
        assert_eq!(parse_secs(&format!("{huge}d")), None);
    }
}
