//! Just enough TIFF/EXIF to read the Orientation tag (0x0112) from IFD0. Bounds-checked, no
//! allocation; anything unexpected yields `None` (treated as orientation 1).

/// Orientation 1–8 from TIFF-structured EXIF data (starting at the `II`/`MM` byte order mark).
pub(crate) fn orientation(tiff: &[u8]) -> Option<u8> {
    let big = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = [*tiff.get(at)?, *tiff.get(at + 1)?];
        Some(if big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = [*tiff.get(at)?, *tiff.get(at + 1)?, *tiff.get(at + 2)?, *tiff.get(at + 3)?];
        Some(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd + 2 + 12 * i;
        if u16_at(entry)? == 0x0112 {
            // Type SHORT (3), count 1: the value sits in the first two bytes of the field.
            if u16_at(entry + 2)? != 3 || u32_at(entry + 4)? != 1 {
                return None;
            }
            let v = u16_at(entry + 8)?;
            return u8::try_from(v).ok().filter(|v| (1..=8).contains(v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::orientation;

    fn tiff(big: bool, value: u16) -> Vec<u8> {
        let mut t = Vec::new();
        let w16 = |v: u16| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let w32 = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        t.extend_from_slice(if big { b"MM" } else { b"II" });
        t.extend_from_slice(&w16(42));
        t.extend_from_slice(&w32(8));
        t.extend_from_slice(&w16(1));
        t.extend_from_slice(&w16(0x0112));
        t.extend_from_slice(&w16(3));
        t.extend_from_slice(&w32(1));
        t.extend_from_slice(&w16(value));
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&w32(0));
        t
    }

    #[test]
    fn both_byte_orders() {
        for v in 1..=8 {
            assert_eq!(orientation(&tiff(true, v)), Some(v as u8));
            assert_eq!(orientation(&tiff(false, v)), Some(v as u8));
        }
    }

    #[test]
    fn invalid_values_and_truncation() {
        assert_eq!(orientation(&tiff(false, 0)), None);
        assert_eq!(orientation(&tiff(false, 9)), None);
        let t = tiff(true, 6);
        // The value ends at byte 20; any shorter prefix must fail.
        for n in 0..20 {
            assert_eq!(orientation(&t[..n]), None, "cut at {n}");
        }
        assert_eq!(orientation(b"XX\0*"), None);
    }
}
