//! Dates as the server writes and reads them: milliseconds since the Unix epoch inside,
//! RFC 3339 in feeds and exports, and the forms other systems' exports use on the way in
//! (`import`). Proleptic Gregorian, UTC; no time zone database is needed or consulted.

/// Milliseconds since the Unix epoch as an RFC 3339 UTC date-time, to the second.
pub fn rfc3339(millis: i64) -> String {
    let (date, (h, m, s)) = split(millis);
    format!("{date}T{h:02}:{m:02}:{s:02}Z")
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS`, in UTC: WordPress's form.
pub fn sql(millis: i64) -> String {
    let (date, (h, m, s)) = split(millis);
    format!("{date} {h:02}:{m:02}:{s:02}")
}

fn split(millis: i64) -> (String, (i64, i64, i64)) {
    let secs = millis.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}");
    (date, (rest / 3600, rest % 3600 / 60, rest % 60))
}

/// Parses an RFC 3339 date-time (`2019-01-01T10:00:00.123+02:00`, `…Z`), or
/// `YYYY-MM-DD HH:MM:SS` (read as UTC), into milliseconds since the Unix epoch.
pub fn parse(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (h, m, s) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if sep(at, b".,") {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
        // Milliseconds: the first three digits of the fraction.
        let ms = &b[start..at.min(start + 3)];
        millis = ms
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
            * 10i64.pow(3 - ms.len() as u32);
    }
    let offset = match b.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == b.len() && sep(at + 3, b":") => {
            let (oh, om) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            let minutes = oh * 60 + om;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + m * 60 + s.min(59) - offset * 60;
    Some(secs * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day count since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: [(i64, &str); 5] = [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400_000, "2000-02-29T00:00:00Z"),
        (1_764_330_000_000, "2025-11-28T11:40:00Z"),
        (4_102_444_799_000, "2099-12-31T23:59:59Z"),
        (-1_000, "1969-12-31T23:59:59Z"),
    ];

    #[test]
    fn dates_are_rfc3339() {
        for (millis, expected) in CASES {
            assert_eq!(rfc3339(millis), expected, "{millis}");
            assert_eq!(rfc3339(millis + 123), expected, "{millis}");
        }
    }

    #[test]
    fn what_is_written_reads_back() {
        for (millis, text) in CASES {
            assert_eq!(parse(text), Some(millis), "{text}");
            assert_eq!(parse(&sql(millis)), Some(millis), "{text}");
        }
    }

    #[test]
    fn fractions_and_offsets_are_read() {
        let cases = [
            ("2019-06-01T10:00:00.5Z", 1_559_383_200_500),
            ("2019-06-01T10:00:00.123456789Z", 1_559_383_200_123),
            ("2019-06-01T12:00:00+02:00", 1_559_383_200_000),
            ("2019-06-01T05:30:00-04:30", 1_559_383_200_000),
            ("2019-06-01 10:00:00", 1_559_383_200_000),
            (" 2019-06-01t10:00:00z ", 1_559_383_200_000),
        ];
        for (text, millis) in cases {
            assert_eq!(parse(text), Some(millis), "{text}");
        }
    }

    #[test]
    fn what_is_not_a_date_is_none() {
        for text in [
            "",
            "0000-00-00 00:00:00",
            "2019-02-29 00:00:00",
            "2019-13-01 00:00:00",
            "2019-06-01T24:00:00Z",
            "2019-06-01T10:00:00+0200",
            "2019-06-01T10:00:00.Z",
            "2019-06-01T10:00:00Zjunk",
            "2019-06-01",
            "١٢٣٤-06-01 10:00:00",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
