//! Countries (ISO 3166-1 alpha-2) and the sales regions partners cover.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `code` is in the table, which is sorted with three bytes per entry ("AD ").
fn is_assigned(code: &[u8]) -> bool {
    let table = ISO_3166_ALPHA2.as_bytes();
    let (mut lo, mut hi) = (0, table.len().div_ceil(3));
    while lo < hi {
        let mid = (lo + hi) / 2;
        match table[mid * 3..mid * 3 + 2].cmp(code) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// An ISO 3166-1 alpha-2 country code, uppercase.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Country([u8; 2]);

impl Country {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && is_assigned(code.as_bytes()) {
            let b = code.as_bytes();
            Ok(Self([b[0], b[1]]))
        } else {
            Err(FieldError::new(
                field,
                "iso_3166_alpha2",
                format!("{field} must be a two-letter ISO 3166 country code such as US, DE or BR"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from the ASCII table above.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// All codes, for form pickers.
    pub fn all() -> impl Iterator<Item = &'static str> {
        ISO_3166_ALPHA2.split(' ')
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Defines a closed set of text values (a status, a type, a role) with its wire names, so
/// the API, the database and the UI all spell them the same way.
#[macro_export]
macro_rules! text_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal / $label:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and database spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// A label for people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses the wire spelling, naming `field` and the allowed values on failure.
            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::FieldError> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::FieldError::new(field, "one_of", format!("{field} must be one of: {}", allowed.join(", ")))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Written by hand rather than derived: the derive does not see the variants'
        // `#[serde(rename = $text)]` when it comes through this macro, and documented the
        // Rust spelling (`Admin`) while the wire carries `admin`. The values here are
        // `as_str`, the same literals serde renames to.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let description: Vec<&str> = [$($doc),*].iter().map(|l: &&str| l.trim()).collect();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(description.join("\n")).filter(|d| !d.is_empty()))
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

text_enum!(
    /// A sales region a partner covers.
    Region {
        NorthAmerica = "north_america" / "North America",
        LatinAmerica = "latin_america" / "Latin America",
        Emea = "emea" / "EMEA",
        Apac = "apac" / "APAC",
    }
);

/// Parses a list of regions, dropping duplicates.
pub fn parse_regions(field: &str, raw: &[String]) -> Result<Vec<Region>, FieldError> {
    let mut out = Vec::new();
    for r in raw.iter().filter(|r| !r.trim().is_empty()) {
        let region = Region::parse(field, r)?;
        if !out.contains(&region) {
            out.push(region);
        }
    }
    Ok(out)
}

// Deserialize is only needed for values read back from our own JSON columns.
impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Country::parse("country", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_checked_against_iso() {
        assert_eq!(Country::parse("country", " de ").unwrap().as_str(), "DE");
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
        for bad in ["", "D", "DEU", "XX", "UK"] {
            assert_eq!(
                Country::parse("country", bad).unwrap_err().rule,
                "iso_3166_alpha2",
                "{bad}"
            );
        }
    }

    #[test]
    fn every_listed_code_is_found_and_the_table_is_sorted() {
        let codes: Vec<&str> = ISO_3166_ALPHA2.split(' ').collect();
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "binary search needs a sorted table"
        );
        for c in codes {
            assert!(Country::parse("country", c).is_ok(), "{c}");
        }
    }

    #[test]
    fn regions_parse_and_dedupe() {
        let raw = vec!["emea".into(), "apac".into(), "emea".into(), " ".into()];
        assert_eq!(
            parse_regions("regions", &raw).unwrap(),
            vec![Region::Emea, Region::Apac]
        );
        let err = parse_regions("regions", &["mars".into()]).unwrap_err();
        assert_eq!(err.rule, "one_of");
        assert!(err.message.contains("north_america"));
    }
}
