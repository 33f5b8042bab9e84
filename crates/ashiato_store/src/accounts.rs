//! Members and invitations: sign-up, look-ups for login, profiles.

use ashiato_core::account::{self, Email, NewMember, Profile};
use ashiato_core::{InvitationId, MemberId, Problem, Scope, Timestamp};
use base64::Engine as _;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::{AnyConnection, random_bytes};
use crate::error::is_unique_violation;
use crate::friends;
use crate::schema::{invitations, members};
use crate::{StoreError, StoreResult};

/// A member as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Id.
    pub id: MemberId,
    /// Login e-mail (normalised).
    pub email: String,
    /// Display name.
    pub nickname: String,
    /// Profile fields and their scopes.
    pub profile: Profile,
    /// Who may see the member's friend list.
    pub friends_scope: Scope,
    /// Scope preselected on the diary form.
    pub default_diary_scope: Scope,
    /// Visits leave no footsteps (忍び足).
    pub stealth_footsteps: bool,
    /// Not listed in member search.
    pub search_opt_out: bool,
    /// Interface language (`ja` or `en`).
    pub language: String,
    /// Operator rights.
    pub is_admin: bool,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When the profile last changed.
    pub updated_at: Timestamp,
    /// Whether the login address was confirmed by the link mailed to it.
    pub email_confirmed: bool,
    /// Suspended by an admin (cannot log in; content hidden from others), with the reason.
    pub suspended: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = members)]
pub(crate) struct MemberRow {
    id: i64,
    email: String,
    nickname: String,
    introduction: String,
    introduction_scope: String,
    birthday: Option<String>,
    birthday_scope: String,
    area: String,
    area_scope: String,
    friends_scope: String,
    default_diary_scope: String,
    stealth_footsteps: bool,
    search_opt_out: bool,
    language: String,
    is_admin: bool,
    created_at: i64,
    updated_at: i64,
    email_confirmed_at: Option<i64>,
    suspended_at: Option<i64>,
    suspended_reason: Option<String>,
}

/// Scopes are written only through [`Scope::as_str`]; a value we cannot read back is treated
/// as the narrowest scope, so a damaged row hides rather than leaks.
pub(crate) fn scope_or_private(s: &str) -> Scope {
    Scope::parse(s).unwrap_or(Scope::Private)
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Member {
            id: MemberId(r.id),
            email: r.email,
            nickname: r.nickname,
            profile: Profile {
                introduction: r.introduction,
                introduction_scope: scope_or_private(&r.introduction_scope),
                birthday: r
                    .birthday
                    .as_deref()
                    .and_then(|b| account::parse_birthday(b).ok().flatten()),
                birthday_scope: scope_or_private(&r.birthday_scope),
                area: r.area,
                area_scope: scope_or_private(&r.area_scope),
            },
            friends_scope: scope_or_private(&r.friends_scope),
            default_diary_scope: scope_or_private(&r.default_diary_scope),
            stealth_footsteps: r.stealth_footsteps,
            search_opt_out: r.search_opt_out,
            language: r.language,
            is_admin: r.is_admin,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
            email_confirmed: r.email_confirmed_at.is_some(),
            suspended: r.suspended_at.map(|_| r.suspended_reason.unwrap_or_default()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = members)]
struct MemberInsert<'a> {
    email: &'a str,
    nickname: &'a str,
    password_hash: &'a str,
    created_at: i64,
    updated_at: i64,
}

/// Creates a member. Fails with `Rejected(EmailTaken)` when the address is registered (also
/// when another request registers it at the same moment). Call inside [`crate::write`].
pub fn create_member(
    conn: &mut AnyConnection,
    new: &NewMember,
    password_hash: &str,
    now: Timestamp,
) -> StoreResult<MemberId> {
    if find_by_email(conn, &new.email)?.is_some() {
        return Err(StoreError::Rejected(Problem::EmailTaken));
    }
    diesel::insert_into(members::table)
        .values(&MemberInsert {
            email: new.email.as_str(),
            nickname: &new.nickname,
            password_hash,
            created_at: now.0,
            updated_at: now.0,
        })
        .returning(members::id)
        .get_result::<i64>(conn)
        .map(MemberId)
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Rejected(Problem::EmailTaken)
            } else {
                e.into()
            }
        })
}

