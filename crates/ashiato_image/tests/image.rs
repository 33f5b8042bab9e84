//! Proofs for ashiato_image (security.md S-22..S-24, performance.md P2, keitai.md §8) on
//! fixtures generated here: JPEGs with a hand-built EXIF APP1 (orientation + GPS IFD), pixel
//! bomb headers with valid CRCs, truncated files, animated GIFs with comment/XMP extensions,
//! CMYK/YCCK/progressive JPEGs (jpeg-encoder), 16-bit and palette PNGs.

use std::time::{Duration, Instant};

use ashiato_handset::{Handset, HeaderList, Trust, detect};
use ashiato_image::{
    Format, ImageError, Limits, Variant, VariantFormat, WidthClass, ingest, make_variant, sniff,
    thumbnail,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Fixture generators

const RED: [u8; 3] = [255, 0, 0];
const GREEN: [u8; 3] = [0, 255, 0];
const BLUE: [u8; 3] = [0, 0, 255];
const YELLOW: [u8; 3] = [255, 255, 0];

/// A camera-like RGB image: smooth gradients plus per-pixel noise (hard to compress).
fn photo(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let n = (s & 63) as i32 - 32;
            let r = (x * 255 / w) as i32 + n;
            let g = (y * 255 / h) as i32 + n / 2;
            let b = ((x + y) * 128 / (w + h)) as i32 + 64 - n;
            out.extend([r, g, b].map(|c| c.clamp(0, 255) as u8));
        }
    }
    out
}

/// Four solid quadrants: top-left red, top-right green, bottom-left blue, bottom-right yellow.
fn quadrants(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            out.extend(match (x < w / 2, y < h / 2) {
                (true, true) => RED,
                (false, true) => GREEN,
                (true, false) => BLUE,
                (false, false) => YELLOW,
            });
        }
    }
    out
}

fn jpeg_with(
    data: &[u8],
    w: u32,
    h: u32,
    color: jpeg_encoder::ColorType,
    f: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 92);
    f(&mut enc);
    enc.encode(data, w as u16, h as u16, color).expect("encode fixture");
    out
}

fn jpeg_rgb(data: &[u8], w: u32, h: u32) -> Vec<u8> {
    jpeg_with(data, w, h, jpeg_encoder::ColorType::Rgb, |_| {})
}

/// Inserts marker segments right after SOI.
fn with_segments(jpeg: &[u8], segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for (marker, body) in segments {
        out.extend([0xFF, *marker]);
        out.extend(((body.len() + 2) as u16).to_be_bytes());
        out.extend(body);
    }
    out.extend(&jpeg[2..]);
    out
}

