//! Reading many locations from CSV: one location a row, every problem reported by row.
//!
//! Columns (header row required, any order): `code`, `name`, `region`, `segment` (`b2c`/`b2b`),
//! `latitude`, `longitude`, `time_zone`, `channels` (separated by `;`), and optionally
//! `address`, `geofence_radius_m`, `active` (`true`/`false`).

use std::collections::{HashMap, HashSet};

use super::dto::{CreateLocation, Segment};
use crate::error::FieldError;
use crate::standards::dto::Channel;

const REQUIRED: [&str; 8] = [
    "code",
    "name",
    "region",
    "segment",
    "latitude",
    "longitude",
    "time_zone",
    "channels",
];
const OPTIONAL: [&str; 3] = ["address", "geofence_radius_m", "active"];
pub const MAX_ROWS: usize = 10_000;

/// A data row, numbered from 1 (the header is row 0).
pub struct ParsedRow {
    pub row: usize,
    pub location: CreateLocation,
}

fn at(row: usize, field: &str) -> String {
    format!("rows[{row}].{field}")
}

/// Parses `text`; returns the rows that parsed and the problems of the others. A problem with
/// the header fails the whole file.
pub fn parse(text: &str) -> Result<(Vec<ParsedRow>, Vec<FieldError>), Vec<FieldError>> {
    if text.contains('\0') {
        // See `http::from_document`: no text of ours holds NUL.
        return Err(vec![FieldError::new(
            "body",
            "must not contain NUL (U+0000) characters",
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![FieldError::new("header", e.to_string())])?
        .clone();
    let columns: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let mut header_errors: Vec<FieldError> = REQUIRED
        .iter()
        .filter(|c| !columns.contains_key(*c))
        .map(|c| FieldError::new("header", format!("missing column {c:?}")))
        .collect();
    for name in headers.iter() {
        if !REQUIRED.contains(&name) && !OPTIONAL.contains(&name) {
            header_errors.push(FieldError::new(
                "header",
                format!("unknown column {name:?}"),
            ));
        }
    }
    if !header_errors.is_empty() {
        return Err(header_errors);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        if row > MAX_ROWS {
            errors.push(FieldError::new(
                "rows",
                format!("at most {MAX_ROWS} rows per file"),
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(format!("rows[{row}]"), e.to_string()));
                continue;
            }
        };
        let get = |c: &str| {
            columns
                .get(c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .to_string()
        };
        let mut problems = Vec::new();
        let number = |c: &str, problems: &mut Vec<FieldError>| match get(c).parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                problems.push(FieldError::new(at(row, c), "must be a number"));
                f64::NAN
            }
        };
        let latitude = number("latitude", &mut problems);
        let longitude = number("longitude", &mut problems);
        let segment = Segment::parse(&get("segment")).unwrap_or_else(|| {
            problems.push(FieldError::new(at(row, "segment"), "must be b2c or b2b"));
            Segment::B2c
        });
        let mut channels = Vec::new();
        for name in get("channels")
            .split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match Channel::parse(name) {
                Some(c) => channels.push(c),
                None => problems.push(FieldError::new(
                    at(row, "channels"),
                    format!("unknown channel {name:?}"),
                )),
            }
        }
        let geofence_radius_m = match get("geofence_radius_m").as_str() {
            "" => None,
            text => text.parse::<i32>().map(Some).unwrap_or_else(|_| {
                problems.push(FieldError::new(
                    at(row, "geofence_radius_m"),
                    "must be a whole number of metres",
                ));
                None
            }),
        };
        let active = match get("active").to_lowercase().as_str() {
            "" => None,
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => {
                problems.push(FieldError::new(at(row, "active"), "must be true or false"));
                None
            }
        };
        let code = get("code");
        if !code.is_empty() && !seen.insert(code.clone()) {
            problems.push(FieldError::new(
                at(row, "code"),
                format!("code {code:?} appears twice in the file"),
            ));
        }
        if problems.is_empty() {
            rows.push(ParsedRow {
                row,
                location: CreateLocation {
                    code,
                    name: get("name"),
                    region: get("region"),
                    segment,
                    address: get("address"),
                    latitude,
                    longitude,
                    geofence_radius_m,
                    time_zone: get("time_zone"),
                    channels,
                    active,
                },
            });
        } else {
            errors.extend(problems);
        }
    }
    Ok((rows, errors))
}

/// Prefixes a location's field errors with its row.
pub fn in_row(row: usize, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(at(row, &e.field), e.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_and_problems_name_their_row() {
        let text = "code,name,region,segment,latitude,longitude,time_zone,channels,active\n\
                    BER-01,Berlin,East,b2c,52.5,13.4,Europe/Berlin,in_person;phone,true\n\
                    HAM-01,Hamburg,North,b2x,north,10.0,Europe/Berlin,in_person;fax,maybe\n\
                    BER-01,Again,East,b2b,52.5,13.4,Europe/Berlin,phone,\n";
        let (rows, errors) = parse(text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 1);
        assert_eq!(
            rows[0].location.channels,
            [Channel::InPerson, Channel::Phone]
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rows[2].latitude",
                "rows[2].segment",
                "rows[2].channels",
                "rows[2].active",
                "rows[3].code"
            ]
        );
    }

    #[test]
    fn the_header_is_checked_first() {
        let errors = parse("code,name,colour\nA,B,red\n").err().unwrap();
        assert!(errors
            .iter()
            .any(|e| e.message.contains("missing column \"region\"")));
        assert!(errors
            .iter()
            .any(|e| e.message.contains("unknown column \"colour\"")));
    }
}