/// Loads a member by id.
pub fn find_member(conn: &mut AnyConnection, id: MemberId) -> StoreResult<Member> {
    members::table
        .find(id.0)
        .select(MemberRow::as_select())
        .first(conn)
        .map(Member::from)
        .map_err(StoreError::from)
}

/// Loads a member by normalised e-mail, if registered.
pub fn find_by_email(conn: &mut AnyConnection, email: &Email) -> StoreResult<Option<Member>> {
    Ok(members::table
        .filter(members::email.eq(email.as_str()))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()?
        .map(Member::from))
}

/// The stored password hash of the member with this e-mail, for login verification.
pub fn credentials(
    conn: &mut AnyConnection,
    email: &Email,
) -> StoreResult<Option<(MemberId, String)>> {
    Ok(members::table
        .filter(members::email.eq(email.as_str()))
        .select((members::id, members::password_hash))
        .first::<(i64, String)>(conn)
        .optional()?
        .map(|(id, hash)| (MemberId(id), hash)))
}

/// Replaces a member's password hash. Every password-reset link still out for the member
/// dies with the old password. Call inside [`crate::write`].
pub fn set_password_hash(
    conn: &mut AnyConnection,
    id: MemberId,
    hash: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let n = diesel::update(members::table.find(id.0))
        .set((members::password_hash.eq(hash), members::updated_at.eq(now.0)))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    crate::tokens::revoke(conn, id, crate::tokens::Purpose::Reset)?;
    Ok(())
}

/// Marks the login address confirmed if it is still `email`. Returns whether it did. Call
/// inside [`crate::write`].
pub fn confirm_email(
    conn: &mut AnyConnection,
    id: MemberId,
    email: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = diesel::update(members::table.find(id.0).filter(members::email.eq(email)))
        .set(members::email_confirmed_at.eq(now.0))
        .execute(conn)?;
    Ok(n > 0)
}

/// Number of members (for the demo seeder's "empty database" check and operators).
pub fn member_count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(members::table.count().get_result(conn)?)
}

