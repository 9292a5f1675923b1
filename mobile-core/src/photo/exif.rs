//! The few EXIF facts ingest needs: orientation, capture time and GPS position.
//!
//! Metadata is best effort: a damaged or odd EXIF block never fails the ingest, the
//! affected fields are simply `None` (orientation falls back to 1, "upright").

use chrono::NaiveDate;
use exif::{Exif, In, Reader, Tag, Value};
use record_schema::GeoPoint;

/// What the EXIF block says about the photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PhotoMeta {
    /// EXIF orientation 1..=8 (1 when absent or invalid).
    pub orientation: u8,
    /// Capture time, ms since the Unix epoch. See [`captured_at_ms`] for the time-zone rule.
    pub captured_at_ms: Option<i64>,
    pub location: Option<GeoPoint>,
}

impl Default for PhotoMeta {
    fn default() -> Self {
        PhotoMeta { orientation: 1, captured_at_ms: None, location: None }
    }
}

/// Parses the TIFF structure of an EXIF block (starting at the "II"/"MM" byte-order mark).
pub(crate) fn read_meta(tiff: Option<&[u8]>) -> PhotoMeta {
    let Some(tiff) = tiff else {
        return PhotoMeta::default();
    };
    let exif = match Reader::new().continue_on_error(true).read_raw(tiff.to_vec()) {
        Ok(exif) => exif,
        // Keep whatever parsed before the damage.
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return PhotoMeta::default(),
    };
    PhotoMeta { orientation: orientation(&exif), captured_at_ms: captured_at_ms(&exif), location: location(&exif) }
}

fn orientation(exif: &Exif) -> u8 {
    exif.get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u8::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1)
}

fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(values) => values.first().map(Vec::as_slice),
        _ => None,
    }
}

/// `DateTimeOriginal`, refined by `SubSecTimeOriginal` and `OffsetTimeOriginal`.
///
/// EXIF stores local wall-clock time. When `OffsetTimeOriginal` is present (most phones
/// since ~2018) it is applied; **when it is absent the time is interpreted as UTC**, which is
/// off by the camera's UTC offset. Nothing better is possible from the file alone (GPS time
/// stamps are often missing or stale); callers that know the phone's zone may correct it.
fn captured_at_ms(exif: &Exif) -> Option<i64> {
    let mut dt = exif::DateTime::from_ascii(ascii(exif, Tag::DateTimeOriginal)?).ok()?;
    if let Some(subsec) = ascii(exif, Tag::SubSecTimeOriginal) {
        // A malformed sub-second field only loses the milliseconds.
        if dt.parse_subsec(subsec).is_err() {
            dt.nanosecond = None;
        }
    }
    if let Some(offset) = ascii(exif, Tag::OffsetTimeOriginal)
        && dt.parse_offset(offset).is_err()
    {
        dt.offset = None;
    }
    let naive = NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day))?.and_hms_opt(
        u32::from(dt.hour),
        u32::from(dt.minute),
        u32::from(dt.second),
    )?;
    let offset_ms = i64::from(dt.offset.unwrap_or(0)) * 60_000;
    let sub_ms = i64::from(dt.nanosecond.unwrap_or(0) / 1_000_000);
    Some(naive.and_utc().timestamp_millis() + sub_ms - offset_ms)
}

/// Degrees from a degrees/minutes/seconds triple of rationals (minutes and seconds optional).
fn dms(exif: &Exif, tag: Tag) -> Option<f64> {
    let parts: Vec<f64> = match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(v) => v.iter().map(|r| (r.denom != 0).then(|| r.to_f64())).collect::<Option<_>>()?,
        Value::SRational(v) => v.iter().map(|r| (r.denom != 0).then(|| r.to_f64())).collect::<Option<_>>()?,
        _ => return None,
    };
    let (&deg, rest) = parts.split_first()?;
    let min = rest.first().copied().unwrap_or(0.0);
    let sec = rest.get(1).copied().unwrap_or(0.0);
    let value = deg + min / 60.0 + sec / 3600.0;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// The GPS position, if present and plausible.
///
/// Rejected as "no fix": `GPSStatus = V` (measurement void), missing N/S or E/W reference,
/// zero denominators, out-of-range values, and exactly 0°,0° (what many cameras write when
/// they have no fix). `accuracy_m` comes from `GPSHPositioningError` when present.
fn location(exif: &Exif) -> Option<GeoPoint> {
    if ascii(exif, Tag::GPSStatus).is_some_and(|s| s.first() == Some(&b'V')) {
        return None;
    }
    let lat_sign = match ascii(exif, Tag::GPSLatitudeRef)?.first()? {
        b'N' | b'n' => 1.0,
        b'S' | b's' => -1.0,
        _ => return None,
    };
    let lon_sign = match ascii(exif, Tag::GPSLongitudeRef)?.first()? {
        b'E' | b'e' => 1.0,
        b'W' | b'w' => -1.0,
        _ => return None,
    };
    let latitude = lat_sign * dms(exif, Tag::GPSLatitude)?;
    let longitude = lon_sign * dms(exif, Tag::GPSLongitude)?;
    if latitude.abs() > 90.0 || longitude.abs() > 180.0 || (latitude == 0.0 && longitude == 0.0) {
        return None;
    }
    let accuracy_m = match exif.get_field(Tag::GPSHPositioningError, In::PRIMARY).map(|f| &f.value) {
        Some(Value::Rational(v)) => v.first().filter(|r| r.denom != 0).map(|r| r.to_f64()),
        _ => None,
    }
    .filter(|a| a.is_finite() && *a >= 0.0);
    Some(GeoPoint { latitude, longitude, accuracy_m })
}

