//! Test images built byte by byte, so tests need no image files and no encoder dependency.

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG declaring `w`×`h` RGB pixels and carrying `rows` rows of a gradient (stored,
/// uncompressed deflate). With `rows == h` it is a complete image; a pixel bomb declares far
/// more than it carries.
pub fn png(w: u32, h: u32, rows: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut raw = Vec::new();
    for y in 0..rows {
        raw.push(0); // filter: none
        for x in 0..w {
            let r = u8::try_from(x * 255 / w.max(1)).unwrap_or(0);
            let g = u8::try_from(y * 255 / h.max(1)).unwrap_or(0);
            raw.extend_from_slice(&[r, g, 128]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// An EXIF APP1 segment with Orientation = 6 (rotate 90° clockwise to view) and a GPS IFD
/// holding a latitude reference: the part of a phone photo that must never be published.
pub fn exif_app1_orientation6_gps() -> Vec<u8> {
    let mut tiff = b"II*\x00\x08\x00\x00\x00".to_vec();
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]); // Orientation SHORT 6
    let gps_offset: u32 = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]); // GPSInfo LONG
    tiff.extend_from_slice(&gps_offset.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]); // GPSLatitudeRef "N"
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX).to_be_bytes());
    seg.extend_from_slice(b"Exif\x00\x00");
    seg.extend_from_slice(&tiff);
    seg
}

/// Inserts an APP segment right after a JPEG's SOI marker.
pub fn with_app_segment(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2.min(jpeg.len())].to_vec();
    out.extend_from_slice(segment);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    out
}