/// Updates the profile fields and their scopes.
pub fn update_profile(
    conn: &mut AnyConnection,
    id: MemberId,
    p: &Profile,
    now: Timestamp,
) -> StoreResult<()> {
    let birthday = p.birthday.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    let n = diesel::update(members::table.find(id.0))
        .set((
            members::introduction.eq(&p.introduction),
            members::introduction_scope.eq(p.introduction_scope.as_str()),
            members::birthday.eq(birthday),
            members::birthday_scope.eq(p.birthday_scope.as_str()),
            members::area.eq(&p.area),
            members::area_scope.eq(p.area_scope.as_str()),
            members::updated_at.eq(now.0),
        ))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Changes a member's nickname (already validated).
pub fn set_nickname(
    conn: &mut AnyConnection,
    id: MemberId,
    nickname: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let n = diesel::update(members::table.find(id.0))
        .set((members::nickname.eq(nickname), members::updated_at.eq(now.0)))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Marks a member as an operator (or not).
pub fn set_admin(conn: &mut AnyConnection, id: MemberId, admin: bool) -> StoreResult<()> {
    let n =
        diesel::update(members::table.find(id.0)).set(members::is_admin.eq(admin)).execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Suspends a member (`Some(reason)`) or lifts the suspension (`None`). Returns whether the
/// state changed. Sessions and other effects are the caller's (one transaction, with the
/// audit row). Call inside [`crate::write`].
pub fn set_suspended(
    conn: &mut AnyConnection,
    id: MemberId,
    reason: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let was: Option<Option<i64>> =
        members::table.find(id.0).select(members::suspended_at).first(conn).optional()?;
    let Some(was) = was else { return Err(StoreError::NotFound) };
    if was.is_some() == reason.is_some() {
        return Ok(false);
    }
    diesel::update(members::table.find(id.0))
        .set((
            members::suspended_at.eq(reason.map(|_| now.0)),
            members::suspended_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(true)
}

/// An invitation as stored (the token itself is never stored, only its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// Id.
    pub id: InvitationId,
    /// Address it was sent to, if any.
    pub email: Option<String>,
    /// Who invited (none for operator invitations or withdrawn inviters).
    pub inviter: Option<MemberId>,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Whether it was used already.
    pub used: bool,
}

/// A freshly created invitation with the secret token for its link.
#[derive(Clone, Debug)]
pub struct IssuedInvitation {
    /// Id.
    pub id: InvitationId,
    /// Secret for the sign-up link (`/join/{token}`); shown once, stored only hashed.
    pub token: String,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// SHA-256 of a secret token, hex; what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: 128 bits, URL-safe base64 without padding (22 characters).
pub fn new_token() -> StoreResult<String> {
    let bytes: [u8; 16] = random_bytes()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Creates an invitation valid for `days` days.
pub fn create_invitation(
    conn: &mut AnyConnection,
    inviter: Option<MemberId>,
    email: Option<&Email>,
    now: Timestamp,
    days: i64,
) -> StoreResult<IssuedInvitation> {
    let token = new_token()?;
    let expires_at = account::invitation_expiry(now, days);
    let id = diesel::insert_into(invitations::table)
        .values((
            invitations::token_hash.eq(token_hash(&token)),
            invitations::email.eq(email.map(Email::as_str)),
            invitations::inviter_id.eq(inviter.map(|m| m.0)),
            invitations::created_at.eq(now.0),
            invitations::expires_at.eq(expires_at.0),
        ))
        .returning(invitations::id)
        .get_result::<i64>(conn)?;
    Ok(IssuedInvitation { id: InvitationId(id), token, expires_at })
}

/// How many invitations were made for `email` since `since` (the sign-up-by-mail limit).
pub fn invitations_to_since(
    conn: &mut AnyConnection,
    email: &Email,
    since: Timestamp,
) -> StoreResult<i64> {
    Ok(invitations::table
        .filter(invitations::email.eq(email.as_str()))
        .filter(invitations::created_at.ge(since.0))
        .count()
        .get_result(conn)?)
}

/// Looks an invitation up by its secret token.
pub fn find_invitation(conn: &mut AnyConnection, token: &str) -> StoreResult<Invitation> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash(token)))
        .select((
            invitations::id,
            invitations::email,
            invitations::inviter_id,
            invitations::expires_at,
            invitations::used_at,
        ))
        .first::<(i64, Option<String>, Option<i64>, i64, Option<i64>)>(conn)
        .optional()?
        .map(|(id, email, inviter, expires_at, used_at)| Invitation {
            id: InvitationId(id),
            email,
            inviter: inviter.map(MemberId),
            expires_at: Timestamp(expires_at),
            used: used_at.is_some(),
        })
        .ok_or(StoreError::Rejected(Problem::InvitationUnknown))
}

/// What a person submitted on the sign-up page.
#[derive(Debug)]
pub struct SignUp<'a> {
    /// The invitation token from the link, if any.
    pub invitation: Option<&'a str>,
    /// Validated member data.
    pub member: &'a NewMember,
    /// argon2id hash of the chosen password.
    pub password_hash: &'a str,
    /// Whether this service lets people join without an invitation.
    pub open_signup: bool,
}

/// Registers a member, consuming the invitation and making inviter and invitee friends, in one
/// transaction: either all of it happens or nothing does.
pub fn sign_up(conn: &mut AnyConnection, s: &SignUp<'_>, now: Timestamp) -> StoreResult<MemberId> {
    crate::write(conn, |conn| {
        let invitation = match s.invitation {
            Some(token) => {
                let inv = find_invitation(conn, token)?;
                account::check_invitation(now, inv.expires_at, inv.used)?;
                Some(inv)
            }
            None if s.open_signup => None,
            None => return Err(StoreError::Rejected(Problem::InvitationRequired)),
        };
        let id = create_member(conn, s.member, s.password_hash, now)?;
        if let Some(inv) = invitation {
            let claimed = diesel::update(
                invitations::table.find(inv.id.0).filter(invitations::used_at.is_null()),
            )
            .set((invitations::used_at.eq(now.0), invitations::used_by.eq(id.0)))
            .execute(conn)?;
            if claimed == 0 {
                return Err(StoreError::Rejected(Problem::InvitationUsed));
            }
            if let Some(inviter) = inv.inviter {
                friends::befriend(conn, inviter, id, now)?;
            }
        }
        Ok(id)
    })
}

/// Loads several members at once (any order; missing ids are left out).
pub fn find_members(conn: &mut AnyConnection, ids: &[MemberId]) -> StoreResult<Vec<Member>> {
    let ids: Vec<i64> = ids.iter().map(|m| m.0).collect();
    Ok(members::table
        .filter(members::id.eq_any(ids))
        .select(MemberRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Member::from)
        .collect())
}