/// An EXIF APP1 body, big-endian TIFF: IFD0 {Make, Orientation, GPSInfo →} GPS IFD
/// {LatitudeRef N, Latitude 35°41′22″, LongitudeRef E, Longitude 139°41′30″}.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(b"MM\0\x2A");
    t.extend(8u32.to_be_bytes());
    // IFD0 at 8: 3 entries (2 + 36 + 4 = 42 bytes) → data at 50.
    let make_at = 50u32;
    let make = b"ashiato-cam\0";
    let gps_at = make_at + make.len() as u32; // 62
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(typ.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    t.extend(3u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, make.len() as u32, make_at.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, gps_at.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    assert_eq!(t.len(), 50);
    t.extend(make);
    // GPS IFD at 62: 4 entries (2 + 48 + 4 = 54) → rationals at 116.
    let lat_at = gps_at + 54;
    let lon_at = lat_at + 24;
    t.extend(4u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, lat_at.to_be_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, 5, 3, lon_at.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    for v in [35u32, 41, 22, 139, 41, 30] {
        t.extend(v.to_be_bytes());
        t.extend(1u32.to_be_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(t);
    app1
}

/// A photo-like JPEG carrying EXIF (orientation + GPS), XMP, an ICC profile and a comment.
fn camera_jpeg(data: &[u8], w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let xmp =
        [&b"http://ns.adobe.com/xap/1.0/\0"[..], b"<x:xmpmeta>secret-xmp GPSLatitude</x:xmpmeta>"]
            .concat();
    let icc = [&b"ICC_PROFILE\0\x01\x01"[..], &[0u8; 64]].concat();
    with_segments(
        &jpeg_rgb(data, w, h),
        &[
            (0xE1, exif_app1(orientation)),
            (0xE1, xmp),
            (0xE2, icc),
            (0xFE, b"secret-comment".to_vec()),
        ],
    )
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

/// A PNG that declares `w`×`h` RGBA but carries a few bytes of (deflate) data.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn png_encode(
    data: &[u8],
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    f: impl FnOnce(&mut png::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    f(&mut enc);
    let mut wr = enc.write_header().expect("png header");
    wr.write_image_data(data).expect("png data");
    wr.finish().expect("png finish");
    out
}

/// An animated GIF: `frames` frames of `w`×`h`, a moving square over a gradient, with a
/// comment extension and an XMP application extension that must not survive.
fn animated_gif(w: u16, h: u16, frames: u16) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w, h, &[]).expect("gif");
        enc.set_repeat(gif::Repeat::Infinite).expect("repeat");
        enc.write_raw_extension(gif::AnyExtension(0xFE), &[b"secret-comment"]).expect("comment");
        enc.write_raw_extension(
            gif::AnyExtension(0xFF),
            &[b"XMP DataXMP", b"<x:xmpmeta>secret-xmp</x:xmpmeta>"],
        )
        .expect("xmp");
        for i in 0..frames {
            let mut rgba = Vec::with_capacity(usize::from(w) * usize::from(h) * 4);
            for y in 0..h {
                for x in 0..w {
                    let inside = x / 16 == i % (w / 16) && y < 16;
                    let px = if inside {
                        [255, 0, 0, 255]
                    } else {
                        [(x * 2) as u8, (y * 2) as u8, 128, 255]
                    };
                    rgba.extend(px);
                }
            }
            let mut f = gif::Frame::from_rgba_speed(w, h, &mut rgba, 10);
            f.delay = 10;
            enc.write_frame(&f).expect("frame");
        }
    }
    out
}

fn still_gif_with_transparency() -> Vec<u8> {
    let mut rgba = Vec::new();
    for y in 0..40u32 {
        for x in 0..60u32 {
            rgba.extend(if x < 30 { [0, 0, 0, 0] } else { [0, 0, (y * 6) as u8, 255] });
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, 60, 40, &[]).expect("gif");
        enc.write_frame(&gif::Frame::from_rgba_speed(60, 40, &mut rgba, 10)).expect("frame");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Inspection helpers

/// Decodes any output to (width, height, RGB pixels).
fn decode_rgb(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    match Format::from_magic(bytes) {
        Some(Format::Jpeg) => {
            let mut d = jpeg_decoder::Decoder::new(bytes);
            let px = d.decode().expect("decode jpeg");
            let info = d.info().expect("info");
            let px = match info.pixel_format {
                jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&g| [g, g, g]).collect(),
                _ => px,
            };
            (u32::from(info.width), u32::from(info.height), px)
        }
        _ => {
            let img = image::load_from_memory(bytes).expect("decode png/gif").to_rgb8();
            (img.width(), img.height(), img.into_raw())
        }
    }
}

fn pixel(img: &(u32, u32, Vec<u8>), fx: f32, fy: f32) -> [u8; 3] {
    let x = ((img.0 as f32 * fx) as u32).min(img.0 - 1);
    let y = ((img.1 as f32 * fy) as u32).min(img.1 - 1);
    let i = ((y * img.0 + x) * 3) as usize;
    [img.2[i], img.2[i + 1], img.2[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 40)
}

/// Asserts the file carries no metadata: JPEG only APP0/DQT/DHT/SOF0/DRI before the scan,
/// PNG only IHDR/PLTE/tRNS/IDAT/IEND, GIF only graphic control and NETSCAPE2.0 extensions;
/// and none of the planted strings anywhere.
fn assert_clean(bytes: &[u8]) {
    for needle in [
        &b"Exif"[..],
        b"GPS",
        b"ashiato-cam",
        b"secret",
        b"xmpmeta",
        b"ICC_PROFILE",
        b"tEXt",
        b"iTXt",
        b"zTXt",
        b"eXIf",
        b"iCCP",
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "found {:?}",
            String::from_utf8_lossy(needle)
        );
    }
    match Format::from_magic(bytes).expect("known output format") {
        Format::Jpeg => {
            let mut pos = 2;
            loop {
                assert_eq!(bytes[pos], 0xFF);
                let m = bytes[pos + 1];
                assert!(matches!(m, 0xE0 | 0xDB | 0xC4 | 0xC0 | 0xDD | 0xDA), "marker {m:02X}");
                if m == 0xDA {
                    break;
                }
                pos += 2 + usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
            }
        }
        Format::Png => {
            let mut pos = 8;
            while pos < bytes.len() {
                let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().expect("len")) as usize;
                let kind = &bytes[pos + 4..pos + 8];
                assert!(
                    [&b"IHDR"[..], b"PLTE", b"tRNS", b"IDAT", b"IEND"].contains(&kind),
                    "chunk {:?}",
                    String::from_utf8_lossy(kind)
                );
                pos += 12 + len;
            }
        }
        Format::Gif => {
            let flags = bytes[10];
            let mut pos = 13 + if flags & 0x80 != 0 { 3 << ((flags & 7) + 1) } else { 0 };
            let skip = |mut p: usize| loop {
                let n = usize::from(bytes[p]);
                p += 1 + n;
                if n == 0 {
                    return p;
                }
            };
            loop {
                match bytes[pos] {
                    0x3B => break,
                    0x21 => {
                        let label = bytes[pos + 1];
                        assert!(
                            label == 0xF9
                                || (label == 0xFF && &bytes[pos + 3..pos + 14] == b"NETSCAPE2.0"),
                            "extension {label:02X}"
                        );
                        pos = skip(pos + 2);
                    }
                    0x2C => {
                        let packed = bytes[pos + 9];
                        pos += 10 + if packed & 0x80 != 0 { 3 << ((packed & 7) + 1) } else { 0 };
                        pos = skip(pos + 1);
                    }
                    b => panic!("block {b:02X}"),
                }
            }
        }
    }
}

fn handset(ua: &str) -> Handset {
    let mut hl = HeaderList::new();
    hl.push("user-agent", ua);
    detect(&hl, None, &Trust::nothing())
}

/// (user agent, expected variant key, what the row proves).
const HANDSETS: &[(&str, &str)] = &[
    // mova 501i: GIF only, 96 px, monochrome, 5 KB page incl. images.
    ("DoCoMo/1.0/D501i", "96g-2k-2c"),
    // 4-grey N502i.
    ("DoCoMo/1.0/N502i", "96g-2k-4c"),
    ("DoCoMo/1.0/P503i/c10", "120g-5k"),
    // FOMA: JPEG (docomo never PNG), 230 px D903i, 240 px N905i.
    ("DoCoMo/2.0 D903i(c100;TB;W23H12)", "230j"),
    ("DoCoMo/2.0 N905i(c100;TB;W24H16)", "240j"),
    // VGA browser 2.0 handset: still the 240 class.
    ("DoCoMo/2.0 P07A3(c500;TB;W24H15)", "240j"),
    // au WAP 1.0: PNG only (never GIF); the markup budget does not cap images.
    ("UP.Browser/3.04-CA13 UP.Link/3.4.5.2", "96p"),
    ("KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0", "230j"),
    // J-PHONE C2: PNG only; C3: JPEG, no GIF; P: JPEG.
    ("J-PHONE/2.0/J-DN02", "96p-2k-4c"),
    ("J-PHONE/3.0/J-SH07", "120j-2k"),
    (
        "J-PHONE/4.0/J-SH51/SNJSHA3029293 SH/0001aa Profile/MIDP-1.0 Configuration/CLDC-1.0 Ext-Profile/JSCL-1.1.0",
        "120j",
    ),
    (
        "SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        "230j",
    ),
    ("Mozilla/3.0(WILLCOM;KYOCERA/WX310K/2;1.2.2.16.000000/0.1/C100) Opera 7.0", "240j"),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        "480a",
    ),
    ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15", "pc"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/120.0", "pc"),
    // Crawlers are served like the handset they imitate.
    (
        "DoCoMo/2.0 N905i(c100;TB;W24H16) (compatible; Googlebot-Mobile/2.1; +http://www.google.com/bot.html)",
        "240j",
    ),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "pc"),
];

