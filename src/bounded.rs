//! One parser for the whole numbers people write into settings: ext.ini options, API
//! parameters and environment variables all go through [`parse`], so "trim, parse, check the
//! range" is written once and behaves the same everywhere.

use std::ops::RangeInclusive;
use std::str::FromStr;

/// `text` as a whole number within `range`: surrounding white space is ignored (and a leading
/// `+`, as Rust's integer parsing allows); a minus sign, a fraction, a unit or anything outside
/// the range gives `None`, which the caller turns into its own error (each setting names itself).
pub fn parse<T>(text: &str, range: RangeInclusive<T>) -> Option<T>
where
    T: FromStr + PartialOrd,
{
    text.trim().parse().ok().filter(|n| range.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_within_the_range_only() {
        assert_eq!(parse(" 8 ", 6u8..=8), Some(8));
        assert_eq!(parse("6", 6u8..=8), Some(6));
        for bad in [
            "5",
            "9",
            "-6",
            "six",
            "",
            "6.0",
            "7s",
            "99999999999999999999",
        ] {
            assert_eq!(parse(bad, 6u8..=8), None, "{bad:?}");
        }
        assert_eq!(parse("0", 0u64..=600), Some(0));
    }
}
