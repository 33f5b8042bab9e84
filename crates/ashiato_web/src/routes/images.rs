//! `/img/{photo}/{variant}`: a photo as a handset can show it, visible exactly when what it
//! belongs to is.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use ashiato_core::PhotoId;
use ashiato_image::Variant;
use ashiato_render::page::{Block, Image};
use ashiato_store::photos::{Owner, Photo};

use crate::error::WebError;
use crate::visitor::Visitor;

/// Which handsets get photo upload fields: smartphones and PCs, SoftBank 3G and docomo i-mode
/// browser 2.0 upload from a page; older keitai post photos by mail.
pub fn can_upload(visitor: &Visitor) -> bool {
    use ashiato_render::Dialect;
    match visitor.target.dialect {
        Dialect::Html5 | Dialect::SoftbankXhtml => true,
        Dialect::IXhtml => visitor.handset.browser == ashiato_handset::Browser::Imode2,
        _ => false,
    }
}

/// The photo upload form (one file field) where the handset can upload from a page, or a
/// pointer to posting by mail where it cannot.
pub fn upload_form(visitor: &Visitor, action: String, label: &str) -> Block {
    let cat = visitor.cat();
    if !can_upload(visitor) {
        return Block::Paragraph(vec![ashiato_render::page::Inline::text(
            cat.t("diary.photos_by_mail"),
        )]);
    }
    Block::Form(ashiato_render::page::Form {
        action,
        method: ashiato_render::page::Method::Post,
        fields: vec![ashiato_render::page::Field::new(
            "photo",
            label,
            ashiato_render::page::FieldKind::File {
                accept: "image/jpeg,image/png,image/gif".into(),
            },
        )],
        submit: cat.t("settings.save").into(),
        multipart: true,
    })
}

/// The page block showing a photo in the variant this visitor's handset should get.
pub fn image_block(visitor: &Visitor, photo: &Photo, alt: &str) -> Block {
    let variant = Variant::for_handset(&visitor.handset);
    let (bw, bh) = variant.box_size();
    let (w, h) = (
        u32::try_from(photo.width).unwrap_or(1).max(1),
        u32::try_from(photo.height).unwrap_or(1).max(1),
    );
    // Fit inside the box, never enlarge; the variant is made with the same rule.
    let scale = (f64::from(bw) / f64::from(w)).min(f64::from(bh) / f64::from(h)).min(1.0);
    let fit = |v: u32| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a rounded pixel size between 1 and the box size"
        )]
        let px = (f64::from(v) * scale).round().max(1.0) as u32;
        px
    };
    Block::Image(Image {
        src: format!("/img/{}/{variant}", photo.id),
        alt: alt.to_owned(),
        width: Some(fit(w)),
        height: Some(fit(h)),
    })
}

/// `?sig=` on a thumbnail URL given to an app.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ThumbnailSignature {
    /// HMAC of the photo id and variant key.
    #[serde(default)]
    sig: Option<String>,
}

/// `GET /img/{photo}/{variant}`. Anything the viewer may not see is a 404, like a missing
/// photo. Variant keys are the one this handset gets or a plain class key, so the cache
/// cannot be filled with arbitrary variants.
pub async fn show(
    visitor: Visitor,
    path: web::Path<(i64, String)>,
    signed: web::Query<ThumbnailSignature>,
) -> Result<HttpResponse, WebError> {
    let (id, key) = path.into_inner();
    let id = PhotoId(id);
    let variant: Variant = key.parse().map_err(|_| WebError::NotFound)?;
    let own = Variant::for_handset(&visitor.handset);
    let plain = Variant::new(variant.class, variant.format);
    if variant != own && variant != plain {
        return Err(WebError::NotFound);
    }
    let (photo, owner) = ashiato_app::photos::with_owner(visitor.state(), id).await?;
    // A profile thumbnail the Social API handed to an app after its scope checks carries a
    // signature for exactly this photo and variant; the app's server fetches it without a
    // member session.
    let signed_thumbnail = matches!(owner, Owner::Profile(_))
        && key == ashiato_app::apps::social::thumbnail_variant().to_string()
        && signed.sig.as_deref().is_some_and(|sig| {
            visitor.state().secret.verify_hex(
                ashiato_app::apps::social::THUMBNAIL_PURPOSE,
                &[id.to_string().as_bytes(), key.as_bytes()],
                sig,
            )
        });
    if !signed_thumbnail
        && !ashiato_app::photos::visible_to(visitor.state(), visitor.member_id(), &photo, owner)
            .await?
    {
        return Err(WebError::NotFound);
    }
    let (bytes, mime) = visitor.state().photos.variant(&photo, variant).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        // Private: a photo's audience depends on who asks. A week: variants never change.
        .insert_header((header::CACHE_CONTROL, "private, max-age=604800"))
        .insert_header((header::ETAG, format!("\"{}-{key}\"", photo.sha256)))
        .body(bytes))
}
