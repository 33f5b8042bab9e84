//! Whether a parsed message may post, and whether it may ever be answered automatically.

use crate::address::{Action, MailAddress, Recipient};
use crate::inbound::{Inbound, Notice};
use crate::reply::{Disposition, Reply};

/// Who may post through a member's secret address (security.md §5, S-27).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SenderPolicy {
    /// The secret address alone authorises (default): it carries 80 random bits, is shown
    /// only to its owner and can be rotated at once. `From:` is not checked, because it is
    /// forgeable and proves nothing the address does not.
    #[default]
    AnyFrom,
    /// `From:` must equal the member's registered phone address (case-insensitive). A
    /// member without one cannot post by mail.
    RegisteredAddress,
    /// `From:` must be a mobile carrier's domain (any member's phone, not a PC).
    CarrierDomain,
}

/// Title length cut when the title comes from the first line of the body.
pub const TITLE_FROM_BODY_CHARS: usize = 30;

/// What an accepted message does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The action of the address.
    pub action: Action,
    /// Diary title: the subject; without one, the first line of the text cut to
    /// [`TITLE_FROM_BODY_CHARS`] characters; empty only without subject and text (the caller
    /// then uses its localised "no title"). Empty for other actions.
    pub title: String,
    /// Diary body or comment text (empty for a profile photo).
    pub body: String,
    /// How many of `inbound.images`, from the first, the action uses (0 for a comment, 1 for
    /// a profile photo).
    pub images: usize,
    /// What the sender might be told: the parser's notices and the action's own.
    pub notices: Vec<Notice>,
}

/// Why a message is delivered to nobody and answered as delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiscardReason {
    /// Auto-submitted, bulk or list mail, a bounce or report, or a daemon sender: no person
    /// wrote it, so it must not become a post. Refusing it instead would make our MTA send a
    /// bounce to the (automated) sender, which is the loop RFC 3834 is about.
    Automated,
}

/// The verdict for one message and one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Post it (exit 0, `250`), unless the duplicate key was seen before (then post nothing
    /// and still answer 0 / 250).
    Accept(Accepted),
    /// Post nothing and answer as delivered (exit 0, `250 2.0.0`); never reply.
    Discard(DiscardReason),
    /// Post nothing and refuse with this reply.
    Refuse(Reply),
}

/// Decides what a message sent to a member's posting address does.
///
/// `registered` is the member's registered phone address, if any. The caller has already
/// parsed the recipient (unknown or rotated tokens are refused as unknown recipient before
/// this) and checked that the member may post at all (a suspended member is refused the same
/// way as an unknown address). Order: automated mail is discarded; then the sender policy;
/// then the content the action needs.
pub fn decide(
    inbound: &Inbound,
    recipient: &Recipient,
    registered: Option<&MailAddress>,
    policy: SenderPolicy,
) -> Decision {
    if inbound.loop_facts.is_automated() {
        return Decision::Discard(DiscardReason::Automated);
    }
    let sender_ok = match policy {
        SenderPolicy::AnyFrom => true,
        SenderPolicy::RegisteredAddress => {
            matches!((&inbound.from, registered), (Some(from), Some(reg)) if from.same_as(reg))
        }
        SenderPolicy::CarrierDomain => {
            inbound.from.as_ref().is_some_and(|f| f.carrier().is_carrier())
        }
    };
    if !sender_ok {
        return Decision::Refuse(Reply::new(
            Disposition::Permanent,
            550,
            "5.7.1",
            "sender not allowed to post to this address",
        ));
    }
    let no_content = || {
        Decision::Refuse(Reply::new(
            Disposition::Permanent,
            550,
            "5.6.0",
            "no text and no image to post",
        ))
    };
    let mut notices = inbound.notices.clone();
    let available = inbound.images.len();
    let accepted = match recipient.action {
        Action::NewDiary => {
            if inbound.text.is_empty() && available == 0 {
                return no_content();
            }
            let title = if inbound.subject.is_empty() {
                inbound.text.lines().find(|l| !l.trim().is_empty()).map_or(String::new(), |l| {
                    l.trim().chars().take(TITLE_FROM_BODY_CHARS).collect()
                })
            } else {
                inbound.subject.clone()
            };
            Accepted {
                action: recipient.action,
                title,
                body: inbound.text.clone(),
                images: available,
                notices,
            }
        }
        Action::Comment(_) => {
            if inbound.text.is_empty() {
                return Decision::Refuse(Reply::new(
                    Disposition::Permanent,
                    550,
                    "5.6.0",
                    "no text to comment with",
                ));
            }
            if available > 0 {
                notices.push(Notice::ImagesDropped { kept: 0, dropped: available });
            }
            Accepted {
                action: recipient.action,
                title: String::new(),
                body: inbound.text.clone(),
                images: 0,
                notices,
            }
        }
        Action::ProfilePhoto => {
            if available == 0 {
                return Decision::Refuse(Reply::new(
                    Disposition::Permanent,
                    550,
                    "5.6.0",
                    "no image for the profile photo",
                ));
            }
            if available > 1 {
                notices.push(Notice::ImagesDropped { kept: 1, dropped: available - 1 });
            }
            Accepted {
                action: recipient.action,
                title: String::new(),
                body: String::new(),
                images: 1,
                notices,
            }
        }
    };
    Decision::Accept(accepted)
}

/// Whether an automatic answer (an error or confirmation mail) may be sent for this message
/// (RFC 3834 §2, security.md S-28): never to `Auto-Submitted` other than `no`, an empty return
/// path, `Precedence: bulk|list|junk`, any `List-*` header, a `MAILER-DAEMON` / `postmaster`
/// / list-robot sender or a delivery report; and not without a `From:` to answer. Answer the
/// return path (envelope sender), not `From:`, and send with `Auto-Submitted: auto-replied`.
pub fn should_auto_reply(inbound: &Inbound) -> bool {
    !inbound.loop_facts.is_automated() && inbound.from.is_some()
}