// ---------------------------------------------------------------------------------------------
// S-24: EXIF GPS + orientation

#[test]
fn exif_gps_orientation_6_is_applied_and_stripped() {
    // Stored 400×300: top half red, bottom half blue. Orientation 6 = rotate 90° clockwise to
    // display, so the upright image is 300×400 with blue on the left and red on the right.
    let mut data = Vec::new();
    for y in 0..300u32 {
        for _ in 0..400u32 {
            data.extend(if y < 150 { RED } else { BLUE });
        }
    }
    let upload = camera_jpeg(&data, 400, 300, 6);
    assert_eq!(sniff(&upload).expect("sniff").orientation, 6);
    assert!(upload.windows(4).any(|w| w == b"GPS\0") || upload.windows(3).any(|w| w == b"GPS"));

    let master = ingest(&upload, &Limits::default()).expect("ingest");
    assert_eq!((master.format, master.width, master.height), (Format::Jpeg, 300, 400));
    assert_clean(&master.bytes);
    let m = decode_rgb(&master.bytes);
    assert_eq!((m.0, m.1), (300, 400));
    assert!(near(pixel(&m, 0.25, 0.5), BLUE) && near(pixel(&m, 0.75, 0.5), RED));

    for (ua, _) in HANDSETS {
        let v = Variant::for_handset(&handset(ua));
        let out = make_variant(&master.bytes, &v).expect("variant");
        assert_clean(&out);
        let img = decode_rgb(&out);
        assert!(img.1 > img.0, "{v}: still portrait");
        // Greyscale palettes (2 and 4 colours) cannot show red vs blue; check the others.
        if v.colors > 4 {
            assert!(near(pixel(&img, 0.2, 0.5), BLUE) && near(pixel(&img, 0.8, 0.5), RED), "{v}");
        }
    }
    let thumb = thumbnail(&upload, 120, None, None, &Limits::default()).expect("thumbnail");
    assert_clean(&thumb);
    assert_eq!(sniff(&thumb).expect("sniff").width, 120);
}