#[cfg(test)]
mod tests {
    use super::*;
    use exif::experimental::Writer;
    use exif::{Field, Rational};

    fn field(tag: Tag, value: Value) -> Field {
        Field { tag, ifd_num: In::PRIMARY, value }
    }

    fn ascii_value(s: &str) -> Value {
        Value::Ascii(vec![s.as_bytes().to_vec()])
    }

    fn dms_value(d: u32, m: u32, s_hundredths: u32) -> Value {
        Value::Rational(vec![
            Rational { num: d, denom: 1 },
            Rational { num: m, denom: 1 },
            Rational { num: s_hundredths, denom: 100 },
        ])
    }

    fn tiff(fields: &[Field]) -> Vec<u8> {
        let mut writer = Writer::new();
        for f in fields {
            writer.push_field(f);
        }
        let mut buf = std::io::Cursor::new(Vec::new());
        writer.write(&mut buf, false).expect("write test EXIF");
        buf.into_inner()
    }

    #[test]
    fn no_exif_means_upright_and_unknown() {
        assert_eq!(read_meta(None), PhotoMeta::default());
        assert_eq!(read_meta(Some(b"garbage, not TIFF")), PhotoMeta::default());
    }

    #[test]
    fn reads_orientation_time_with_offset_and_gps() {
        let fields = [
            field(Tag::Orientation, Value::Short(vec![8])),
            field(Tag::DateTimeOriginal, ascii_value("2024:03:15 14:30:05")),
            field(Tag::SubSecTimeOriginal, ascii_value("25")),
            field(Tag::OffsetTimeOriginal, ascii_value("+02:00")),
            field(Tag::GPSLatitudeRef, ascii_value("S")),
            field(Tag::GPSLatitude, dms_value(33, 51, 3600)), // 33°51'36"
            field(Tag::GPSLongitudeRef, ascii_value("E")),
            field(Tag::GPSLongitude, dms_value(151, 12, 3600)),
            field(Tag::GPSHPositioningError, Value::Rational(vec![Rational { num: 45, denom: 10 }])),
        ];
        let meta = read_meta(Some(&tiff(&fields)));
        assert_eq!(meta.orientation, 8);
        // 2024-03-15T12:30:05.250Z
        assert_eq!(meta.captured_at_ms, Some(1_710_505_805_250));
        let loc = meta.location.expect("location");
        assert!((loc.latitude - -33.86).abs() < 1e-9, "{loc:?}");
        assert!((loc.longitude - 151.21).abs() < 1e-9, "{loc:?}");
        assert_eq!(loc.accuracy_m, Some(4.5));
    }

    #[test]
    fn time_without_offset_is_utc() {
        let fields = [field(Tag::DateTimeOriginal, ascii_value("2024:03:15 14:30:05"))];
        assert_eq!(read_meta(Some(&tiff(&fields))).captured_at_ms, Some(1_710_513_005_000));
    }

    #[test]
    fn rejects_void_or_placeholder_gps_and_blank_dates() {
        let null_island = [
            field(Tag::GPSLatitudeRef, ascii_value("N")),
            field(Tag::GPSLatitude, dms_value(0, 0, 0)),
            field(Tag::GPSLongitudeRef, ascii_value("E")),
            field(Tag::GPSLongitude, dms_value(0, 0, 0)),
            field(Tag::DateTimeOriginal, ascii_value("0000:00:00 00:00:00")),
            field(Tag::Orientation, Value::Short(vec![9])),
        ];
        let meta = read_meta(Some(&tiff(&null_island)));
        assert_eq!(meta, PhotoMeta::default());

        let void = [
            field(Tag::GPSStatus, ascii_value("V")),
            field(Tag::GPSLatitudeRef, ascii_value("N")),
            field(Tag::GPSLatitude, dms_value(51, 30, 0)),
            field(Tag::GPSLongitudeRef, ascii_value("W")),
            field(Tag::GPSLongitude, dms_value(0, 7, 0)),
        ];
        assert_eq!(read_meta(Some(&tiff(&void))).location, None);

        let zero_denominator = [
            field(Tag::GPSLatitudeRef, ascii_value("N")),
            field(Tag::GPSLatitude, Value::Rational(vec![Rational { num: 51, denom: 0 }])),
            field(Tag::GPSLongitudeRef, ascii_value("W")),
            field(Tag::GPSLongitude, dms_value(0, 7, 0)),
        ];
        assert_eq!(read_meta(Some(&tiff(&zero_denominator))).location, None);
    }
}