#[test]
fn all_eight_orientations() {
    // Stored 64×32 quadrants TL red, TR green, BL blue, BR yellow; expected upright corners
    // (TL, TR, BL, BR) from the EXIF definition of each value.
    let expected: [(u16, [[u8; 3]; 4]); 8] = [
        (1, [RED, GREEN, BLUE, YELLOW]),
        (2, [GREEN, RED, YELLOW, BLUE]),
        (3, [YELLOW, BLUE, GREEN, RED]),
        (4, [BLUE, YELLOW, RED, GREEN]),
        (5, [RED, BLUE, GREEN, YELLOW]),
        (6, [BLUE, RED, YELLOW, GREEN]),
        (7, [YELLOW, GREEN, BLUE, RED]),
        (8, [GREEN, YELLOW, RED, BLUE]),
    ];
    let data = quadrants(64, 32);
    for (o, corners) in expected {
        let master = ingest(&camera_jpeg(&data, 64, 32, o), &Limits::default()).expect("ingest");
        assert_clean(&master.bytes);
        let img = decode_rgb(&master.bytes);
        let size = if o >= 5 { (32, 64) } else { (64, 32) };
        assert_eq!((img.0, img.1), size, "orientation {o}");
        let got = [
            pixel(&img, 0.2, 0.2),
            pixel(&img, 0.8, 0.2),
            pixel(&img, 0.2, 0.8),
            pixel(&img, 0.8, 0.8),
        ];
        for (g, e) in got.iter().zip(corners) {
            assert!(near(*g, e), "orientation {o}: got {got:?}, want {corners:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// S-22: bombs and limits

#[test]
fn pixel_bombs_are_refused_from_the_header() {
    let mut jpeg_bomb = vec![0xFF, 0xD8];
    jpeg_bomb.extend([0xFF, 0xC0, 0, 17, 8, 0xFD, 0xE8, 0xFD, 0xE8, 3]); // 65000×65000
    jpeg_bomb.extend([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg_bomb.extend([0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0, 0xFF, 0xD9]);
    let mut gif_bomb = b"GIF89a\xff\xff\xff\xff\x00\x00\x00".to_vec();
    gif_bomb.extend([0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    let bombs = [
        ("png 60000²", png_bomb(60_000, 60_000), (60_000, 60_000)),
        ("png 20000²", png_bomb(20_000, 20_000), (20_000, 20_000)),
        ("jpeg 65000²", jpeg_bomb, (65_000, 65_000)),
        ("gif 65535²", gif_bomb, (65_535, 65_535)),
    ];
    for (name, bytes, (w, h)) in bombs {
        assert!(bytes.len() < 100, "{name}: a tiny file");
        let start = Instant::now();
        let err = ingest(&bytes, &Limits::default()).expect_err(name);
        assert_eq!(
            err,
            ImageError::TooManyPixels { width: w, height: h, limit: 24_000_000 },
            "{name}"
        );
        assert!(err.is_limit());
        let err = thumbnail(&bytes, 240, None, None, &Limits::default()).expect_err(name);
        assert!(matches!(err, ImageError::TooManyPixels { .. }), "{name}");
        // Loose: refusal needs no decoding at all (microseconds in practice).
        assert!(start.elapsed() < Duration::from_millis(100), "{name}: {:?}", start.elapsed());
        assert_eq!(
            err.to_string(),
            format!("image has too many pixels: {w}×{h} (limit 24000000 pixels)")
        );
    }
}

#[test]
fn byte_frame_and_memory_limits() {
    let big = vec![0u8; Limits::DEFAULT_MAX_BYTES + 1];
    assert_eq!(
        ingest(&big, &Limits::default()),
        Err(ImageError::TooLarge { bytes: big.len(), limit: Limits::DEFAULT_MAX_BYTES })
    );
    let gif = animated_gif(64, 32, 4);
    let few_frames = Limits { max_frames: 3, ..Limits::default() };
    assert!(matches!(ingest(&gif, &few_frames), Err(ImageError::TooManyFrames { frames: 4, .. })));
    let small_anim = Limits { max_animation_pixels: 3 * 64 * 32, ..Limits::default() };
    assert!(matches!(ingest(&gif, &small_anim), Err(ImageError::TooManyFrames { .. })));
    let jpeg = jpeg_rgb(&photo(200, 100, 1), 200, 100);
    let tiny_alloc = Limits { max_alloc: 10_000, ..Limits::default() };
    assert!(matches!(
        ingest(&jpeg, &tiny_alloc),
        Err(ImageError::TooMuchMemory { needed: 60_000, limit: 10_000 })
    ));
    let progressive = jpeg_with(&photo(200, 100, 1), 200, 100, jpeg_encoder::ColorType::Rgb, |e| {
        e.set_progressive(true);
    });
    let h = sniff(&progressive).expect("sniff");
    assert!(h.progressive && h.decode_bytes > 60_000, "coefficients counted: {h:?}");
    let small_pixels = Limits { max_pixels: 19_999, ..Limits::default() };
    assert!(matches!(
        ingest(&jpeg, &small_pixels),
        Err(ImageError::TooManyPixels { width: 200, height: 100, .. })
    ));
    assert_eq!(
        ingest(b"BM\0\0 not an image", &Limits::default()),
        Err(ImageError::UnsupportedFormat)
    );
    assert_eq!(ingest(b"", &Limits::default()), Err(ImageError::UnsupportedFormat));
}

// ---------------------------------------------------------------------------------------------
// S-23: truncated, corrupt, CMYK, progressive, 16-bit, animated

#[test]
fn truncated_and_corrupt_files_are_clean_errors() {
    let jpeg = camera_jpeg(&photo(96, 64, 2), 96, 64, 1);
    let scan = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).expect("SOS");
    for cut in (0..jpeg.len()).step_by(7).chain([scan + 20, jpeg.len() - 2, jpeg.len() - 1]) {
        let err = ingest(&jpeg[..cut], &Limits::default()).expect_err("truncated jpeg");
        assert!(
            matches!(
                err,
                ImageError::Truncated(_)
                    | ImageError::Corrupt { .. }
                    | ImageError::UnsupportedFormat
            ),
            "cut {cut}: {err}"
        );
        if cut > scan + 20 {
            assert_eq!(err, ImageError::Truncated(Format::Jpeg), "cut {cut}");
        }
    }
    let png =
        png_encode(&photo(50, 40, 3), 50, 40, png::ColorType::Rgb, png::BitDepth::Eight, |_| {});
    let gif = animated_gif(64, 32, 3);
    for file in [png, gif] {
        for cut in (0..file.len() - 1).step_by(5) {
            // GIF decoders accept a file cut after a complete frame; anything else errs.
            if let Err(err) = ingest(&file[..cut], &Limits::default()) {
                assert!(!err.is_limit(), "{err}");
            }
        }
    }
    // A flipped bit in the PNG header is caught by its CRC.
    let mut bad = png_bomb(10, 10);
    bad[17] ^= 1;
    assert!(matches!(ingest(&bad, &Limits::default()), Err(ImageError::Corrupt { .. })));
    // Arithmetic coding and 12-bit samples are refused by name.
    let mut arith = jpeg_rgb(&photo(16, 16, 4), 16, 16);
    let sof = arith.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
    arith[sof + 1] = 0xC9;
    assert_eq!(
        ingest(&arith, &Limits::default()).expect_err("arithmetic").to_string(),
        "unsupported JPEG feature: arithmetic coding"
    );
    arith[sof + 1] = 0xC1;
    arith[sof + 4] = 12;
    assert!(matches!(
        ingest(&arith, &Limits::default()),
        Err(ImageError::UnsupportedFeature { .. })
    ));
}

#[test]
fn cmyk_ycck_progressive_grey_and_16_bit_inputs_decode() {
    // CMYK red: C=0 M=255 Y=255 K=0 (jpeg-encoder stores Adobe-inverted CMYK with APP14).
    let cmyk: Vec<u8> = std::iter::repeat_n([0u8, 255, 255, 0], 32 * 32).flatten().collect();
    for color in [jpeg_encoder::ColorType::Cmyk, jpeg_encoder::ColorType::CmykAsYcck] {
        let file = jpeg_with(&cmyk, 32, 32, color, |_| {});
        assert_eq!(sniff(&file).expect("sniff").components, 4);
        let master = ingest(&file, &Limits::default()).expect("cmyk ingest");
        assert_clean(&master.bytes);
        let img = decode_rgb(&master.bytes);
        assert!(near(pixel(&img, 0.5, 0.5), RED), "{color:?}: {:?}", pixel(&img, 0.5, 0.5));
        let v = make_variant(&master.bytes, &Variant::new(WidthClass::W96, VariantFormat::Gif))
            .expect("variant");
        assert!(near(pixel(&decode_rgb(&v), 0.5, 0.5), RED));
    }
    let data = quadrants(64, 48);
    let progressive =
        jpeg_with(&data, 64, 48, jpeg_encoder::ColorType::Rgb, |e| e.set_progressive(true));
    assert!(sniff(&progressive).expect("sniff").progressive);
    let img = decode_rgb(&ingest(&progressive, &Limits::default()).expect("progressive").bytes);
    assert!(near(pixel(&img, 0.2, 0.2), RED) && near(pixel(&img, 0.8, 0.8), YELLOW));

    let grey: Vec<u8> = (0..64 * 48).map(|i| (i % 64 * 4) as u8).collect();
    let master = ingest(
        &jpeg_with(&grey, 64, 48, jpeg_encoder::ColorType::Luma, |_| {}),
        &Limits::default(),
    )
    .expect("grey");
    assert_eq!(sniff(&master.bytes).expect("sniff").components, 1);

    // 16-bit RGBA PNG with real transparency: master keeps alpha as 8-bit RGBA PNG.
    let mut rgba16 = Vec::new();
    for y in 0..40u16 {
        for x in 0..50u16 {
            let a: u16 = if x < 25 { 0 } else { 0xFFFF };
            for v in [x * 1300, y * 1600, 0x8000, a] {
                rgba16.extend(v.to_be_bytes());
            }
        }
    }
    let png16 = png_encode(&rgba16, 50, 40, png::ColorType::Rgba, png::BitDepth::Sixteen, |_| {});
    assert_eq!(sniff(&png16).expect("sniff").bit_depth, 16);
    let master = ingest(&png16, &Limits::default()).expect("16-bit");
    let h = sniff(&master.bytes).expect("sniff");
    assert_eq!((h.format, h.bit_depth, h.components, h.alpha), (Format::Png, 8, 4, true));

    // Palette PNG with tRNS.
    let indices: Vec<u8> = (0..30 * 20).map(|i| (i % 3) as u8).collect();
    let pal = png_encode(&indices, 30, 20, png::ColorType::Indexed, png::BitDepth::Eight, |e| {
        e.set_palette(vec![255, 0, 0, 0, 255, 0, 0, 0, 255]);
        e.set_trns(vec![0, 255, 255]);
    });
    let master = ingest(&pal, &Limits::default()).expect("palette png");
    assert!(sniff(&master.bytes).expect("sniff").alpha);
}

#[test]
fn animated_gif_master_and_variants() {
    let upload = animated_gif(160, 96, 5);
    let h = sniff(&upload).expect("sniff");
    assert_eq!((h.frames, h.loop_count), (5, Some(0)));
    let master = ingest(&upload, &Limits::default()).expect("ingest");
    assert_eq!(
        (master.format, master.width, master.height, master.frames),
        (Format::Gif, 160, 96, 5)
    );
    assert_clean(&master.bytes);
    assert_eq!(sniff(&master.bytes).expect("sniff").loop_count, Some(0));
    // Frames are re-encoded from their indices: pixels identical to the upload.
    let frames = |b: &[u8]| {
        use image::AnimationDecoder;
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(b))
            .expect("gif")
            .into_frames()
            .collect_frames()
            .expect("frames")
            .into_iter()
            .map(|f| f.into_buffer().into_raw())
            .collect::<Vec<_>>()
    };
    assert_eq!(frames(&master.bytes), frames(&upload));

    // PCs and smartphones keep the animation; keitai get the first frame.
    for key in ["pc", "480a"] {
        let out =
            make_variant(&master.bytes, &key.parse().expect("key")).expect("animated variant");
        assert_clean(&out);
        let h = sniff(&out).expect("sniff");
        assert_eq!((h.format, h.frames, h.width), (Format::Gif, 5, 160), "{key}");
        assert_eq!(frames(&out).len(), 5);
    }
    for (key, format) in [("120g", Format::Gif), ("240j", Format::Jpeg), ("96p", Format::Png)] {
        let out = make_variant(&master.bytes, &key.parse().expect("key")).expect("still variant");
        assert_clean(&out);
        let h = sniff(&out).expect("sniff");
        assert_eq!((h.format, h.frames), (format, 1), "{key}");
        assert!(h.width <= key.trim_end_matches(char::is_alphabetic).parse::<u32>().expect("w"));
    }
    let thumb = thumbnail(&upload, 80, None, None, &Limits::default()).expect("thumbnail");
    let h = sniff(&thumb).expect("sniff");
    assert_eq!((h.format, h.frames, h.width, h.height), (Format::Gif, 5, 80, 48));
    // A cap the animation cannot meet falls back to one still frame.
    let tiny =
        thumbnail(&upload, 160, Some(Format::Gif), Some(1500), &Limits::default()).expect("capped");
    assert!(tiny.len() <= 1500);
    assert_eq!(sniff(&tiny).expect("sniff").frames, 1);
}

// ---------------------------------------------------------------------------------------------
// Masters

#[test]
fn master_formats_sizes_and_hash() {
    use sha2::Digest;
    let big = jpeg_rgb(&photo(3000, 2000, 5), 3000, 2000);
    let m = ingest(&big, &Limits::default()).expect("ingest");
    // JPEG masters come straight from the IDCT scale: 3000×2000 at 1/2.
    assert_eq!((m.format, m.width, m.height, m.frames), (Format::Jpeg, 1500, 1000, 1));
    let m2 =
        ingest(&jpeg_rgb(&photo(2040, 1000, 5), 2040, 1000), &Limits::default()).expect("2040");
    assert_eq!((m2.width, m2.height), (2040, 1000));
    let wide_png = png_encode(
        &photo(2500, 500, 5),
        2500,
        500,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        |_| {},
    );
    let m3 = ingest(&wide_png, &Limits::default()).expect("png");
    // PNG masters likewise: box-reduced by 2 while streaming.
    assert_eq!((m3.width, m3.height), (1250, 250));
    assert_eq!(m.sha256_hex, hex::encode(sha2::Sha256::digest(&m.bytes)));
    assert_eq!(m.sha256_hex.len(), 64);
    let h = sniff(&m.bytes).expect("sniff");
    assert!(!h.progressive, "baseline JPEG");
    // Deterministic: the same upload gives the same master and name.
    assert_eq!(ingest(&big, &Limits::default()).expect("again").sha256_hex, m.sha256_hex);

    let opaque_png =
        png_encode(&photo(120, 80, 6), 120, 80, png::ColorType::Rgb, png::BitDepth::Eight, |e| {
            e.add_text_chunk("Comment".into(), "secret".into()).expect("text");
        });
    let m = ingest(&opaque_png, &Limits::default()).expect("png");
    assert_clean(&m.bytes);
    let h = sniff(&m.bytes).expect("sniff");
    assert_eq!((h.format, h.components, h.alpha), (Format::Png, 3, false));
    // Opaque RGBA becomes RGB.
    let rgba: Vec<u8> = photo(40, 30, 7).chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    let m = ingest(
        &png_encode(&rgba, 40, 30, png::ColorType::Rgba, png::BitDepth::Eight, |_| {}),
        &Limits::default(),
    )
    .expect("rgba");
    assert_eq!(sniff(&m.bytes).expect("sniff").components, 3);
    // A still GIF becomes a lossless PNG; its transparency survives, and `auto` serves PNG.
    let m = ingest(&still_gif_with_transparency(), &Limits::default()).expect("still gif");
    let h = sniff(&m.bytes).expect("sniff");
    assert_eq!((m.format, h.alpha, m.width), (Format::Png, true, 60));
    let auto = Variant::new(WidthClass::W480, VariantFormat::Auto);
    assert_eq!(auto.output_format(&h), Format::Png);
    let out = make_variant(&m.bytes, &auto).expect("auto");
    assert_eq!(sniff(&out).expect("sniff").format, Format::Png);
    let img = image::load_from_memory(&out).expect("png").to_rgba8();
    assert_eq!(img.get_pixel(5, 5).0[3], 0);
    assert_eq!(img.get_pixel(50, 5).0[3], 255);
}

// ---------------------------------------------------------------------------------------------
// Variants (P2, keitai.md §8)

#[test]
fn handset_variant_table() {
    for (ua, key) in HANDSETS {
        let v = Variant::for_handset(&handset(ua));
        assert_eq!(v.to_string(), *key, "{ua}");
        assert_eq!(key.parse::<Variant>().as_ref(), Ok(&v));
    }
    // Never PNG to docomo, never GIF to old au or J-PHONE C/P/W, even if a profile says so.
    let mut h = handset("DoCoMo/2.0 N905i(c100;TB;W24H16)");
    h.image_formats = ashiato_handset::ImageFormats::PNG;
    assert_eq!(Variant::for_handset(&h).format, VariantFormat::Gif);
    for ua in [
        "J-PHONE/4.0/J-SH51/SNJSHA3029293 SH/0001aa Profile/MIDP-1.0 Configuration/CLDC-1.0 Ext-Profile/JSCL-1.1.0",
        "UP.Browser/3.04-CA13 UP.Link/3.4.5.2",
    ] {
        let mut h = handset(ua);
        h.image_formats = ashiato_handset::ImageFormats::GIF;
        assert_ne!(Variant::for_handset(&h).format, VariantFormat::Gif, "{ua}");
    }
}

#[test]
fn variants_fit_width_format_and_byte_cap() {
    // The hardest case for byte caps: a noisy 1600×1200 photo.
    let master =
        ingest(&jpeg_rgb(&photo(1600, 1200, 8), 1600, 1200), &Limits::default()).expect("ingest");
    let mut keys: Vec<Variant> =
        HANDSETS.iter().map(|(ua, _)| Variant::for_handset(&handset(ua))).collect();
    keys.extend(
        ["240g", "240p", "480a-10k", "pcj", "176j", "96j-2k"]
            .map(|k| k.parse::<Variant>().expect(k)),
    );
    for v in keys {
        let out = make_variant(&master.bytes, &v).expect("variant");
        let h = sniff(&out).expect("sniff");
        let (bw, bh) = v.box_size();
        assert!(out.len() <= v.max_bytes as usize, "{v}: {} > {}", out.len(), v.max_bytes);
        assert!(h.width <= bw && h.height <= bh, "{v}: {}×{}", h.width, h.height);
        assert!(h.width >= bw / 3, "{v}: not shrunk absurdly ({} px)", h.width);
        let want = match v.format {
            VariantFormat::Jpeg | VariantFormat::Auto => Format::Jpeg,
            VariantFormat::Gif => Format::Gif,
            VariantFormat::Png => Format::Png,
        };
        assert_eq!(h.format, want, "{v}");
        if want == Format::Jpeg {
            assert!(!h.progressive, "{v}: baseline only");
        }
        assert_clean(&out);
    }
    // P2: the 240 px JPEG of a 4:3 photo is 240 wide and ≤ 15 KiB at full size.
    let out = make_variant(&master.bytes, &"240j".parse().expect("key")).expect("240j");
    let h = sniff(&out).expect("sniff");
    assert_eq!((h.width, h.height), (240, 180));
    assert!(out.len() <= 15 * 1024);
}

#[test]
fn large_png_is_box_reduced_while_streaming() {
    // 1000×800 quadrants → 100 px: decoded with a 10× box reduction, then resized.
    let png = png_encode(
        &quadrants(1000, 800),
        1000,
        800,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        |_| {},
    );
    let out = thumbnail(&png, 100, None, None, &Limits::default()).expect("thumbnail");
    let img = decode_rgb(&out);
    assert_eq!((img.0, img.1), (100, 80));
    let corners = [
        pixel(&img, 0.2, 0.2),
        pixel(&img, 0.8, 0.2),
        pixel(&img, 0.2, 0.8),
        pixel(&img, 0.8, 0.8),
    ];
    assert_eq!(corners, [RED, GREEN, BLUE, YELLOW]);
    // Alpha-weighted: transparent pixels' colour does not bleed into opaque neighbours.
    let mut rgba = Vec::new();
    for _ in 0..300 {
        for x in 0..400 {
            rgba.extend(if x % 2 == 0 { [0, 255, 0, 0] } else { [255, 0, 0, 255] });
        }
    }
    let png = png_encode(&rgba, 400, 300, png::ColorType::Rgba, png::BitDepth::Eight, |_| {});
    let out = thumbnail(&png, 40, None, None, &Limits::default()).expect("thumbnail");
    let img = image::load_from_memory(&out).expect("png").to_rgba8();
    let p = img.get_pixel(20, 15).0;
    assert_eq!((p[0], p[1]), (255, 0), "{p:?}");
    assert!((120..=135).contains(&p[3]), "half covered: {p:?}");
}

#[test]
fn thumbnail_width_format_and_cap() {
    let upload = camera_jpeg(&photo(800, 600, 9), 800, 600, 1);
    for (format, magic) in
        [(None, Format::Jpeg), (Some(Format::Png), Format::Png), (Some(Format::Gif), Format::Gif)]
    {
        let out = thumbnail(&upload, 200, format, None, &Limits::default()).expect("thumbnail");
        let h = sniff(&out).expect("sniff");
        assert_eq!((h.format, h.width, h.height), (magic, 200, 150));
        assert_clean(&out);
    }
    let capped = thumbnail(&upload, 400, None, Some(8_000), &Limits::default()).expect("capped");
    assert!(capped.len() <= 8_000);
    // Never enlarged.
    let h = sniff(&thumbnail(&upload, 5000, None, None, &Limits::default()).expect("big"))
        .expect("sniff");
    assert_eq!(h.width, 800);
    assert!(matches!(
        thumbnail(&upload, 0, None, None, &Limits::default()),
        Err(ImageError::InvalidParameter(_))
    ));
    assert!(matches!(
        thumbnail(&upload, 240, None, Some(10), &Limits::default()),
        Err(ImageError::ByteCapUnreachable { max_bytes: 10, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Fuzz-style properties (security.md §9): bounded proptest loops, runnable on stable.

fn seeds() -> Vec<Vec<u8>> {
    vec![
        camera_jpeg(&photo(48, 32, 10), 48, 32, 6),
        jpeg_with(&photo(40, 24, 11), 40, 24, jpeg_encoder::ColorType::Rgb, |e| {
            e.set_progressive(true);
        }),
        jpeg_with(
            &[0u8, 255, 255, 0].repeat(16 * 16),
            16,
            16,
            jpeg_encoder::ColorType::Cmyk,
            |_| {},
        ),
        png_encode(&photo(30, 20, 12), 30, 20, png::ColorType::Rgb, png::BitDepth::Eight, |_| {}),
        animated_gif(32, 16, 3),
        still_gif_with_transparency(),
    ]
}

fn small_limits() -> Limits {
    Limits { max_pixels: 1 << 20, max_alloc: 32 << 20, ..Limits::default() }
}

/// 200 cases per property in CI; set `ASHIATO_FUZZ_CASES` for a longer campaign, e.g.
/// `ASHIATO_FUZZ_CASES=20000 cargo test --release -p ashiato_image --test image never_panic`.
fn fuzz_cases() -> u32 {
    std::env::var("ASHIATO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), magic in 0usize..4) {
        let prefix: &[u8] = [&b""[..], b"\xFF\xD8\xFF", b"\x89PNG\r\n\x1a\n", b"GIF89a"][magic];
        let input = [prefix, &bytes].concat();
        let _ = sniff(&input);
        let _ = ingest(&input, &small_limits());
        let _ = thumbnail(&input, 32, Some(Format::Gif), Some(2000), &small_limits());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..6,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = seeds().swap_remove(which);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(master) = ingest(&bytes, &small_limits()) {
            // Whatever decoded yields a clean master that renders.
            assert_clean(&master.bytes);
            let _ = make_variant(&master.bytes, &"96g".parse().expect("key"));
        }
    }
}
